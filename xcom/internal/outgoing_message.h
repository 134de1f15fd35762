// OutgoingMessage: one logical message on its way to one or more destinations.
//
// A fan-out shares one OutgoingMessage among every destination queue (XCom shares the pax_msg
// by reference). The message is a copy in the object's own arena, so the caller's bytes may go
// away at once. Encoding is lazy and per protocol version, as in XCom (each connection encodes
// with its own negotiated version when the sender takes the message), but happens at most once
// per version: the frame is cached, and each sender stamps its destination's `to` into its own
// copy of the bytes (xdr::SetFrameTo). An encoding error is cached too.
//
// Memory: a message is copied into an arena about its size. Compact(v), called once the
// message is stamped, encodes it at v (the version its site's members have in common) and,
// when decoding that frame gives back exactly the copy, keeps only the frame: a queued 100 B
// message then costs about its encoded size (~200 B) plus this object instead of the copy's
// ~1 KB of structs, a 16 KiB one half of what copy and frame take together. Any other version,
// and delivery to self, decode that frame zero-copy (structs only, payloads viewed in the
// frame, which lives as long as this object). footprint() says what the message holds.
//
// Allocation: none per message once warm. A recycled object keeps its arena and one frame
// buffer while together they hold at most kMaxRetainedBytes (a compacted 16 KiB message's
// frame), so the pool never pins large buffers; larger ones, and an arena given up by
// Compact, go to this thread's MemoryShelf, where the next message of that size finds them.
#ifndef UXCOM_XCOM_INTERNAL_OUTGOING_MESSAGE_H_
#define UXCOM_XCOM_INTERNAL_OUTGOING_MESSAGE_H_

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/executor.h"
#include "xcom/internal/object_pool.h"
#include "xcom/statistics.h"
#include "xdr/arena.h"
#include "xdr/buffer.h"
#include "xdr/decode.h"
#include "xdr/pax_msg.h"
#include "xdr/profile.h"
#include "xdr/protocol_version.h"

namespace uxcom::xcom::internal {

class OutgoingMessage : public Pooled<OutgoingMessage> {
 public:
  // Copies `msg` into this object, to be encoded with `profile`'s rules. Fields some versions
  // carry are given MySQL's decode defaults when absent (xdr::FillDecodeDefaults:
  // delivered_msg the null synode, event_horizon 0, node services 7, …), so that a message
  // built without them still encodes at every version. `sent_at` is when the transport took
  // it (Send): every queue it waits in counts disconnected_message_ttl from then.
  void Assign(const xdr::PaxMsg& msg, xdr::Profile profile, net::TimePoint sent_at);
  net::TimePoint sent_at() const { return sent_at_; }

  // The copy, to stamp it: only before Compact().
  xdr::PaxMsg& msg() { return *msg_; }
  xdr::PaxOp op() const { return op_; }

  // Keeps only the frame at `v` when it decodes to exactly the copy (see above).
  void Compact(xdr::ProtocolVersion v, TransportStatistics& stats);
  bool compact() const { return msg_ == nullptr; }
  // The size of the frame a compacted message keeps (0 if not compacted), and its version
  // (kUnknown if not compacted).
  size_t compact_frame_bytes() const;
  xdr::ProtocolVersion compact_version() const { return compacted_; }
  // The message: the copy, or (compacted) decoded into `into`, in `arena`, with its payloads
  // viewed in this object's frame: valid while `arena` (not reset), `into` and this object
  // are, and until `into` decodes again.
  absl::StatusOr<xdr::PaxMsg*> Expand(xdr::Arena& arena, xdr::ReusablePaxMsg& into) const;

  // The whole frame (header + body) at `v`, encoded on first use. `to` in the returned bytes
  // is whatever msg().to was then: stamp it with xdr::SetFrameTo on your copy.
  absl::StatusOr<std::span<const std::byte>> Frame(xdr::ProtocolVersion v,
                                                   TransportStatistics& stats);

  // Bytes this message holds on the heap: the object, its copy's arena and its frames.
  size_t footprint() const;

  // Pool hook: forget the message and the encodings, keep the memory (large buffers freed).
  void Recycle();

  // Recycled objects give back buffers beyond this size in all, so a burst of large messages
  // does not pin their memory in the pool (the pool keeps at most this much per idle object).
  static constexpr size_t kMaxRetainedBytes = 32 << 10;

 private:
  struct Encoding {
    xdr::ProtocolVersion version = xdr::ProtocolVersion::kUnknown;  // kUnknown: unused
    absl::Status status;
    xdr::Buffer frame;
  };
  Encoding& EncodingFor(xdr::ProtocolVersion v);
  const Encoding* Compacted() const;

  // Ordered so that the object stays 72 B: op_ fills the tail of Pooled (after its count),
  // profile_ the tail of compacted_. One shared object per message, so bytes here are per
  // message; bytes in a queue entry are per message and destination (peer_logic.h).
  xdr::PaxOp op_ = xdr::PaxOp::kClientMsg;
  std::unique_ptr<xdr::Arena> arena_;
  xdr::PaxMsg* msg_ = nullptr;
  net::TimePoint sent_at_{};
  xdr::ProtocolVersion compacted_ = xdr::ProtocolVersion::kUnknown;  // the frame kept
  xdr::Profile profile_ = xdr::kDefaultProfile;
  // One per version encoded, in the order they were needed; a group whose members speak one
  // version needs one. Kept (unused) across recycling with their buffers.
  std::vector<Encoding> encodings_;
};

using OutgoingRef = PoolRef<OutgoingMessage>;
static_assert(sizeof(OutgoingMessage) <= 72, "see the order of OutgoingMessage's members");

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_OUTGOING_MESSAGE_H_
