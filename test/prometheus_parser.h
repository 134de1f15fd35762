// A strict parser of the Prometheus text exposition format 0.0.4, for tests (testonly): every
// line must be a well-formed HELP, TYPE, comment or sample; names and label names must match
// the format's grammar; label values may only use the three escapes; a family's TYPE comes
// before its samples, at most once; a family's samples are contiguous; no sample repeats; the
// text ends with a newline. Any violation is an error naming the line.
//
//   absl::StatusOr<Exposition> e = ParsePrometheusText(body);
//   double v = e->Value("uxcom_xcom_drops_total", {{"reason", "queue_full"}});
#ifndef UXCOM_TEST_PROMETHEUS_PARSER_H_
#define UXCOM_TEST_PROMETHEUS_PARSER_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace uxcom::test {

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct PromFamily {
  std::string type;  // counter, gauge, histogram, summary, untyped
  std::string help;
  std::vector<PromSample> samples;
};

struct Exposition {
  std::map<std::string, PromFamily> families;
  // The value of the sample `name` with exactly `labels`, or nullopt.
  std::optional<double> Value(const std::string& name,
                              const std::map<std::string, std::string>& labels = {}) const;
  // Every sample of a family.
  const std::vector<PromSample>* Samples(const std::string& family) const;
};

absl::StatusOr<Exposition> ParsePrometheusText(std::string_view text);

}  // namespace uxcom::test

#endif  // UXCOM_TEST_PROMETHEUS_PARSER_H_
