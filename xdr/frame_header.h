// The 12-byte header in front of every XCom frame (wire-format spec §1.2), the same for every
// protocol version:
//
//   offset 0  u32  version   protocol version of the body (or proposed/chosen, negotiation)
//          4  u32  length    body bytes after the header (0 for negotiation frames)
//          8  u8   type      x_msg_type: 0 normal, 1 version request, 2 version reply
//          9  u16  tag       negotiation correlation id (normal frames: 0 from 8.0.18, 666
//                            from 8.0.39; receivers ignore it)
//         11  u8   unused    0 on send, ignored on receipt
//
// Every 12-byte pattern is a header; what a receiver makes of it is in the transport.
//
//   std::array<std::byte, kFrameHeaderSize> raw;
//   read_exactly(socket, raw);
//   FrameHeader h = LoadFrameHeader(raw);
//   if (h.type == MessageType::kNormal) read_exactly(socket, body.AppendUninitialized(h.length));
#ifndef UXCOM_XDR_FRAME_HEADER_H_
#define UXCOM_XDR_FRAME_HEADER_H_

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>

#include "xdr/big_endian.h"
#include "xdr/enums.h"
#include "xdr/limits.h"
#include "xdr/profile.h"
#include "xdr/protocol_version.h"

namespace uxcom::xdr {

struct FrameHeader {
  ProtocolVersion version = ProtocolVersion::kUnknown;
  uint32_t length = 0;
  MessageType type = MessageType::kNormal;
  uint16_t tag = 0;
  uint8_t unused = 0;
  friend bool operator==(const FrameHeader&, const FrameHeader&) = default;
};

inline void StoreFrameHeader(const FrameHeader& h, std::span<std::byte, kFrameHeaderSize> dst) {
  StoreBigEndian32(&dst[0], ToWire(h.version));
  StoreBigEndian32(&dst[4], h.length);
  dst[8] = static_cast<std::byte>(h.type);
  StoreBigEndian16(&dst[9], h.tag);
  dst[11] = static_cast<std::byte>(h.unused);
}

inline std::array<std::byte, kFrameHeaderSize> FrameHeaderBytes(const FrameHeader& h) {
  std::array<std::byte, kFrameHeaderSize> out;
  StoreFrameHeader(h, out);
  return out;
}

inline FrameHeader LoadFrameHeader(std::span<const std::byte, kFrameHeaderSize> src) {
  return {
      .version = static_cast<ProtocolVersion>(LoadBigEndian32(&src[0])),
      .length = LoadBigEndian32(&src[4]),
      .type = static_cast<MessageType>(src[8]),
      .tag = LoadBigEndian16(&src[9]),
      .unused = static_cast<uint8_t>(src[11]),
  };
}

// The header of a normal frame as release `p` writes it at v: tag 0 (8.0.18) or 666 (8.0.39,
// and every release at x_1_7+), unused byte 0.
constexpr FrameHeader NormalFrameHeader(ProtocolVersion v, uint32_t body_length,
                                        Profile p = kDefaultProfile) {
  return {.version = v,
          .length = body_length,
          .type = MessageType::kNormal,
          .tag = RulesOf(EffectiveProfile(p, v)).normal_frame_tag};
}

// True for the types 8.0.18 knows that carry no body (version request and reply). Frames of
// any other non-zero type are skipped by 8.0.18 without reading a body either (spec §1.6).
constexpr bool IsNegotiation(MessageType t) {
  return t == MessageType::kVersionReq || t == MessageType::kVersionReply;
}

// Overwrites pax_msg.to in an encoded frame (at kFrameToOffset): how one encoding serves every
// peer of a protocol version. `frame` starts at the header.
inline void SetFrameTo(std::span<std::byte> frame, uint32_t to) {
  assert(frame.size() >= kFrameToOffset + 4);
  StoreBigEndian32(&frame[kFrameToOffset], to);
}

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_FRAME_HEADER_H_
