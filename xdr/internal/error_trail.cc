#include "xdr/internal/error_trail.h"

#include "xdr/internal/str_cat.h"

namespace uxcom::xdr::internal {

ErrorTrail::State& ErrorTrail::state() {
  if (state_ == nullptr) state_ = std::make_unique<State>();
  return *state_;
}

bool ErrorTrail::Fail(std::string reason, std::optional<size_t> offset) {
  State& s = state();
  s.failed = true;
  s.reason = std::move(reason);
  s.offset = offset;
  s.segments.clear();
  return false;
}

bool ErrorTrail::In(std::string_view field) {
  state().segments.push_back({field, std::nullopt, 0});
  return false;
}

bool ErrorTrail::In(std::string_view field, size_t index) {
  state().segments.push_back({field, index, 0});
  return false;
}

namespace {
constexpr size_t kSpelledChainDepth = 16;
}  // namespace

bool ErrorTrail::InChain(std::string_view field, size_t depth) {
  state().segments.push_back({field, std::nullopt, depth});
  return false;
}

CodecError ErrorTrail::Take(size_t consumed) const {
  CodecError e;
  e.consumed = consumed;
  if (state_ == nullptr) return e;
  const State& s = *state_;
  for (auto it = s.segments.rbegin(); it != s.segments.rend(); ++it) {
    if (!it->name.empty()) {
      if (!e.field.empty()) e.field.push_back('.');
      e.field.append(it->name);
    }
    if (it->index) StrAppend(e.field, "[", *it->index, "]");
    // A deep chain's path stays short: "a.next(x70000)" rather than 70 000 ".next".
    if (it->chain_depth > kSpelledChainDepth) {
      StrAppend(e.field, ".next(x", it->chain_depth, ")");
    } else {
      for (size_t i = 0; i < it->chain_depth; ++i) e.field.append(".next");
    }
  }
  e.reason = s.reason;
  e.offset = s.offset;
  return e;
}

}  // namespace uxcom::xdr::internal
