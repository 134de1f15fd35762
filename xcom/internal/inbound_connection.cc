// One inbound connection (the transport half of XCom's acceptor_learner_task), from accept
// until it has closed:
//
//   1. accepted (and kept by the accept callback: tcp_server.cc);
//   2. secure: the TLS handshake when TLS is on (SecureInbound, secure_connection.h), before
//      any XCom byte; a failure closes the connection (kTlsHandshakeFailed);
//   3. negotiate: the first frame must be a version request; it is answered (after the IPv6
//      gate), all under WithTimeout(negotiation_timeout), which also bounds port scanners and
//      stalled peers (Bug #109668);
//   4. run: the reader, a child of the connection's scope; Transport::Reply() writes answers
//      on the same connection. Inbound connections are never reaped, as in 8.0.18.
#include "net/timer.h"
#include "xcom/internal/secure_connection.h"
#include "xcom/internal/transport_state.h"

namespace uxcom::xcom::internal {

net::Task<void> RunInboundConnection(std::shared_ptr<TransportState> state, net::Stream stream,
                                     std::string peer) {
  TransportState& st = *state;
  auto conn = std::make_shared<Connection>(st, *st.inbound, std::move(stream), Connection::kInbound,
                                           std::move(peer));
  st.inbound_connections.push_back(conn.get());

  // TLS (when on) before any XCom byte, as 8.0.18's acceptor_learner_task runs SSL_accept.
  absl::Status secured = co_await conn->Run(SecureInbound(st, conn->stream(), conn->peer()));
  if (!secured.ok()) {
    conn->Close(
        absl::IsCancelled(secured) ? CloseReason::kShutdown : CloseReason::kTlsHandshakeFailed,
        secured.message());
    co_await conn->Join();
    std::erase(st.inbound_connections, conn.get());
    co_return;
  }
  net::Task<absl::Status> negotiate =
      net::WithTimeout(st.options.negotiation_timeout, NegotiateInbound(st, *conn));
  absl::Status negotiated = co_await conn->Run(std::move(negotiate));
  if (negotiated.ok()) {
    conn->Spawn(RunReader(state, conn));
  } else if (absl::IsDeadlineExceeded(negotiated)) {
    conn->Close(CloseReason::kNegotiationTimeout, negotiated.message());
  }
  co_await conn->Join();

  std::erase(st.inbound_connections, conn.get());
}

}  // namespace uxcom::xcom::internal
