// Encoding a PaxMsg for a protocol version: exact size first, then one pass that writes.
//
// The transport encodes a message once per distinct protocol version among its peers and
// stamps each peer's `to` into its copy (SetFrameTo, at kFrameToOffset):
//
//   uxcom::xdr::Buffer frame;                 // reused: no allocation once it is big enough
//   absl::StatusOr<size_t> n = AppendFrame<ProtocolVersion::kX1_6>(msg, frame);
//   if (!n.ok()) return n.status();          // e.g. "a.body.nodes: count 101 > 100 (NSERVERS)"
//   for (Peer& p : peers_at_x_1_6) {
//     SetFrameTo(frame.span(), p.node);
//     p.Send(frame.span());
//   }
//
// Every encode first checks that the version can carry the message under the profile's rules
// (spec §6, §7; profile.h); a message it refuses is never partially written. The rules:
//
// * Bounds: every count and length within its XDR bound (limits.h) and the profile's (MAXBLOB
//   1024 or 10 000 000, configs 100 or 1024); a node address is at most 1024 bytes at every
//   version, x_1_0 included (stricter than 8.0.18, whose x_1_0 codec has no bound but whose
//   peers and later releases do); the frame within 4 GiB.
// * Union: AppU::arm holds the arm its cargo type selects in the profile's release (ArmOf):
//   a repository for cargo 3 only under 8.0.18, the leader arms of cargo 25 and 26 only under
//   8.0.39; ReplyData::arm likewise.
// * Cargo types newer than the version (get/set_event_horizon before x_1_4,
//   get_synode_app_data before x_1_6, set_max_leaders and set_leaders_type before x_1_9) are
//   refused: an older peer would decode them as a void arm and misparse the rest of the frame
//   (spec §4.16), or refuse them (x1_7-x1_9 §8). MySQL sends them anyway.
// * Fields the version carries must be present: delivered_msg (x_1_2+), event_horizon and
//   config.event_horizon (x_1_4+), node_address.proto (x_1_1+), config.global_node_set and
//   gcs_snapshot.log_end (x_1_7+, and x_1_3 under 8.0.39), node_address.services,
//   config.max_active_leaders and .leaders, synode_app_data.origin (x_1_9).
//   FillDecodeDefaults (decode_defaults.h) gives absent ones the values MySQL would decode.
// * Fields the version does not carry are ignored, as MySQL does (so one message can be
//   encoded for peers of every version), unless reject_fields_absent_in_version is set. A
//   non-empty requested_synode_app_data below x_1_6 is always refused: it would be lost.
// * Booleans go out as 0/1, padding as zeros, doubles bit for bit.
#ifndef UXCOM_XDR_ENCODE_H_
#define UXCOM_XDR_ENCODE_H_

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "xdr/frame_header.h"
#include "xdr/limits.h"
#include "xdr/pax_msg.h"
#include "xdr/profile.h"
#include "xdr/protocol_version.h"

namespace uxcom::xdr {

struct EncodeOptions {
  // Refuse cargo types the version's peers do not know (spec §4.16).
  bool check_cargo_version = true;
  // Bound node addresses by 1024 bytes at x_1_0 too.
  bool bound_x_1_0_address = true;
  // Refuse (rather than ignore) fields the version does not carry.
  bool reject_fields_absent_in_version = false;
  // The release whose rules apply (limits, union arms, x_1_3's layout, the normal frame's tag):
  // the peer's. Versions newer than its release get the newer release's rules (profile.h).
  Profile profile = kDefaultProfile;

  // Exactly what release p's encoder accepts: no cargo check, x_1_0 addresses bounded as p
  // bounds them, fields a version does not carry ignored. For reproducing captured traffic.
  static constexpr EncodeOptions LikeMySql(Profile p) {
    return {.check_cargo_version = false,
            .bound_x_1_0_address = false,
            .reject_fields_absent_in_version = false,
            .profile = p};
  }
  static constexpr EncodeOptions Like8018() { return LikeMySql(Profile::k8_0_18); }
};

// The exact body size of `msg` at V, or why V cannot carry it (InvalidArgument with a
// CodecError naming the field).
template <ProtocolVersion V>
absl::StatusOr<size_t> EncodedSize(const PaxMsg& msg, const EncodeOptions& options = {});
absl::StatusOr<size_t> EncodedSize(ProtocolVersion v, const PaxMsg& msg,
                                   const EncodeOptions& options = {});

// Encodes the body into `dst`, which must hold EncodedSize bytes (OutOfRange otherwise).
// Returns the bytes written.
template <ProtocolVersion V>
absl::StatusOr<size_t> EncodeTo(const PaxMsg& msg, std::span<std::byte> dst,
                                const EncodeOptions& options = {});
absl::StatusOr<size_t> EncodeTo(ProtocolVersion v, const PaxMsg& msg, std::span<std::byte> dst,
                                const EncodeOptions& options = {});

namespace internal {
// Writes a body whose size `size` came from EncodedSize<V> with the same profile (so it is
// known to be encodable).
template <ProtocolVersion V>
void WriteBody(const PaxMsg& msg, std::byte* dst, size_t size, Profile profile);
void WriteBody(ProtocolVersion v, const PaxMsg& msg, std::byte* dst, size_t size, Profile profile);
}  // namespace internal

// A contiguous container of bytes that can grow at the end: xdr::Buffer (grows without
// zero-filling), std::vector<std::byte|uint8_t|char>, std::string (zero-fill on resize).
template <typename B>
concept ByteBuffer = requires(B& b) {
  {b.data()};
  { b.size() } -> std::convertible_to<size_t>;
}
&&sizeof(*std::declval<B&>().data()) == 1 &&
    (
        requires(B & b, size_t n) { b.AppendUninitialized(n); } ||
        requires(B & b, size_t n) { b.resize(n); });

namespace internal {
template <ByteBuffer B>
std::byte* GrowBy(B& b, size_t n) {
  if constexpr (requires { b.AppendUninitialized(n); }) {
    return reinterpret_cast<std::byte*>(b.AppendUninitialized(n));
  } else {
    size_t old = b.size();
    b.resize(old + n);
    return reinterpret_cast<std::byte*>(b.data()) + old;
  }
}
}  // namespace internal

// Appends the body of `msg` at V to `out`; returns its size. Nothing is appended on error.
template <ProtocolVersion V, ByteBuffer B>
absl::StatusOr<size_t> AppendBody(const PaxMsg& msg, B& out, const EncodeOptions& options = {}) {
  absl::StatusOr<size_t> size = EncodedSize<V>(msg, options);
  if (!size.ok()) return size.status();
  internal::WriteBody<V>(msg, internal::GrowBy(out, *size), *size, options.profile);
  return *size;
}

// Appends a whole normal frame (header as the profile's release writes it: tag 0 for 8.0.18,
// 666 for 8.0.39; then the body) to `out`; returns
// the frame size, so the frame is the last that many bytes of `out`. Nothing is appended on
// error.
template <ProtocolVersion V, ByteBuffer B>
absl::StatusOr<size_t> AppendFrame(const PaxMsg& msg, B& out, const EncodeOptions& options = {}) {
  absl::StatusOr<size_t> size = EncodedSize<V>(msg, options);
  if (!size.ok()) return size.status();
  std::byte* p = internal::GrowBy(out, kFrameHeaderSize + *size);
  StoreFrameHeader(NormalFrameHeader(V, static_cast<uint32_t>(*size), options.profile),
                   std::span<std::byte, kFrameHeaderSize>(p, kFrameHeaderSize));
  internal::WriteBody<V>(msg, p + kFrameHeaderSize, *size, options.profile);
  return kFrameHeaderSize + *size;
}

// The same with the version known only at run time (UnsupportedVersionError outside 1..10).
template <ByteBuffer B>
absl::StatusOr<size_t> AppendFrame(ProtocolVersion v, const PaxMsg& msg, B& out,
                                   const EncodeOptions& options = {}) {
  absl::StatusOr<size_t> size = EncodedSize(v, msg, options);
  if (!size.ok()) return size.status();
  std::byte* p = internal::GrowBy(out, kFrameHeaderSize + *size);
  StoreFrameHeader(NormalFrameHeader(v, static_cast<uint32_t>(*size), options.profile),
                   std::span<std::byte, kFrameHeaderSize>(p, kFrameHeaderSize));
  internal::WriteBody(v, msg, p + kFrameHeaderSize, *size, options.profile);
  return kFrameHeaderSize + *size;
}

template <ByteBuffer B>
absl::StatusOr<size_t> AppendBody(ProtocolVersion v, const PaxMsg& msg, B& out,
                                  const EncodeOptions& options = {}) {
  absl::StatusOr<size_t> size = EncodedSize(v, msg, options);
  if (!size.ok()) return size.status();
  internal::WriteBody(v, msg, internal::GrowBy(out, *size), *size, options.profile);
  return *size;
}

#define UXCOM_XDR_DECLARE_ENCODE(V)                                                           \
  extern template absl::StatusOr<size_t> EncodedSize<V>(const PaxMsg&, const EncodeOptions&); \
  extern template absl::StatusOr<size_t> EncodeTo<V>(const PaxMsg&, std::span<std::byte>,     \
                                                     const EncodeOptions&);                   \
  extern template void internal::WriteBody<V>(const PaxMsg&, std::byte*, size_t, Profile);
UXCOM_XDR_FOR_EACH_PROTOCOL_VERSION(UXCOM_XDR_DECLARE_ENCODE)
#undef UXCOM_XDR_DECLARE_ENCODE

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_ENCODE_H_
