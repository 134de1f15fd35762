// LocalSender: XCom's local_sender_task. Delivers this node's messages to itself without a
// socket, asynchronously (on a later turn, never inside the send call) and in FIFO order with
// its other self-messages. The receiver gets the sender's copy, with `to` set to this node, or,
// when the message was compacted to its frame for its other destinations, that frame decoded
// (which is exactly the copy: OutgoingMessage::Compact) with its payloads viewed in the frame:
// never a copy of the payload. That decode happens when the message is first read
// (InboundFrame::Message()), so what waits in the inbox holds no arena.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "xcom/internal/transport_state.h"

namespace uxcom::xcom::internal {

net::Task<void> RunLocalSender(std::shared_ptr<TransportState> state,
                               std::shared_ptr<Server> server) {
  TransportState& st = *state;
  for (;;) {
    server->NoteIfDrained();
    absl::StatusOr<QueuedMessage> m = co_await server->peer.queue().Pop();
    if (!m.ok()) co_return;  // cancelled, or the queue closed
    // Room in inbox_bytes first, for what the delivery will hold (the frame, the message).
    const size_t estimate = sizeof(InboundFrame) + m->message->footprint();
    while (!st.inbox_bytes->HasRoom(estimate)) {
      st.inbox_bytes->room().Reset();
      absl::Status room = co_await st.inbox_bytes->room().Wait();
      if (!room.ok()) co_return;
    }
    PoolRef<InboundFrame> f = st.self_frames.Acquire();
    if (m->message->compact()) {
      f->self_to = m->to;  // decoded when first read: InboundFrame::Message()
    } else {
      xdr::PaxMsg& copy = m->message->msg();  // the sender's copy, stamped
      copy.to = m->to;
      f->msg = &copy;
    }
    f->origin = MessageOrigin::kSelf;
    f->self = std::move(m->message);
    f->server = server;
    f->peer = server->address;
    net::TimePoint now = st.executor.Now();
    server->detected = now;  // dispatch_op notes every message, its own included
    server->peer.OnDeliveredLocally();
    st.stats.self_deliveries.Add();
    const size_t cost = TransportState::InboxCost(*f);
    absl::Status pushed = co_await st.Deliver(std::move(f), cost);
    if (!pushed.ok()) co_return;
  }
}

void InboundFrame::DecodeSelf() {
  const size_t charged = PendingDecodeBytes() + DecodeBytes();  // on delivery (InboxCost)
  FitArena(PendingArenaHint());
  absl::StatusOr<xdr::PaxMsg*> decoded_self = self->Expand(*arena, Decoded());
  if (!decoded_self.ok()) {  // a broken invariant (see Message()), never input: stop loudly
    std::fprintf(stderr, "uxcom: a compacted self-delivery no longer decodes: %s\n",
                 std::string(decoded_self.status().message()).c_str());
    std::abort();
  }
  (*decoded_self)->to = self_to;
  msg = *decoded_self;
  // An arena from the shelf may be larger than the hint, and a decode may outgrow its first
  // block: the difference is charged too.
  if (inbox_budget != nullptr && DecodeBytes() > charged) {
    decode_charge = inbox_budget->Take(DecodeBytes() - charged);
  }
}

}  // namespace uxcom::xcom::internal
