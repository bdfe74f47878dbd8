// Small helpers for checking generated markup in tests.
#ifndef DLI_TESTS_REPORT_MARKUP_H
#define DLI_TESTS_REPORT_MARKUP_H

#include <set>
#include <string>
#include <vector>

namespace dli::testing {

inline size_t CountOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t i = text.find(needle); i != std::string::npos; i = text.find(needle, i + 1)) ++n;
  return n;
}

// The texts of every <text class="KIND" ...>TEXT</text> element, in order.
inline std::vector<std::string> TextsOfClass(const std::string& svg, const std::string& kind) {
  std::vector<std::string> out;
  const std::string open = "class=\"" + kind + "\"";
  for (size_t i = svg.find(open); i != std::string::npos; i = svg.find(open, i + 1)) {
    size_t start = svg.find('>', i) + 1;
    // A category label carries its full text in a <title> first.
    if (svg.compare(start, 7, "<title>") == 0) start = svg.find("</title>", start) + 8;
    out.push_back(svg.substr(start, svg.find("</text>", start) - start));
  }
  return out;
}

// "" when tags balance and nest, attribute values hold no raw '<', and every
// '&' starts an entity; else what is wrong. `void_elements` may stay open
// (HTML's <meta>).
inline std::string MarkupProblem(const std::string& markup,
                                 const std::set<std::string>& void_elements = {}) {
  std::vector<std::string> open;
  size_t i = 0;
  while ((i = markup.find_first_of("<&", i)) != std::string::npos) {
    if (markup[i] == '&') {
      const size_t semi = markup.find(';', i);
      if (semi == std::string::npos || semi - i > 8) return "bare '&' at: " + markup.substr(i, 30);
      i = semi + 1;
      continue;
    }
    const size_t end = markup.find('>', i);
    if (end == std::string::npos) return "unterminated tag at: " + markup.substr(i, 30);
    const std::string tag = markup.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty()) return "empty tag";
    if (tag.find('<') != std::string::npos) return "'<' inside tag: " + tag;
    if (tag[0] == '!' || tag[0] == '?') continue;
    if (tag[0] == '/') {
      const std::string name = tag.substr(1);
      if (open.empty() || open.back() != name)
        return "</" + name + "> closes <" + (open.empty() ? "nothing" : open.back()) + ">";
      open.pop_back();
      continue;
    }
    const std::string name = tag.substr(0, tag.find_first_of(" \n/"));
    if (tag.back() != '/' && !void_elements.count(name)) open.push_back(name);
  }
  return open.empty() ? "" : "<" + open.back() + "> never closed";
}

}  // namespace dli::testing

#endif  // DLI_TESTS_REPORT_MARKUP_H
