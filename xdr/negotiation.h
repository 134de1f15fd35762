// XCom protocol negotiation frames and decisions (wire-format spec §1.5), without I/O.
//
// The side that dials sends a version request with its highest version; the side that accepts
// answers with the version both will use, echoing the tag; only then do normal frames flow:
//
//   uint16_t tag = kFirstNegotiationTag;                      // per sender task
//   send(FrameHeaderBytes(VersionRequest(kMaxProtocolVersion, tag)));
//   ...                                                        // responder:
//   FrameHeader reply = VersionReply(ChooseVersion(request.version), request.tag);
//   ...                                                        // initiator, on a reply:
//   ReplyDecision d = EvaluateVersionReply(reply, tag);
//   if (d.verdict == ReplyVerdict::kAccept) connection_version = d.version;
//   tag = NextNegotiationTag(tag);
#ifndef UXCOM_XDR_NEGOTIATION_H_
#define UXCOM_XDR_NEGOTIATION_H_

#include <cstdint>

#include "xdr/enums.h"
#include "xdr/frame_header.h"
#include "xdr/protocol_version.h"

namespace uxcom::xdr {

// TAG_START: the first request tag of every sender task; later requests count up mod 2^16.
inline constexpr uint16_t kFirstNegotiationTag = 313;

constexpr uint16_t NextNegotiationTag(uint16_t tag) { return static_cast<uint16_t>(tag + 1); }

// x_version_req proposing `version` (MySQL always proposes its maximum: x_1_6 from 8.0.18,
// x_1_9 from 8.0.27 … 8.4).
constexpr FrameHeader VersionRequest(ProtocolVersion version, uint16_t tag) {
  return {.version = version, .length = 0, .type = MessageType::kVersionReq, .tag = tag};
}

// x_version_reply naming the version chosen for the connection, echoing the request's tag.
constexpr FrameHeader VersionReply(ProtocolVersion chosen, uint16_t request_tag) {
  return {.version = chosen, .length = 0, .type = MessageType::kVersionReply, .tag = request_tag};
}

// The responder's choice for a request of `requested`: the request itself, capped at the
// responder's maximum; x_unknown_proto (0) stays 0 ("no common version", the initiator gives up).
// 8.0.18 and 8.0.39 decide alike (x1_7-x1_9 §3): a peer of either release meets an older one at
// the older one's maximum.
constexpr ProtocolVersion ChooseVersion(ProtocolVersion requested,
                                        ProtocolVersion own_max = kMaxProtocolVersion) {
  if (requested == ProtocolVersion::kUnknown) return ProtocolVersion::kUnknown;
  return requested > own_max ? own_max : requested;
}

enum class ReplyVerdict {
  kAccept,  // use `version` for the connection
  kIgnore,  // the tag answers another request: skip the frame
  kFail,    // version 0 or above our maximum: fail the connection
};

struct ReplyDecision {
  ReplyVerdict verdict = ReplyVerdict::kIgnore;
  ProtocolVersion version = ProtocolVersion::kUnknown;
  friend bool operator==(const ReplyDecision&, const ReplyDecision&) = default;
};

// The initiator's reading of an x_version_reply to the request it sent with `sent_tag`.
constexpr ReplyDecision EvaluateVersionReply(const FrameHeader& reply, uint16_t sent_tag,
                                             ProtocolVersion own_max = kMaxProtocolVersion) {
  if (reply.tag != sent_tag) return {ReplyVerdict::kIgnore, reply.version};
  if (reply.version == ProtocolVersion::kUnknown || reply.version > own_max) {
    return {ReplyVerdict::kFail, reply.version};
  }
  return {ReplyVerdict::kAccept, reply.version};
}

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_NEGOTIATION_H_
