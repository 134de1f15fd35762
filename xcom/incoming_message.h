// IncomingMessage: one message delivered to the embedder, with where it came from.
//
// A message arrives on one of three paths, as in XCom: on a connection a peer opened to us
// (kInbound: what XCom's acceptor_learner_task reads; Transport::Reply() answers on that same
// connection), on our own connection to a peer (kOutbound: replies, read by the peer's
// ReplyReader), or from this node itself (kSelf: delivered by the LocalSender, never encoded).
//
// The message and everything it points to stay valid while the IncomingMessage lives. It is
// move-only and recycled when destroyed (no allocation per message in steady state); destroy
// it, and call msg() the first time, on the transport's executor thread (a message this node
// sent itself may be decoded then, from the frame it was sent as). It may outlive the
// Transport.
//
//   absl::StatusOr<IncomingMessage> in = co_await transport.Receive();
//   if (!in.ok()) co_return;                         // kCancelled, or the transport stopped
//   const xdr::PaxMsg& m = in->msg();
//   if (m.op == xdr::PaxOp::kClientMsg) co_await transport.Reply(*in, MakeReply(m));
#ifndef UXCOM_XCOM_INCOMING_MESSAGE_H_
#define UXCOM_XCOM_INCOMING_MESSAGE_H_

#include <cstddef>
#include <string_view>

#include "xcom/internal/object_pool.h"
#include "xdr/pax_msg.h"
#include "xdr/protocol_version.h"

namespace uxcom::xcom {

enum class MessageOrigin {
  kSelf,      // sent by this node to itself
  kOutbound,  // read on the connection this node opened to the sender
  kInbound,   // read on a connection the sender opened to this node
};
const char* MessageOriginName(MessageOrigin origin);

namespace internal {
struct InboundFrame;
struct TransportState;
}  // namespace internal
class Transport;

class IncomingMessage {
 public:
  IncomingMessage() = default;
  IncomingMessage(IncomingMessage&&) noexcept;
  IncomingMessage& operator=(IncomingMessage&&) noexcept;
  ~IncomingMessage();
  IncomingMessage(const IncomingMessage&) = delete;
  IncomingMessage& operator=(const IncomingMessage&) = delete;

  const xdr::PaxMsg& msg() const;
  MessageOrigin origin() const;
  // The connection's negotiated version (kUnknown for kSelf).
  xdr::ProtocolVersion version() const;
  // The peer: the server's configured address (kOutbound, kSelf) or the socket's peer
  // address (kInbound).
  std::string_view peer() const;
  // Frame bytes on the wire, header included (0 for kSelf).
  size_t wire_size() const;
  // Bytes that followed the pax_msg inside its frame (8.0.18 ignores them; so does uxcom).
  size_t trailing_bytes() const;

  explicit operator bool() const { return static_cast<bool>(frame_); }

 private:
  friend class Transport;                  // Reply() answers on the frame's connection
  friend struct internal::TransportState;  // the only maker: Deliver()
  explicit IncomingMessage(internal::PoolRef<internal::InboundFrame> frame);
  internal::InboundFrame* frame() const { return frame_.get(); }

  internal::PoolRef<internal::InboundFrame> frame_;
};

}  // namespace uxcom::xcom

#endif  // UXCOM_XCOM_INCOMING_MESSAGE_H_
