// Reaper: XCom's tcp_reaper_task, the transport's one periodic task.
//
// Every reaper_period (1 s, like 8.0.18), an outbound connection idle for reaper_idle_timeout
// (no enqueue, write or dial: the server's `active` time) is closed (kIdle); its sender then
// waits for the next message before dialling again. Inbound connections are never reaped, as
// in 8.0.18. Every other timeout is a timer of its connection (connection.h).
#include "net/timer.h"
#include "xcom/internal/transport_state.h"

namespace uxcom::xcom::internal {

net::Task<void> RunReaper(std::shared_ptr<TransportState> state) {
  TransportState& st = *state;
  const TransportOptions& o = st.options;
  for (;;) {
    absl::Status slept = co_await net::Sleep(o.reaper_period);
    if (!slept.ok()) co_return;
    const net::TimePoint now = st.executor.Now();
    for (const std::shared_ptr<Server>& s : st.servers.all()) {
      if (s->connection != nullptr && now - s->active > o.reaper_idle_timeout) {
        s->connection->Close(CloseReason::kIdle);
      }
    }
  }
}

}  // namespace uxcom::xcom::internal
