// Protocol negotiation on a connection, the step between connecting and running it.
//
// Outbound (8.0.18's start_protocol_negotiation + the reply handler's first read): write
// x_version_req with our maximum and this connection's tag, then read until the reply with
// that tag decides. A reply with another tag is stale and skipped; version 0, one above our
// maximum or below our minimum fails the connection (kNegotiationRefused). A version request
// from the peer meanwhile is answered (8.0.18's read_msg does) but negotiates nothing, and a
// normal frame before the reply closes the connection (kNotNegotiated). A peer hanging up
// before the reply while this node has TLS off is warned about: it probably requires TLS.
//
// Inbound (the acceptor's first frame): it must be a version request, judged by its header
// before any body is read (anything else closes the connection: kNotNegotiated, or
// kTlsMismatch for a TLS ClientHello reaching this plaintext node); it is
// answered with min(request, our maximum), after the IPv6 eligibility gate for older peers.
//
// Both run under net::WithTimeout(negotiation_timeout) (the caller's), so a peer that never
// answers, or never asks, costs one timer and not a scan.
#include "xdr/negotiation.h"

#include <array>
#include <optional>
#include <span>

#include "absl/strings/str_cat.h"
#include "xcom/internal/secure_connection.h"
#include "xcom/internal/transport_state.h"
#include "xdr/frame_header.h"

namespace uxcom::xcom::internal {
namespace {

// Why a step could not go on: the connection's close reason, or cancellation.
absl::Status Ended(const Connection& conn) {
  if (!conn.closed()) return absl::CancelledError("negotiation cancelled");
  return absl::UnavailableError(absl::StrCat("connection to ", conn.peer(),
                                             " closed: ", CloseReasonName(conn.close_reason())));
}

// Accepts or refuses the peer's answer to our request with `tag`; nullopt for a stale reply
// (another tag), which is skipped.
std::optional<absl::StatusOr<xdr::ProtocolVersion>> JudgeReply(TransportState& st, Connection& conn,
                                                               const xdr::FrameHeader& h,
                                                               uint16_t tag) {
  const TransportOptions& o = st.options;
  xdr::ReplyDecision d = xdr::EvaluateVersionReply(h, tag, o.max_version);
  if (d.verdict == xdr::ReplyVerdict::kIgnore) {
    st.stats.ignored_control_frames.Add();
    st.Log(LogLevel::kDebug, "Ignoring a version reply with tag ", h.tag, " from ", conn.peer(),
           " (expected tag ", tag, ")");
    return std::nullopt;
  }
  if (d.verdict == xdr::ReplyVerdict::kFail || d.version < o.min_version) {
    conn.Close(CloseReason::kNegotiationRefused,
               absl::StrCat("peer answered ", xdr::DescribeProtocolVersion(h.version),
                            "; this node speaks ", xdr::DescribeProtocolVersion(o.min_version),
                            " to ", xdr::DescribeProtocolVersion(o.max_version)));
    return Ended(conn);
  }
  st.stats.negotiations.Add();
  st.Log(LogLevel::kInfo, "Negotiated protocol ", xdr::DescribeProtocolVersion(d.version), " with ",
         conn.peer(), " (tag ", h.tag, ")");
  conn.SetNegotiated(d.version);
  return d.version;
}

}  // namespace

net::Task<absl::StatusOr<xdr::ProtocolVersion>> NegotiateOutbound(TransportState& st,
                                                                  Connection& conn, uint16_t tag) {
  const xdr::ProtocolVersion ours = st.options.max_version;
  std::array<std::byte, xdr::kFrameHeaderSize> request =
      xdr::FrameHeaderBytes(xdr::VersionRequest(ours, tag));
  std::span<const std::byte> buffers[] = {request};
  absl::Status wrote = co_await conn.Write(buffers);
  if (!wrote.ok()) co_return Ended(conn);
  st.Log(LogLevel::kDebug, "Sent negotiation request for protocol ",
         xdr::DescribeProtocolVersion(ours), " tag ", tag, " to ", conn.peer());
  FrameReader in(st, conn);
  for (;;) {
    std::optional<FrameBuffer::Next> f = in.Next();
    if (!f) {
      const bool more = co_await in.Fill();
      if (!more) {
        // What a node requiring TLS does with a plaintext version request (8.0.18 as well):
        // close, or reset when it closes with our request still unread.
        const CloseReason why = conn.close_reason();
        if ((why == CloseReason::kPeerClosed || why == CloseReason::kIoError) &&
            st.tls == nullptr) {
          st.Log(LogLevel::kWarning, conn.peer(),
                 " closed the connection without answering the version request: does it "
                 "require TLS (ssl_mode REQUIRED or stricter) while this node has it off?");
        }
        co_return Ended(conn);
      }
      continue;
    }
    const xdr::FrameHeader h = f->header;
    in.Consume(*f);
    switch (h.type) {
      case xdr::MessageType::kVersionReply: {
        std::optional<absl::StatusOr<xdr::ProtocolVersion>> verdict = JudgeReply(st, conn, h, tag);
        if (verdict.has_value()) co_return *std::move(verdict);
        break;
      }
      case xdr::MessageType::kVersionReq: {
        const bool answered = co_await AnswerVersionRequest(st, conn, h);
        if (!answered) co_return Ended(conn);
        break;
      }
      case xdr::MessageType::kNormal:
        conn.Close(CloseReason::kNotNegotiated, "normal frame before protocol negotiation");
        co_return Ended(conn);
      default:
        st.stats.ignored_control_frames.Add();
    }
  }
}

net::Task<absl::Status> NegotiateInbound(TransportState& st, Connection& conn) {
  FrameReader in(st, conn);
  for (;;) {
    // Anything but a version request (a normal frame, a stray reply, another protocol's
    // bytes) ends the connection as soon as its header is in.
    if (std::optional<xdr::FrameHeader> h = in.PendingHeader();
        h && h->type != xdr::MessageType::kVersionReq) {
      if (LooksLikeTlsRecord(*h)) {
        conn.Close(CloseReason::kTlsMismatch,
                   "a TLS ClientHello where a version request was expected: the peer has TLS "
                   "on (ssl_mode REQUIRED or stricter), this node off");
        co_return Ended(conn);
      }
      conn.Close(CloseReason::kNotNegotiated,
                 absl::StrCat("the first frame must be a version request, got type ",
                              static_cast<int>(h->type), " version ",
                              static_cast<uint32_t>(h->version), " length ", h->length));
      co_return Ended(conn);
    }
    std::optional<FrameBuffer::Next> f = in.Next();
    if (!f) {
      const bool more = co_await in.Fill();
      if (!more) co_return Ended(conn);
      continue;
    }
    const xdr::FrameHeader request = f->header;
    in.Consume(*f);
    const bool answered = co_await AnswerVersionRequest(st, conn, request);
    if (!answered) co_return Ended(conn);
    co_return absl::OkStatus();
  }
}

net::Task<bool> AnswerVersionRequest(TransportState& st, Connection& conn,
                                     xdr::FrameHeader request) {
  const bool inbound = conn.direction() == Connection::kInbound;
  const xdr::ProtocolVersion chosen = st.AnswerVersion(request.version);
  if (inbound && request.version < st.options.ipv6_gate_version && !st.sites.empty()) {
    const bool eligible = co_await Ipv6Eligible(st.sites.back().site);
    if (!eligible) {
      st.Log(LogLevel::kWarning,
             "Incoming node is not eligible to enter the group due to lack of IPv6 support. "
             "There is at least one group member that is reachable only via IPv6. Please "
             "configure the whole group with IPv4 addresses and try again");
      conn.Close(CloseReason::kIpv6Ineligible,
                 absl::StrCat("peer requested ", xdr::DescribeProtocolVersion(request.version)));
      co_return false;
    }
  }
  // On our own outbound connection the version comes from the reply to our request: a peer's
  // request there is answered but negotiates nothing.
  if (inbound) conn.SetNegotiated(chosen);
  st.Log(LogLevel::kDebug, "Answering negotiation request from ", conn.peer(), " for ",
         xdr::DescribeProtocolVersion(request.version), " tag ", request.tag, " with ",
         xdr::DescribeProtocolVersion(chosen));
  std::array<std::byte, xdr::kFrameHeaderSize> reply =
      xdr::FrameHeaderBytes(xdr::VersionReply(chosen, request.tag));
  std::span<const std::byte> buffers[] = {reply};
  absl::Status wrote = co_await conn.Write(buffers);
  co_return wrote.ok();
}

}  // namespace uxcom::xcom::internal
