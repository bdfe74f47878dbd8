// The reports read typed results: a performance point rendered from its
// hand-written JSON and from the JSON its typed result writes gives the same
// page, and one that cannot be read is listed with the reason.
#include <gtest/gtest.h>

#include <sstream>

#include "../report/report_fixture.h"
#include "report/html_report.h"
#include "report/report.h"

using nlohmann::json;

namespace dli {
namespace {

std::vector<json> Rewritten(const std::vector<json>& points) {
  std::vector<json> out;
  for (const json& p : points) out.push_back(ResultToJson(ResultFromJson(p), true));
  return out;
}

TEST(TypedReports, HtmlIsTheSameFromRewrittenResults) {
  const ReportInput original = testing::Fixture();
  ReportInput rewritten = original;
  rewritten.performance = Rewritten(original.performance);
  const RenderedReport a = RenderReport(original), b = RenderReport(rewritten);
  EXPECT_EQ(a.html, b.html);
  ASSERT_EQ(a.figures.size(), b.figures.size());
  for (size_t i = 0; i < a.figures.size(); ++i) EXPECT_EQ(a.figures[i], b.figures[i]);
}

TEST(TypedReports, CsvOfStoredPointsKeepsAFailedPointAsARow) {
  std::vector<PointResult> typed;
  for (const json& p : testing::Fixture().performance) typed.push_back(ResultFromJson(p));
  std::ostringstream from_typed;
  WriteResultsCsv(typed, from_typed);
  EXPECT_NE(from_typed.str().find("\ntimeout,image_classification,mobilenet_v2,tensorflow,"),
            std::string::npos);
}

TEST(TypedReports, UnreadablePointIsListedAsFailedWithTheReason) {
  ReportInput in;
  in.performance = {testing::PerfPoint("openvino", "2024.6.0", "FP32", 1, 4.0),
                    {{"framework", "x"}, {"batch", "two"}}};
  const std::string html = RenderReport(in).html;
  EXPECT_NE(html.find("unreadable result: &#39;batch&#39; is string, expected a number"),
            std::string::npos)
      << html.substr(html.find("id=\"failed\""), 2000);
}

}  // namespace
}  // namespace dli
