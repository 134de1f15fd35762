// Watchdog: XCom's tcp_reaper_task, plus the timeouts 8.0.18 lacks.
//
// Every watchdog_period (1 s, like the reaper): an outbound connection idle for
// reaper_idle_timeout (no enqueue, send or dial: `active`) is closed, as 8.0.18 does; any
// connection not negotiated within negotiation_timeout, with a write making no progress for
// write_stall_timeout, or in the middle of a frame that stopped arriving for
// read_stall_timeout is closed too, each with its own reason. A peer that is merely quiet
// between frames is never cut off by the read timeout.
#include "net/timer.h"
#include "xcom/internal/transport_state.h"

namespace uxcom::xcom::internal {
namespace {

// The reason to close `conn` now, if any.
std::optional<CloseReason> Overdue(const Connection& conn, const TransportOptions& o,
                                   net::TimePoint now) {
  if (conn.closed) return std::nullopt;
  if (!conn.negotiated && now - conn.opened_at > o.negotiation_timeout) {
    return CloseReason::kNegotiationTimeout;
  }
  if (conn.write_pending && now - conn.write_progress > o.write_stall_timeout) {
    return CloseReason::kWriteStalled;
  }
  if (conn.read_mid_frame && now - conn.read_progress > o.read_stall_timeout) {
    return CloseReason::kReadStalled;
  }
  return std::nullopt;
}

}  // namespace

net::Task<void> RunWatchdog(std::shared_ptr<TransportState> state) {
  TransportState& st = *state;
  const TransportOptions& o = st.options;
  for (;;) {
    absl::Status slept = co_await net::Sleep(o.watchdog_period);
    if (!slept.ok()) co_return;
    net::TimePoint now = st.executor.Now();
    for (const std::shared_ptr<Server>& s : st.servers.all()) {
      OutboundConnection* conn = s->connection.get();
      if (conn == nullptr || conn->closed) continue;
      if (std::optional<CloseReason> r = Overdue(*conn, o, now)) {
        st.CloseConnection(*conn, true, *r);
      } else if (now - s->active > o.reaper_idle_timeout) {
        st.CloseConnection(*conn, true, CloseReason::kIdle);
      }
    }
    for (InboundConnection* conn : st.inbound_connections) {
      if (std::optional<CloseReason> r = Overdue(*conn, o, now)) {
        st.CloseConnection(*conn, false, *r);
      }
    }
  }
}

}  // namespace uxcom::xcom::internal
