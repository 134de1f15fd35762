// ReadFrames: the read loop of one connection, shared by the Acceptor and the ReplyReader.
//
// It receives into a FrameBuffer, records progress for the watchdog, and hands every complete
// frame to a policy that decides, without suspending, what the frame means: deliver a decoded
// message to the inbox, answer a version request, close the connection, or nothing. The loop
// does the waiting (inbox room, the reply write, the IPv6 eligibility lookup). Nothing here
// allocates per frame: one coroutine frame per connection.
//
// Fairness: after max_messages_per_turn frames in a row the loop yields to the executor, so a
// peer streaming small messages cannot starve the others (8.0.18's acceptor never yields).
#ifndef UXCOM_XCOM_INTERNAL_READ_FRAMES_H_
#define UXCOM_XCOM_INTERNAL_READ_FRAMES_H_

#include <array>
#include <memory>
#include <span>
#include <string>

#include "absl/strings/str_cat.h"
#include "net/timer.h"
#include "xcom/internal/frame_buffer.h"
#include "xcom/internal/transport_state.h"
#include "xdr/negotiation.h"

namespace uxcom::xcom::internal {

struct FrameAction {
  enum Kind {
    kContinue,       // nothing to do
    kDeliver,        // push `frame` to the inbox
    kAnswerRequest,  // answer the x_version_req in `request`
    kClose,          // close the connection for `reason`
  };
  Kind kind = kContinue;
  PoolRef<InboundFrame> frame;
  xdr::FrameHeader request;
  CloseReason reason = CloseReason::kMalformedFrame;
  std::string detail;

  static FrameAction Close(CloseReason reason, std::string detail) {
    FrameAction a;
    a.kind = kClose;
    a.reason = reason;
    a.detail = std::move(detail);
    return a;
  }
};

// Policy: void OnBytes(); bool gate_ipv6;
//   FrameAction OnHeader(const xdr::FrameHeader&)  as soon as a header is buffered (kClose to
//                                                   refuse the frame before its body arrives);
//   FrameAction OnFrame(const FrameBuffer::Next&)  for every complete frame.
template <typename Policy>
net::Task<void> ReadFrames(std::shared_ptr<TransportState> state, Connection& conn, bool outbound,
                           Policy& policy) {
  TransportState& st = *state;
  FrameBuffer in(st.options.read_buffer_size, st.options.max_frame_body);
  int burst = 0;
  for (;;) {
    FrameBuffer::Next f = in.Peek();
    if (f.has_header) {
      if (FrameAction early = policy.OnHeader(f.header); early.kind == FrameAction::kClose) {
        st.CloseConnection(conn, outbound, early.reason, early.detail);
        co_return;
      }
    }
    if (f.kind == FrameBuffer::kNeedMore) {
      conn.read_mid_frame = in.mid_frame();
      absl::StatusOr<size_t> n = co_await conn.stream.ReadSome(in.WritableSpace());
      if (!n.ok()) {
        st.CloseConnection(conn, outbound, CloseReason::kIoError, n.status().message());
        co_return;
      }
      if (*n == 0) {
        if (in.mid_frame()) {
          st.CloseConnection(conn, outbound, CloseReason::kTruncatedFrame,
                             absl::StrCat(in.buffered(), " bytes of an incomplete frame"));
        } else {
          st.CloseConnection(conn, outbound, CloseReason::kPeerClosed);
        }
        co_return;
      }
      in.Commit(*n);
      policy.OnBytes();
      continue;
    }
    if (f.kind == FrameBuffer::kTooLarge) {
      st.CloseConnection(conn, outbound, CloseReason::kFrameTooLarge,
                         absl::StrCat("body length ", f.header.length, " > max_frame_body ",
                                      st.options.max_frame_body));
      co_return;
    }
    FrameAction a = policy.OnFrame(f);
    in.Consume(f);
    switch (a.kind) {
      case FrameAction::kContinue:
        break;
      case FrameAction::kDeliver: {
        // Waiting for room in the inbox is the embedder's pace, not a stalled peer: the
        // watchdog must not see it as a read stall, and its clock restarts afterwards.
        conn.read_mid_frame = false;
        absl::Status pushed = co_await st.inbox.Push(IncomingMessage(std::move(a.frame)));
        if (!pushed.ok()) co_return;  // the transport is stopping
        conn.read_progress = st.executor.Now();
        break;
      }
      case FrameAction::kClose:
        st.CloseConnection(conn, outbound, a.reason, a.detail);
        co_return;
      case FrameAction::kAnswerRequest: {
        xdr::ProtocolVersion chosen = st.AnswerVersion(a.request.version);
        if (policy.gate_ipv6 && a.request.version < st.options.ipv6_gate_version &&
            !st.sites.empty()) {
          const bool eligible = co_await Ipv6Eligible(st.sites.back().site);
          if (!eligible) {
            st.Log(LogLevel::kWarning,
                   "Incoming node is not eligible to enter the group due to lack of IPv6 "
                   "support. There is at least one group member that is reachable only via "
                   "IPv6. Please configure the whole group with IPv4 addresses and try again");
            st.CloseConnection(
                conn, outbound, CloseReason::kIpv6Ineligible,
                absl::StrCat("peer requested ", xdr::DescribeProtocolVersion(a.request.version)));
            co_return;
          }
        }
        // On an outbound connection the version is set by our own request's reply: a peer's
        // request there is answered (as 8.0.18's shared read_msg does) but must not mark the
        // connection negotiated, or the Sender would wait for a reply with no timeout.
        if (!outbound) {
          conn.version = chosen;
          conn.negotiated = true;
        }
        st.Log(LogLevel::kDebug, "Answering negotiation request from ", conn.peer, " for ",
               xdr::DescribeProtocolVersion(a.request.version), " tag ", a.request.tag, " with ",
               xdr::DescribeProtocolVersion(chosen));
        std::array<std::byte, xdr::kFrameHeaderSize> reply =
            xdr::FrameHeaderBytes(xdr::VersionReply(chosen, a.request.tag));
        std::span<const std::byte> buffers[] = {reply};
        absl::Status w = co_await TrackedWrite(conn, st.executor, buffers);
        if (!w.ok()) {
          st.CloseConnection(conn, outbound, CloseReason::kIoError, w.message());
          co_return;
        }
        break;
      }
    }
    if (++burst >= st.options.max_messages_per_turn) {
      burst = 0;
      co_await net::Yield();
    }
  }
}

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_READ_FRAMES_H_
