// The field path of a codec failure, built only when something fails.
//
// The innermost check calls Fail(); every enclosing level adds its field name with In() as the
// failure propagates out, so the success path pays for nothing but a branch (and the trail for
// one pointer: its state is allocated by the first Fail() or In()):
//
//   if (!ReadNodeAddress(n)) return trail.In("nodes", i);
#ifndef UXCOM_XDR_INTERNAL_ERROR_TRAIL_H_
#define UXCOM_XDR_INTERNAL_ERROR_TRAIL_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xdr/codec_error.h"

namespace uxcom::xdr::internal {

class ErrorTrail {
 public:
  // Records the innermost failure. Always returns false.
  bool Fail(std::string reason, std::optional<size_t> offset = std::nullopt);

  // Adds the enclosing field (a string with static storage). Always return false.
  bool In(std::string_view field);
  bool In(std::string_view field, size_t index);
  // Several enclosing fields at once, innermost first: Path("message", "errmsg", "td").
  template <typename... Fields>
  bool Path(Fields... fields) {
    (In(std::string_view(fields)), ...);
    return false;
  }
  // Element `depth` of an app_data chain rooted at `field`: "a" + ".next" × depth.
  bool InChain(std::string_view field, size_t depth);

  bool failed() const { return state_ != nullptr && state_->failed; }
  // The failure with its path joined outermost first.
  CodecError Take(size_t consumed) const;

 private:
  struct Segment {
    std::string_view name;
    std::optional<size_t> index;
    size_t chain_depth = 0;
  };
  struct State {
    bool failed = false;
    std::string reason;
    std::optional<size_t> offset;
    std::vector<Segment> segments;  // innermost first
  };
  State& state();

  std::unique_ptr<State> state_;  // null until something fails
};

}  // namespace uxcom::xdr::internal

#endif  // UXCOM_XDR_INTERNAL_ERROR_TRAIL_H_
