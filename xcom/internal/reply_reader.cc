// ReplyReader: XCom's reply_handler_task, for one outbound connection.
//
// It reads the connection the Sender dialled: first the peer's x_version_reply (a reply with
// another tag is stale and ignored; version 0 or one we cannot speak fails the connection),
// then whatever the peer sends back on it. Every byte read refreshes the server's `detected`
// time. 8.0.18 keeps one such task per server that polls for a connection every back-off
// step; uxcom spawns one per connection from the Sender, which then knows exactly when it
// ends. A message from an invalidated server is read but not delivered, as in 8.0.18.
#include "absl/strings/str_cat.h"
#include "xcom/internal/read_frames.h"

namespace uxcom::xcom::internal {
namespace {

class ReplyPolicy {
 public:
  static constexpr bool gate_ipv6 = false;

  ReplyPolicy(TransportState& st, const std::shared_ptr<Server>& server, OutboundConnection& conn)
      : st_(st), server_(server), conn_(conn) {}

  void OnBytes() {
    conn_.read_progress = st_.executor.Now();
    server_->detected = conn_.read_progress;
  }

  // Frames are judged whole (8.0.18 reads a reply before anything else is sent anyway).
  FrameAction OnHeader(const xdr::FrameHeader&) { return {}; }

  FrameAction OnFrame(const FrameBuffer::Next& f) {
    switch (f.header.type) {
      case xdr::MessageType::kVersionReply:
        return OnReply(f.header);
      case xdr::MessageType::kVersionReq: {
        FrameAction a;
        a.kind = FrameAction::kAnswerRequest;
        a.request = f.header;
        return a;
      }
      case xdr::MessageType::kNormal: {
        TransportState::Decoded d = st_.DecodeNormalFrame(conn_, f, MessageOrigin::kOutbound);
        if (!d.frame) return FrameAction::Close(d.reason, std::move(d.detail));
        if (server_->invalid) {
          st_.stats.ignored_from_invalid.Add();
          return {};
        }
        d.frame->server = server_;
        d.frame->peer = server_->address;
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
  FrameAction OnReply(const xdr::FrameHeader& h) {
    const TransportOptions& o = st_.options;
    xdr::ReplyDecision d = xdr::EvaluateVersionReply(h, conn_.sent_tag, o.max_version);
    if (d.verdict == xdr::ReplyVerdict::kIgnore) {
      st_.stats.ignored_control_frames.Add();
      st_.Log(LogLevel::kDebug, "Ignoring a version reply with tag ", h.tag, " from ",
              server_->address, " (expected tag ", conn_.sent_tag, ")");
      return {};
    }
    if (d.verdict == xdr::ReplyVerdict::kFail || d.version < o.min_version) {
      return FrameAction::Close(
          CloseReason::kNegotiationRefused,
          absl::StrCat("peer answered ", xdr::DescribeProtocolVersion(h.version),
                       "; this node speaks ", xdr::DescribeProtocolVersion(o.min_version), " to ",
                       xdr::DescribeProtocolVersion(o.max_version)));
    }
    conn_.version = d.version;
    conn_.negotiated = true;
    st_.stats.negotiations.Add();
    st_.Log(LogLevel::kInfo, "Negotiated protocol ", xdr::DescribeProtocolVersion(d.version),
            " with ", server_->address, " (tag ", h.tag, ")");
    conn_.negotiation_done.Set();
    return {};
  }

  TransportState& st_;
  const std::shared_ptr<Server>& server_;
  OutboundConnection& conn_;
};

}  // namespace

net::Task<void> RunReplyReader(std::shared_ptr<TransportState> state,
                               std::shared_ptr<Server> server,
                               std::shared_ptr<OutboundConnection> connection) {
  ReplyPolicy policy(*state, server, *connection);
  co_await ReadFrames(state, *connection, /*outbound=*/true, policy);
  state->CloseConnection(*connection, true, CloseReason::kShutdown);  // if the inbox closed
  connection->negotiation_done.Set();  // release a Sender still waiting for the reply
  if (connection->close_reason == CloseReason::kPeerClosed && !connection->negotiated &&
      state->tls == nullptr) {
    // What a node requiring TLS does with a plaintext version request (8.0.18 as well).
    state->Log(LogLevel::kWarning, server->address,
               " closed the connection without answering the version request: does it require "
               "TLS (ssl_mode REQUIRED or stricter) while this node has it off?");
  }
  switch (connection->close_reason) {
    case CloseReason::kIdle:
    case CloseReason::kShutdown:
    case CloseReason::kServerCollected:
      break;
    default:
      // The connection broke: wake the Sender so that it reconnects now, not at the next
      // message. It can only be waiting on an empty queue, so a marker is pushed only then:
      // markers never pile up or take room from messages.
      if (server->queue.empty()) (void)server->queue.TryPush(QueuedMessage{});
  }
}

}  // namespace uxcom::xcom::internal
