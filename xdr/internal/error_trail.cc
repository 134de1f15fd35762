#include "xdr/internal/error_trail.h"

#include "xdr/internal/str_cat.h"

namespace uxcom::xdr::internal {

bool ErrorTrail::Fail(std::string reason, std::optional<size_t> offset) {
  failed_ = true;
  reason_ = std::move(reason);
  offset_ = offset;
  segments_.clear();
  return false;
}

bool ErrorTrail::In(std::string_view field) {
  segments_.push_back({field, std::nullopt, 0});
  return false;
}

bool ErrorTrail::In(std::string_view field, size_t index) {
  segments_.push_back({field, index, 0});
  return false;
}

namespace {
constexpr size_t kSpelledChainDepth = 16;
}  // namespace

bool ErrorTrail::InChain(std::string_view field, size_t depth) {
  segments_.push_back({field, std::nullopt, depth});
  return false;
}

CodecError ErrorTrail::Take(size_t consumed) const {
  CodecError e;
  for (auto it = segments_.rbegin(); it != segments_.rend(); ++it) {
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
  e.reason = reason_;
  e.offset = offset_;
  e.consumed = consumed;
  return e;
}

}  // namespace uxcom::xdr::internal
