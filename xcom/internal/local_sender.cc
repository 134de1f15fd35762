// LocalSender: XCom's local_sender_task. Delivers this node's messages to itself without a
// socket, asynchronously (on a later turn, never inside the send call) and in FIFO order with
// its other self-messages. The receiver gets the sender's copy, with `to` set to this node, or,
// when the message was compacted to its frame for its other destinations, that frame decoded
// (which is exactly the copy: OutgoingMessage::Compact) with its payloads viewed in the frame:
// never a copy of the payload.
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
    // Compacted: its frame decoded zero-copy, structs only (the frame holds `self` below).
    f->FitArena(InboundFrame::DecodedSizeHint(m->message->compact_version(),
                                              m->message->compact_frame_bytes(),
                                              /*copying=*/false));
    // The sender's copy, or (compacted) its frame decoded into this frame's arena.
    absl::StatusOr<xdr::PaxMsg*> msg = m->message->Expand(*f->arena, f->decoded);
    if (!msg.ok()) {  // cannot happen: a frame is kept only if it decoded to the copy
      st.CountDrop(server.get(), DropReason::kEncodeRefused, nullptr, absl::OkStatus());
      st.Log(LogLevel::kError, "Not delivering to self: ", msg.status().message());
      continue;
    }
    (*msg)->to = m->to;
    f->msg = *msg;
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

}  // namespace uxcom::xcom::internal
