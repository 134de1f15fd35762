// XCom protocol versions x_1_0 … x_1_9 and what each one carries on the wire.
//
// The version negotiated on a connection selects the layout of every pax_msg body (wire-format
// specs §5 and x1_7-x1_9 §6). The codec is templated over it (`Decode<ProtocolVersion::kX1_6>`),
// and DispatchProtocolVersion turns a number read from a frame header into that compile-time
// parameter:
//
//   absl::StatusOr<size_t> size = uxcom::xdr::DispatchProtocolVersion(
//       header.version, [&](auto v) { return EncodedSize<v.value>(msg); });
//
// Values outside the enumeration are representable (a header can carry any u32), print as
// unknown and are refused by everything that needs a layout.
#ifndef UXCOM_XDR_PROTOCOL_VERSION_H_
#define UXCOM_XDR_PROTOCOL_VERSION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/status/status.h"

namespace uxcom::xdr {

// `enum xcom_proto` of MySQL 8.0.39 (8.0.18 stops at x_1_6). On the wire: a u32 in the frame
// header, an XDR enum (4 bytes) inside x_proto_range. Any other value is kept as is.
enum class ProtocolVersion : uint32_t {
  kUnknown = 0,  // x_unknown_proto: "no common version"
  kX1_0 = 1,
  kX1_1 = 2,   // node_address gains its protocol range
  kX1_2 = 3,   // pax_msg gains delivered_msg
  kX1_3 = 4,   // same wire layout as x_1_2 in 8.0.18
  kX1_4 = 5,   // pax_msg and config gain event_horizon
  kX1_5 = 6,   // same wire layout as x_1_4 (announces IPv6 support)
  kX1_6 = 7,   // pax_msg gains requested_synode_app_data (the newest of MySQL 8.0.18)
  kX1_7 = 8,   // config.global_node_set and gcs_snapshot.log_end (8.0.2x)
  kX1_8 = 9,   // same wire layout as x_1_7 (forced configurations and views ignored)
  kX1_9 = 10,  // node services, config leaders, synode_app_data.origin, pax_msg.rd (8.0.27+)
};

inline constexpr ProtocolVersion kMinProtocolVersion = ProtocolVersion::kX1_0;
// The newest version uxcom speaks (MySQL 8.0.27 … 8.4's maximum): what a probe proposes to learn
// what a member really speaks.
inline constexpr ProtocolVersion kNewestProtocolVersion = ProtocolVersion::kX1_9;
// MySQL 8.0.18's maximum, x_1_6: the default maximum of the transport and of the tools that
// behave like a member (xcom/options.h), configurable up to kNewestProtocolVersion.
inline constexpr ProtocolVersion kMaxProtocolVersion = ProtocolVersion::kX1_6;

constexpr uint32_t ToWire(ProtocolVersion v) { return static_cast<uint32_t>(v); }

// True for x_1_0 … x_1_9, the versions with a body layout.
constexpr bool IsSupported(ProtocolVersion v) {
  return v >= kMinProtocolVersion && v <= kNewestProtocolVersion;
}

// Which version carries which field is part of each structure's schema (pax_msg.h); these
// name the milestones of the version matrix (spec §5.2, x1_7-x1_9 §6.7) for code that needs
// them without a structure at hand.
constexpr bool CarriesNodeProtoRange(ProtocolVersion v) { return v >= ProtocolVersion::kX1_1; }
constexpr bool CarriesDeliveredMsg(ProtocolVersion v) { return v >= ProtocolVersion::kX1_2; }
// pax_msg.event_horizon and config.event_horizon arrive together.
constexpr bool CarriesEventHorizon(ProtocolVersion v) { return v >= ProtocolVersion::kX1_4; }
constexpr bool CarriesRequestedSynodeAppData(ProtocolVersion v) {
  return v >= ProtocolVersion::kX1_6;
}
// The leader features: node services, config leaders, synode_app_data.origin, pax_msg.rd.
constexpr bool CarriesLeaders(ProtocolVersion v) { return v >= ProtocolVersion::kX1_9; }

// "x_1_4" for known values, nullopt otherwise.
std::optional<std::string_view> ProtocolVersionName(ProtocolVersion v);
// "x_1_4 (5)", or "unknown protocol version 9": for messages and logs.
std::string DescribeProtocolVersion(ProtocolVersion v);
// Accepts "x_1_4", "5" or any other decimal u32. nullopt for anything else.
std::optional<ProtocolVersion> ParseProtocolVersion(std::string_view text);

// InvalidArgument naming `v` and the supported range, for versions without a layout.
absl::Status UnsupportedVersionError(ProtocolVersion v);

// A compile-time protocol version as a value: `v.value` is usable as a template argument.
template <ProtocolVersion V>
using VersionConstant = std::integral_constant<ProtocolVersion, V>;

// Calls f(VersionConstant<V>{}) for the supported version v and returns its result, or returns
// UnsupportedVersionError(v) (converted to f's return type, a Status or StatusOr) otherwise.
template <typename F>
auto DispatchProtocolVersion(ProtocolVersion v, F&& f)
    -> decltype(f(VersionConstant<ProtocolVersion::kX1_0>{})) {
  switch (v) {
    case ProtocolVersion::kX1_0:
      return f(VersionConstant<ProtocolVersion::kX1_0>{});
    case ProtocolVersion::kX1_1:
      return f(VersionConstant<ProtocolVersion::kX1_1>{});
    case ProtocolVersion::kX1_2:
      return f(VersionConstant<ProtocolVersion::kX1_2>{});
    case ProtocolVersion::kX1_3:
      return f(VersionConstant<ProtocolVersion::kX1_3>{});
    case ProtocolVersion::kX1_4:
      return f(VersionConstant<ProtocolVersion::kX1_4>{});
    case ProtocolVersion::kX1_5:
      return f(VersionConstant<ProtocolVersion::kX1_5>{});
    case ProtocolVersion::kX1_6:
      return f(VersionConstant<ProtocolVersion::kX1_6>{});
    case ProtocolVersion::kX1_7:
      return f(VersionConstant<ProtocolVersion::kX1_7>{});
    case ProtocolVersion::kX1_8:
      return f(VersionConstant<ProtocolVersion::kX1_8>{});
    case ProtocolVersion::kX1_9:
      return f(VersionConstant<ProtocolVersion::kX1_9>{});
    default:
      return UnsupportedVersionError(v);
  }
}

// Instantiates a template once per supported version: X(kX1_0) … X(kX1_9).
#define UXCOM_XDR_FOR_EACH_PROTOCOL_VERSION(X) \
  X(::uxcom::xdr::ProtocolVersion::kX1_0)      \
  X(::uxcom::xdr::ProtocolVersion::kX1_1)      \
  X(::uxcom::xdr::ProtocolVersion::kX1_2)      \
  X(::uxcom::xdr::ProtocolVersion::kX1_3)      \
  X(::uxcom::xdr::ProtocolVersion::kX1_4)      \
  X(::uxcom::xdr::ProtocolVersion::kX1_5)      \
  X(::uxcom::xdr::ProtocolVersion::kX1_6)      \
  X(::uxcom::xdr::ProtocolVersion::kX1_7)      \
  X(::uxcom::xdr::ProtocolVersion::kX1_8)      \
  X(::uxcom::xdr::ProtocolVersion::kX1_9)

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_PROTOCOL_VERSION_H_
