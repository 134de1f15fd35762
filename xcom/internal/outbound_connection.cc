// One outbound connection to a server, from the moment TCP is up until it has closed.
//
//   1. connected: PeerLogic picks the negotiation tag; `active` is refreshed (a dial counts);
//   2. secure: already done by the dial when TLS is on (DialServer, secure_connection.h), so
//      no XCom byte is written in the clear;
//   3. negotiate: x_version_req and its reply, under WithTimeout(negotiation_timeout); nothing
//      else is written before it succeeds;
//   4. run: the write pump and the reader, children of the connection's scope; the first to
//      end closes the connection with its reason and the other is cancelled.
//
// The connection is the server's `connection` while it lives (the reaper and shut_srv close
// it through that), and PeerLogic learns how it ended, which decides the next dial.
#include "net/timer.h"
#include "xcom/internal/transport_state.h"

namespace uxcom::xcom::internal {

net::Task<void> RunOutboundConnection(std::shared_ptr<TransportState> state,
                                      std::shared_ptr<Server> server, net::Stream stream) {
  TransportState& st = *state;
  Server& s = *server;
  auto conn = std::make_shared<Connection>(st, *s.scope, std::move(stream), Connection::kOutbound,
                                           s.address);
  conn->server = server;
  s.connection = conn;
  s.active = st.executor.Now();
  const uint16_t tag = s.peer.OnConnected(st.executor.Now());
  st.Log(LogLevel::kInfo, "Connected to ", s.address, " (fd=", conn->fd(), ")");

  net::Task<absl::StatusOr<xdr::ProtocolVersion>> negotiate =
      net::WithTimeout(st.options.negotiation_timeout, NegotiateOutbound(st, *conn, tag));
  absl::StatusOr<xdr::ProtocolVersion> version = co_await conn->Run(std::move(negotiate));
  if (version.ok()) {
    s.peer.OnNegotiated(*version);
    s.ready.Set();
    conn->Spawn(RunWritePump(state, server, conn));
    conn->Spawn(RunReader(state, conn));
  } else if (absl::IsDeadlineExceeded(version.status())) {
    conn->Close(CloseReason::kNegotiationTimeout, version.status().message());
  }
  co_await conn->Join();

  s.ready.Reset();
  s.peer.OnConnectionEnded(st.executor.Now(), conn->close_reason());
  s.connection.reset();
  conn->server.reset();
  conn->ReleaseBuffers();
}

}  // namespace uxcom::xcom::internal
