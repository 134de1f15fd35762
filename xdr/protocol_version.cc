#include "xdr/protocol_version.h"

#include <charconv>

#include "xdr/enums.h"
#include "xdr/internal/str_cat.h"

namespace uxcom::xdr {

std::optional<std::string_view> ProtocolVersionName(ProtocolVersion v) { return EnumName(v); }

std::string DescribeProtocolVersion(ProtocolVersion v) {
  if (std::optional<std::string_view> name = ProtocolVersionName(v)) {
    return internal::StrCat(*name, " (", ToWire(v), ")");
  }
  return internal::StrCat("unknown protocol version ", ToWire(v));
}

std::optional<ProtocolVersion> ParseProtocolVersion(std::string_view text) {
  if (std::optional<ProtocolVersion> named = EnumFromName<ProtocolVersion>(text)) return named;
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return static_cast<ProtocolVersion>(value);
}

absl::Status UnsupportedVersionError(ProtocolVersion v) {
  return absl::InvalidArgumentError(internal::StrCat(DescribeProtocolVersion(v),
                                                     " has no wire layout: uxcom speaks x_1_0 (1) "
                                                     "through x_1_9 (10)"));
}

}  // namespace uxcom::xdr
