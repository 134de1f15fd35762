// One inbound connection (the transport half of XCom's acceptor_learner_task), from accept
// until it has closed:
//
//   1. accepted (and kept by the accept callback: tcp_server.cc), unless this node already has
//      max_inbound_connections inbound connections or max_inbound_per_address from the same
//      IP address: then it is closed at once (kTooManyConnections), costing no other;
//   2. secure: the TLS handshake when TLS is on (SecureInbound, secure_connection.h), before
//      any XCom byte; a failure closes the connection (kTlsHandshakeFailed);
//   3. negotiate: the first frame must be a version request; it is answered (after the IPv6
//      gate), all under WithTimeout(negotiation_timeout), which also bounds port scanners and
//      stalled peers (Bug #109668);
//   4. run: the reader, a child of the connection's scope; Transport::Reply() writes answers
//      on the same connection. Inbound connections are never reaped, as in 8.0.18.
#include "absl/strings/str_cat.h"
#include "net/timer.h"
#include "xcom/internal/secure_connection.h"
#include "xcom/internal/transport_state.h"

namespace uxcom::xcom::internal {

namespace {

// Why `conn` may not stay (empty: it may): the inbound connection limits.
std::string OverLimit(const TransportState& st, const Connection& conn) {
  const TransportOptions& o = st.options;
  if (st.inbound_connections.size() > o.max_inbound_connections) {
    return absl::StrCat(o.max_inbound_connections,
                        " inbound connections already (max_inbound_connections)");
  }
  size_t same = 0;
  for (const Connection* c : st.inbound_connections) same += c->host() == conn.host() ? 1 : 0;
  if (same > o.max_inbound_per_address) {
    return absl::StrCat(o.max_inbound_per_address, " inbound connections from ", conn.host(),
                        " already (max_inbound_per_address)");
  }
  return "";
}

}  // namespace

net::Task<void> RunInboundConnection(std::shared_ptr<TransportState> state, net::Stream stream,
                                     net::SocketAddress peer) {
  TransportState& st = *state;
  auto conn = std::make_shared<Connection>(st, *st.inbound, std::move(stream), Connection::kInbound,
                                           peer.ToString(), peer.HostString());
  st.inbound_connections.push_back(conn.get());
  if (std::string over = OverLimit(st, *conn); !over.empty()) {
    conn->Close(CloseReason::kTooManyConnections, over);
    std::erase(st.inbound_connections, conn.get());
    co_return;
  }

  // TLS (when on) before any XCom byte, as 8.0.18's acceptor_learner_task runs SSL_accept.
  absl::Status secured = co_await conn->Run(SecureInbound(st, conn->stream(), conn->peer()));
  if (!secured.ok()) {
    conn->Close(
        absl::IsCancelled(secured) ? CloseReason::kShutdown : CloseReason::kTlsHandshakeFailed,
        secured.message());
    co_await conn->Join();
    std::erase(st.inbound_connections, conn.get());
    conn->ReleaseBuffers();
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
  conn->ReleaseBuffers();
}

}  // namespace uxcom::xcom::internal
