// TcpServer: XCom's tcp_server accept loop.
//
// Every accepted connection is shown to the accept callback (the IP allowlist hook) before a
// byte is read or written; a rejected one is closed at once. After an accept error or a
// rejection the loop pauses rejected_accept_delay (0.1 s), which also rate-limits a rejected
// peer. An accept error is always the listener's own (out of memory, a broken socket):
// net::Listener absorbs and counts one connection's failures (reset before it was accepted)
// and sheds connections while out of descriptors, so the pause cannot let a trickle of resets
// fill the backlog. Each kept connection gets its own task (inbound_connection.cc).
#include <netinet/in.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "net/timer.h"
#include "xcom/internal/transport_state.h"

namespace uxcom::xcom::internal {
namespace {

net::SocketAddress Unmapped(const net::SocketAddress& a) {
  if (!a.is_ipv6()) return a;
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a.data());
  if (!IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) return a;
  sockaddr_in in4{};
  in4.sin_family = AF_INET;
  in4.sin_port = in6->sin6_port;
  std::memcpy(&in4.sin_addr, &in6->sin6_addr.s6_addr[12], 4);
  absl::StatusOr<net::SocketAddress> v4 =
      net::SocketAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&in4), sizeof in4);
  return v4.ok() ? *v4 : a;
}

}  // namespace

net::Task<void> RunTcpServer(std::shared_ptr<TransportState> state) {
  TransportState& st = *state;
  const TransportOptions& o = st.options;
  st.Log(LogLevel::kInfo, "XCom protocol version: ", xdr::DescribeProtocolVersion(o.max_version));
  st.Log(LogLevel::kInfo, "XCom initialized and ready to accept incoming connections on port ",
         st.bound_address.port());
  for (;;) {
    absl::StatusOr<net::Listener::Accepted> a = co_await st.listener->Accept();
    if (!a.ok()) {
      if (absl::IsCancelled(a.status()) || absl::IsFailedPrecondition(a.status())) co_return;
      st.stats.accept_errors.Add();
      st.Log(LogLevel::kWarning, "accept failed: ", a.status().message());
      absl::Status slept = co_await net::Sleep(o.rejected_accept_delay);
      if (!slept.ok()) co_return;
      continue;
    }
    // The dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; show them as IPv4.
    net::SocketAddress peer = Unmapped(a->peer);
    if (o.accept_callback) {
      AcceptInfo info{.fd = a->stream.fd(),
                      .peer = peer,
                      .latest_site = st.sites.empty() ? nullptr : &st.sites.back().site};
      if (!o.accept_callback(info)) {
        st.stats.accepts_rejected.Add();
        st.Log(LogLevel::kInfo, "Connection from ", peer.ToString(),
               " rejected by the accept callback");
        a->stream.Close();
        absl::Status slept = co_await net::Sleep(o.rejected_accept_delay);
        if (!slept.ok()) co_return;
        continue;
      }
    }
    st.stats.accepts.Add();
    st.Log(LogLevel::kDebug, "Accepted connection from ", peer.ToString(), " (fd=", a->stream.fd(),
           ")");
    st.inbound->Spawn(RunInboundConnection(state, std::move(a->stream), peer.ToString()));
  }
}

}  // namespace uxcom::xcom::internal
