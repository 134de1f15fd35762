// OutgoingMessage: one logical message on its way to one or more destinations.
//
// A fan-out shares one OutgoingMessage among every destination queue (XCom shares the pax_msg
// by reference). The message is a copy in the object's own arena, so the caller's bytes may go
// away at once. Encoding is lazy and per protocol version, as in XCom (each connection encodes
// with its own negotiated version when the sender takes the message), but happens at most once
// per version: the frame is cached, and each sender stamps its destination's `to` into its own
// copy of the bytes (xdr::SetFrameTo). An encoding error is cached too.
#ifndef UXCOM_XCOM_INTERNAL_OUTGOING_MESSAGE_H_
#define UXCOM_XCOM_INTERNAL_OUTGOING_MESSAGE_H_

#include <array>
#include <cstddef>
#include <memory>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "xcom/internal/object_pool.h"
#include "xcom/statistics.h"
#include "xdr/arena.h"
#include "xdr/buffer.h"
#include "xdr/pax_msg.h"
#include "xdr/profile.h"
#include "xdr/protocol_version.h"

namespace uxcom::xcom::internal {

class OutgoingMessage : public Pooled<OutgoingMessage> {
 public:
  // Copies `msg` into this object, to be encoded with `profile`'s rules. Fields some versions
  // carry are given MySQL's decode defaults when absent (xdr::FillDecodeDefaults:
  // delivered_msg the null synode, event_horizon 0, node services 7, …), so that a message
  // built without them still encodes at every version.
  void Assign(const xdr::PaxMsg& msg, xdr::Profile profile);

  xdr::PaxMsg& msg() { return *msg_; }
  const xdr::PaxMsg& msg() const { return *msg_; }

  // The whole frame (header + body) at `v`, encoded on first use. `to` in the returned bytes
  // is whatever msg().to was then: stamp it with xdr::SetFrameTo on your copy.
  absl::StatusOr<std::span<const std::byte>> Frame(xdr::ProtocolVersion v,
                                                   TransportStatistics& stats);

  // Pool hook: forget the message and the encodings, keep the memory (large buffers freed).
  void Recycle();

 private:
  struct Encoding {
    bool done = false;
    absl::Status status;
    xdr::Buffer frame;
  };
  // Recycled objects give back buffers above this size, so a burst of large messages does not
  // pin their memory in the pool.
  static constexpr size_t kMaxRetainedBytes = 1 << 20;

  std::unique_ptr<xdr::Arena> arena_ = std::make_unique<xdr::Arena>();
  xdr::PaxMsg* msg_ = nullptr;
  xdr::Profile profile_ = xdr::kDefaultProfile;
  // Indexed by protocol version 1 … 10.
  std::array<Encoding, xdr::ToWire(xdr::kNewestProtocolVersion) + 1> encodings_;
};

using OutgoingRef = PoolRef<OutgoingMessage>;

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_OUTGOING_MESSAGE_H_
