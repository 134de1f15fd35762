// InboundFrame: the pooled storage behind an IncomingMessage.
//
// A frame read from a socket is decoded into the frame's own arena (payload bytes copied
// once, from the receive buffer into the arena), so the receive buffer is free for the next
// frame at once. A self-delivered message instead shares the sender's OutgoingMessage.
#ifndef UXCOM_XCOM_INTERNAL_INBOUND_FRAME_H_
#define UXCOM_XCOM_INTERNAL_INBOUND_FRAME_H_

#include <cstddef>
#include <memory>
#include <string>

#include "xcom/incoming_message.h"
#include "xcom/internal/connection.h"
#include "xcom/internal/object_pool.h"
#include "xcom/internal/outgoing_message.h"
#include "xdr/arena.h"
#include "xdr/pax_msg.h"

namespace uxcom::xcom::internal {

class Server;

struct InboundFrame : Pooled<InboundFrame> {
  static constexpr size_t kMaxRetainedBytes = 1 << 20;

  std::unique_ptr<xdr::Arena> arena = std::make_unique<xdr::Arena>();
  const xdr::PaxMsg* msg = nullptr;
  MessageOrigin origin = MessageOrigin::kSelf;
  xdr::ProtocolVersion version = xdr::ProtocolVersion::kUnknown;
  size_t wire_size = 0;
  size_t trailing_bytes = 0;
  OutgoingRef self;                     // kSelf: the message itself
  std::shared_ptr<Connection> inbound;  // kInbound: where Reply() writes
  std::shared_ptr<Server> server;       // kOutbound, kSelf: the peer's server
  std::string_view peer;                // points into the connection or server, kept alive above

  void Recycle() {
    msg = nullptr;
    self.Release();
    inbound.reset();
    server.reset();
    peer = {};
    wire_size = trailing_bytes = 0;
    if (arena->capacity() > kMaxRetainedBytes) {
      arena = std::make_unique<xdr::Arena>();
    } else {
      arena->Reset();
    }
  }
};

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_INBOUND_FRAME_H_
