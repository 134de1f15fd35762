#include "test/prometheus_parser.h"

#include <cmath>
#include <cstdlib>
#include <set>

#include "absl/strings/str_cat.h"

namespace uxcom::test {
namespace {

bool NameStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool NameChar(char c) { return NameStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

bool IsMetricName(std::string_view s) {
  if (s.empty() || !NameStart(s[0])) return false;
  for (char c : s) {
    if (!NameChar(c)) return false;
  }
  return true;
}

bool IsLabelName(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

bool ParseValue(std::string_view text, double* out) {
  if (text == "NaN") {
    *out = NAN;
    return true;
  }
  if (text == "+Inf" || text == "Inf") {
    *out = INFINITY;
    return true;
  }
  if (text == "-Inf") {
    *out = -INFINITY;
    return true;
  }
  if (text.empty()) return false;
  std::string copy(text);
  char* end = nullptr;
  *out = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size();
}

// The family a sample belongs to: histograms and summaries add suffixes.
std::string FamilyOf(const std::string& sample, const std::map<std::string, PromFamily>& f) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    if (sample.ends_with(suffix)) {
      std::string base = sample.substr(0, sample.size() - std::string_view(suffix).size());
      auto it = f.find(base);
      if (it != f.end() && (it->second.type == "histogram" || it->second.type == "summary")) {
        return base;
      }
    }
  }
  return sample;
}

}  // namespace

std::optional<double> Exposition::Value(const std::string& name,
                                        const std::map<std::string, std::string>& labels) const {
  for (const auto& [family, f] : families) {
    for (const PromSample& s : f.samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
  }
  return std::nullopt;
}

const std::vector<PromSample>* Exposition::Samples(const std::string& family) const {
  auto it = families.find(family);
  return it == families.end() ? nullptr : &it->second.samples;
}

absl::StatusOr<Exposition> ParsePrometheusText(std::string_view text) {
  Exposition e;
  if (!text.empty() && !text.ends_with("\n")) {
    return absl::InvalidArgumentError("the exposition does not end with a newline");
  }
  std::set<std::string> finished;  // families whose samples are over
  std::set<std::string> seen_samples;
  std::string current;
  size_t line_no = 0;
  auto fail = [&](std::string why) {
    return absl::InvalidArgumentError(absl::StrCat("line ", line_no, ": ", why));
  };
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line.empty()) continue;
    if (line.starts_with("#")) {
      if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
        const bool help = line[2] == 'H';
        std::string_view rest = line.substr(7);
        const size_t sp = rest.find(' ');
        const std::string name(rest.substr(0, sp));
        if (!IsMetricName(name)) return fail(absl::StrCat("bad metric name '", name, "'"));
        if (sp == std::string_view::npos) return fail("HELP/TYPE without text");
        const std::string value(rest.substr(sp + 1));
        PromFamily& f = e.families[name];
        if (finished.count(name) || (current == name && !f.samples.empty())) {
          return fail(absl::StrCat("HELP/TYPE of ", name, " after its samples"));
        }
        if (help) {
          if (!f.help.empty()) return fail(absl::StrCat("second HELP for ", name));
          for (size_t i = 0; i < value.size(); ++i) {
            if (value[i] == '\\' &&
                (i + 1 == value.size() || (value[i + 1] != '\\' && value[i + 1] != 'n'))) {
              return fail("bad escape in HELP");
            }
            if (value[i] == '\\') ++i;
          }
          f.help = value;
        } else {
          if (!f.type.empty()) return fail(absl::StrCat("second TYPE for ", name));
          if (value != "counter" && value != "gauge" && value != "histogram" &&
              value != "summary" && value != "untyped") {
            return fail(absl::StrCat("unknown type '", value, "'"));
          }
          f.type = value;
        }
        if (current != name && !current.empty()) finished.insert(current);
        current = name;
      }
      continue;  // other comments are allowed
    }
    // name{label="value",...} value [timestamp]
    size_t at = 0;
    while (at < line.size() && NameChar(line[at])) ++at;
    PromSample s;
    s.name = std::string(line.substr(0, at));
    if (!IsMetricName(s.name))
      return fail(absl::StrCat("bad metric name in '", std::string(line), "'"));
    if (at < line.size() && line[at] == '{') {
      ++at;
      while (at < line.size() && line[at] != '}') {
        size_t start = at;
        while (at < line.size() && line[at] != '=') ++at;
        const std::string label(line.substr(start, at - start));
        if (!IsLabelName(label)) return fail(absl::StrCat("bad label name '", label, "'"));
        if (at + 1 >= line.size() || line[at + 1] != '"') return fail("label value not quoted");
        at += 2;
        std::string value;
        for (;; ++at) {
          if (at >= line.size()) return fail("unterminated label value");
          const char c = line[at];
          if (c == '"') break;
          if (c == '\\') {
            if (at + 1 >= line.size()) return fail("dangling backslash");
            const char n = line[++at];
            if (n == '\\')
              value += '\\';
            else if (n == '"')
              value += '"';
            else if (n == 'n')
              value += '\n';
            else
              return fail(absl::StrCat("bad escape \\", std::string(1, n)));
          } else {
            value += c;
          }
        }
        ++at;  // the closing quote
        if (s.labels.count(label)) return fail(absl::StrCat("label ", label, " twice"));
        s.labels[label] = value;
        if (at < line.size() && line[at] == ',') ++at;
      }
      if (at >= line.size()) return fail("labels not closed");
      ++at;  // '}'
    }
    if (at >= line.size() || line[at] != ' ') return fail("no space before the value");
    std::string_view rest = line.substr(at + 1);
    const size_t sp = rest.find(' ');
    if (!ParseValue(rest.substr(0, sp), &s.value)) {
      return fail(absl::StrCat("bad value '", std::string(rest.substr(0, sp)), "'"));
    }
    if (sp != std::string_view::npos) {
      double ts;
      if (!ParseValue(rest.substr(sp + 1), &ts)) return fail("bad timestamp");
    }
    const std::string family = FamilyOf(s.name, e.families);
    if (finished.count(family)) {
      return fail(absl::StrCat("samples of ", family, " are not contiguous"));
    }
    if (current != family && !current.empty()) finished.insert(current);
    current = family;
    std::string key = s.name;
    for (const auto& [k, v] : s.labels) absl::StrAppend(&key, "\x01", k, "\x02", v);
    if (!seen_samples.insert(key).second) {
      return fail(absl::StrCat("sample repeated: ", std::string(line)));
    }
    PromFamily& f = e.families[family];
    if (f.type.empty()) f.type = "untyped";
    f.samples.push_back(std::move(s));
  }
  return e;
}

}  // namespace uxcom::test
