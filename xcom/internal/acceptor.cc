// Acceptor: the transport half of XCom's acceptor_learner_task, one per inbound connection.
//
// With TLS on, the connection is secured first (secure_connection.h). The first frame must be a
// version request (a TLS ClientHello reaching this node with TLS off is named as such): it is
// answered with min(request, our maximum)
// (x_unknown_proto when nothing in common), after the IPv6 eligibility gate for older peers.
// Every later normal frame must carry the negotiated version. Decoded messages go to the
// inbox with the connection attached, so Transport::Reply() can answer on it. The peer's
// server is found from the `from` and group of its messages (find_site_def + get_server), and
// from then on every byte read refreshes that server's `detected` time; the connection holds
// a reference to it (8.0.18 caches the pointer without one).
#include "absl/strings/str_cat.h"
#include "xcom/internal/read_frames.h"
#include "xcom/internal/secure_connection.h"

namespace uxcom::xcom::internal {
namespace {

class AcceptorPolicy {
 public:
  static constexpr bool gate_ipv6 = true;

  AcceptorPolicy(TransportState& st, const std::shared_ptr<InboundConnection>& conn)
      : st_(st), conn_(conn) {}

  void OnBytes() { st_.NoteInboundBytes(*conn_); }

  // The first frame must be a version request; anything else (a normal frame, a stray reply,
  // bytes of another protocol) ends the connection as soon as its header is seen.
  FrameAction OnHeader(const xdr::FrameHeader& h) {
    if (conn_->negotiated || h.type == xdr::MessageType::kVersionReq) return {};
    if (LooksLikeTlsRecord(h)) {
      return FrameAction::Close(CloseReason::kTlsMismatch,
                                "a TLS ClientHello where a version request was expected: the "
                                "peer has TLS on (ssl_mode REQUIRED or stricter), this node off");
    }
    return FrameAction::Close(CloseReason::kNotNegotiated,
                              absl::StrCat("the first frame must be a version request, got type ",
                                           static_cast<int>(h.type), " version ",
                                           static_cast<uint32_t>(h.version), " length ", h.length));
  }

  FrameAction OnFrame(const FrameBuffer::Next& f) {
    switch (f.header.type) {
      case xdr::MessageType::kVersionReq: {
        FrameAction a;
        a.kind = FrameAction::kAnswerRequest;
        a.request = f.header;
        return a;
      }
      case xdr::MessageType::kVersionReply:
        st_.stats.ignored_control_frames.Add();  // we sent no request on this connection
        return {};
      case xdr::MessageType::kNormal: {
        TransportState::Decoded d = st_.DecodeNormalFrame(*conn_, f, MessageOrigin::kInbound);
        if (!d.frame) return FrameAction::Close(d.reason, std::move(d.detail));
        Associate(*d.frame->msg);
        d.frame->inbound = conn_;
        d.frame->server = conn_->server;
        FrameAction a;
        a.kind = FrameAction::kDeliver;
        a.frame = std::move(d.frame);
        return a;
      }
    }
    st_.stats.ignored_control_frames.Add();
    return {};
  }

 private:
  void Associate(const xdr::PaxMsg& msg) {
    if (msg.op == xdr::PaxOp::kClientMsg) return;  // clients are not members
    InboundConnection& c = *conn_;
    if (c.server_lookup_generation == st_.sites_generation && c.server_lookup_from == msg.from &&
        c.server_lookup_group == msg.group_id) {
      return;
    }
    c.server_lookup_generation = st_.sites_generation;
    c.server_lookup_from = msg.from;
    c.server_lookup_group = msg.group_id;
    c.server = st_.ServerOf(msg);
    if (c.server != nullptr) c.server->detected = st_.executor.Now();
  }

  TransportState& st_;
  const std::shared_ptr<InboundConnection>& conn_;
};

}  // namespace

net::Task<void> RunAcceptor(std::shared_ptr<TransportState> state,
                            std::shared_ptr<InboundConnection> connection) {
  TransportState& st = *state;
  st.inbound_connections.push_back(connection.get());
  // TLS (when on) before any frame, as 8.0.18's acceptor_learner_task runs SSL_accept.
  absl::Status secured = co_await SecureInbound(st, connection->stream, connection->peer);
  if (!secured.ok()) {
    st.CloseConnection(
        *connection, false,
        absl::IsCancelled(secured) ? CloseReason::kShutdown : CloseReason::kTlsHandshakeFailed,
        secured.message());
    std::erase(st.inbound_connections, connection.get());
    co_return;
  }
  AcceptorPolicy policy(st, connection);
  co_await ReadFrames(state, *connection, /*outbound=*/false, policy);
  st.CloseConnection(*connection, false, CloseReason::kShutdown);
  std::erase(st.inbound_connections, connection.get());
}

}  // namespace uxcom::xcom::internal
