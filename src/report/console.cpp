#include <algorithm>

#include "report/report.h"

#include "core/repeated_point.h"
#include "core/text.h"

namespace dli {

void TextTable::Print(std::ostream& out) const {
  std::vector<size_t> width(header_.size(), 0);
  auto widen = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  };
  widen(header_);
  for (const auto& row : rows_) widen(row);
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < width.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      line += (i ? "  " : "") + cell + std::string(width[i] - cell.size(), ' ');
    }
    out << Trim(line) << "\n";
  };
  print_row(header_);
  std::vector<std::string> rule;
  for (size_t w : width) rule.push_back(std::string(w, '-'));
  print_row(rule);
  for (const auto& row : rows_) print_row(row);
}

void PrintResultsTable(const std::vector<PointResult>& results, std::ostream& out) {
  TextTable table({"framework", "device", "precision", "batch", "params", "mode", "median ms",
                   "95% CI ms", "p90 ms", "FPS", "kept/dropped", "status"});
  for (const PointResult& r : results) {
    const PointSpec& s = r.spec;
    if (!r.ok()) {
      table.AddRow({s.framework, s.device, s.precision, std::to_string(s.batch),
                    ParamsText(s.params), MeasureModeText(s), "-", "-", "-", "-", "-", r.status});
      continue;
    }
    const LatencySummary& l = r.latency;
    table.AddRow({s.framework, s.device, s.precision, std::to_string(s.batch), ParamsText(s.params),
                  MeasureModeText(s), FormatFixed(l.median, 3),
                  FormatFixed(l.ci95.low, 3) + "-" + FormatFixed(l.ci95.high, 3),
                  FormatFixed(l.p90, 3), FormatFixed(r.fps, 1),
                  std::to_string(l.samples_kept) + "/" + std::to_string(l.samples_dropped),
                  r.status});
  }
  table.Print(out);
  for (const PointResult& r : results) {
    if (!r.ok())
      out << "failed: " << r.spec.framework << " batch " << r.spec.batch << ": " << r.error << "\n";
    if (!r.skipped_images.empty())
      out << "warning: " << r.skipped_images.size() << " image(s) could not be decoded, e.g. "
          << r.skipped_images.front() << "\n";
    if (r.ok() && r.latency.samples_dropped > 0 &&
        r.latency.samples_dropped * 100 > r.latency.samples_total)
      out << "warning: " << r.spec.framework << " batch " << r.spec.batch << ": "
          << r.latency.samples_dropped << " of " << r.latency.samples_total
          << " samples were outliers (more than 1%): the machine may be busy\n";
  }
}

void PrintHostInfo(const HostInfo& h, std::ostream& out) {
  out << "host:    " << h.hostname << "\n"
      << "cpu:     " << h.cpu_model << " (" << h.logical_cores << " logical cores)\n"
      << "memory:  " << h.memory_mb << " MiB\n"
      << "os:      " << h.os << " (" << h.kernel << ")\n";
}

void PrintBackendInfo(const std::vector<BackendInfo>& backends, std::ostream& out) {
  TextTable table({"framework", "status", "version", "devices", "precisions", "formats"});
  for (const BackendInfo& p : backends)
    table.AddRow({p.name, p.available ? "available" : "unavailable", p.version,
                  Join(p.devices, ","), Join(p.precisions, ","), p.model_formats});
  table.Print(out);
  for (const BackendInfo& p : backends) {
    if (!p.available) {
      out << "\n" << p.name << ": " << p.reason << "\n";
      continue;
    }
    out << "\n" << p.name << " (" << p.display_name << " " << p.version << ")";
    if (!p.notes.empty()) out << ": " << p.notes;
    out << "\n";
    for (const ParamDesc& d : p.params) {
      out << "  --param " << d.name << "=<" << ParamValuesText(d) << ">";
      out << "  " << d.help;
      if (!d.default_value.empty()) out << " (default " << d.default_value << ")";
      out << "\n";
    }
  }
}

void PrintAggregatesTable(const std::vector<PointResult>& results, std::ostream& out) {
  TextTable table({"batch", "reps", "FPS", "FPS 95% interval", "method", "within", "between",
                   "max/min", "flagged"});
  for (const RepeatedPoint& p : GroupRepetitions(results)) {
    const RepetitionAggregate& a = p.latency;
    const bool ok = p.ok > 0;
    table.AddRow(
        {std::to_string(p.first().spec.batch),
         std::to_string(p.ok) + "/" + std::to_string(p.repetitions.size()),
         ok ? FormatFixed(p.fps, 1) : "-",
         ok ? FormatFixed(p.fps_interval.low, 1) + " .. " + FormatFixed(p.fps_interval.high, 1)
            : "-",
         ok ? RepetitionIntervalName(a.method) : "-",
         ok ? FormatFixed(100 * a.within_spread, 1) + "%" : "-",
         ok ? FormatFixed(100 * a.between_spread, 1) + "%" : "-",
         ok ? FormatFixed(a.max_min_ratio, 3) : "-", std::to_string(p.flagged)});
  }
  table.Print(out);
}

}  // namespace dli
