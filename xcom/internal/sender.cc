// Sender: XCom's sender_task for one remote server — dial, run the connection, back off.
//
//   dial:     TCP connect (the name resolved off the executor), within connect_timeout, then
//             the TLS handshake when TLS is on (DialServer, secure_connection.h);
//   run:      RunOutboundConnection (outbound_connection.cc) until that connection closes;
//   back off: PeerLogic says when to dial again — at once after a connection that negotiated,
//             after the back-off step after a failed dial or a connection that never
//             negotiated (queued messages expire by age meanwhile, each at exactly
//             disconnected_message_ttl), and, after the reaper closed an idle connection, only
//             when a message is queued.
//
// Unlike 8.0.18, the sender learns at once that its connection broke (the connection's scope
// ends), not at the next enqueue, and a message it had taken but not written is kept for the
// next connection instead of being lost.
#include <algorithm>

#include "net/stream.h"
#include "net/timer.h"
#include "xcom/internal/secure_connection.h"
#include "xcom/internal/transport_state.h"

namespace uxcom::xcom::internal {
namespace {

net::Task<absl::StatusOr<net::Stream>> Dial(TransportState& st, const Server& s) {
  st.stats.dials.Add();
  st.Log(LogLevel::kDebug, "Connecting to ", s.address);
  absl::StatusOr<net::Stream> stream = co_await DialServer(st, s);  // TCP, then TLS if on
  if (!stream.ok() && !absl::IsCancelled(stream.status())) {
    st.stats.dial_failures.Add();
    st.Log(LogLevel::kDebug, "Connection to ", s.address, " failed: ", stream.status().message());
  }
  co_return stream;
}

// Waits until PeerLogic says to dial again, expiring queued messages meanwhile. False when the
// sender is cancelled.
net::Task<bool> AwaitRedial(TransportState& st, Server& s) {
  for (;;) {
    const net::TimePoint now = st.executor.Now();
    st.DropExpired(s, now);
    const PeerLogic::NextDial next = s.peer.next_dial(now);
    if (next.kind == PeerLogic::NextDial::kNow) co_return true;
    s.NoteIfDrained();
    if (next.kind == PeerLogic::NextDial::kAt) {
      absl::Status slept = co_await net::SleepUntil(std::min(next.at, s.peer.NextExpiry()));
      if (!slept.ok()) co_return false;
      continue;
    }
    // kWhenQueued: the connection idled out; the next message brings it back.
    absl::StatusOr<QueuedMessage> m = co_await s.peer.queue().Pop();
    if (!m.ok()) co_return false;
    s.peer.Hold(*std::move(m));
    co_return true;
  }
}

}  // namespace

net::Task<void> RunSender(std::shared_ptr<TransportState> state, std::shared_ptr<Server> server) {
  TransportState& st = *state;
  Server& s = *server;
  for (;;) {
    absl::StatusOr<net::Stream> stream = co_await Dial(st, s);
    if (stream.ok()) {
      co_await RunOutboundConnection(state, server, *std::move(stream));
    } else if (absl::IsCancelled(stream.status())) {
      break;
    } else {
      s.peer.OnDialFailed(st.executor.Now());
    }
    const bool redial = co_await AwaitRedial(st, s);
    if (!redial) break;
  }
  // Cancelled: the server is collected or the transport stops. ShutServer() dropped what was
  // queued; a message held since then is counted here.
  if (uint64_t left = s.peer.DropAll(); left != 0) {
    st.CountDrop(&s, st.stopped ? DropReason::kShutdown : DropReason::kServerCollected, nullptr,
                 absl::OkStatus(), left);
  }
}

}  // namespace uxcom::xcom::internal
