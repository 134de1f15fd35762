// LocalSender: XCom's local_sender_task. Delivers this node's messages to itself without a
// socket, asynchronously (on a later turn, never inside the send call) and in FIFO order with
// its other self-messages. The message is not encoded: the receiver gets the sender's copy,
// with `to` set to this node.
#include "xcom/internal/transport_state.h"

namespace uxcom::xcom::internal {

net::Task<void> RunLocalSender(std::shared_ptr<TransportState> state,
                               std::shared_ptr<Server> server) {
  TransportState& st = *state;
  for (;;) {
    server->NoteIfDrained();
    absl::StatusOr<QueuedMessage> m = co_await server->peer.queue().Pop();
    if (!m.ok()) co_return;  // cancelled, or the queue closed
    xdr::PaxMsg& msg = m->message->msg();
    msg.to = m->to;
    PoolRef<InboundFrame> f = st.self_frames.Acquire();
    f->msg = &msg;
    f->origin = MessageOrigin::kSelf;
    f->self = std::move(m->message);
    f->server = server;
    f->peer = server->address;
    net::TimePoint now = st.executor.Now();
    server->detected = now;  // dispatch_op notes every message, its own included
    server->peer.OnDeliveredLocally();
    st.stats.self_deliveries.Add();
    absl::Status pushed = co_await st.Deliver(std::move(f));
    if (!pushed.ok()) co_return;
  }
}

}  // namespace uxcom::xcom::internal
