// Sender: XCom's sender_task for one remote server.
//
//   connect:  dial (name resolved off the executor, 10 s timeout; then the TLS handshake when
//             TLS is on, secure_connection.h); on failure sleep the
//             back-off, expiring queued messages older than disconnected_message_ttl;
//   negotiate: spawn the connection's ReplyReader, send x_version_req (our maximum, the next
//             tag), wait until the reader has the reply (the watchdog enforces
//             negotiation_timeout); nothing else is written before;
//   send:     take queued messages in FIFO order, encode each for the connection's version
//             (once per version, shared with the other senders), stamp `to`, gather them in
//             the coalescing buffer and write it when the queue runs dry or the next frame
//             does not fit; frames larger than the buffer are written on their own.
//
// Unlike 8.0.18, a message taken from the queue when the connection turns out to be dead is
// kept for the next connection instead of being lost, and a broken connection wakes the sender
// at once (the reader pushes a wake-up marker) instead of at the next enqueue.
#include <array>
#include <optional>
#include <span>

#include "net/stream.h"
#include "net/timer.h"
#include "xcom/internal/secure_connection.h"
#include "xcom/internal/transport_state.h"
#include "xdr/frame_header.h"
#include "xdr/negotiation.h"

namespace uxcom::xcom::internal {
namespace {

// Frames above the coalescing buffer are written in pieces of this size, each a sign of
// progress for the watchdog (a 100 MiB message on a slow link is not a stalled write).
constexpr size_t kDirectWriteChunk = 1 << 20;

// Drops queued messages older than the TTL (they are in FIFO order, so the oldest are first);
// the first one still young is kept in `held`.
void ExpireQueued(TransportState& st, Server& server, std::optional<QueuedMessage>& held) {
  net::TimePoint limit = st.executor.Now() - st.options.disconnected_message_ttl;
  auto expired = [&](const QueuedMessage& m) { return m.message && m.enqueued_at < limit; };
  uint64_t dropped = 0;
  if (held && expired(*held)) {
    held.reset();
    ++dropped;
  }
  while (!held) {
    std::optional<QueuedMessage> m = server.queue.TryPop();
    if (!m) break;
    if (!m->message) continue;  // a wake-up marker
    if (expired(*m)) {
      ++dropped;
    } else {
      held = std::move(m);
    }
  }
  for (uint64_t i = 0; i < dropped; ++i) {
    st.CountDrop(&server, DropReason::kExpiredDisconnected, nullptr, absl::OkStatus());
  }
  if (dropped != 0) {
    st.Log(LogLevel::kDebug, "Dropped ", dropped, " messages queued for ", server.address,
           " while it was unreachable");
  }
}

// Sleeps the back-off `wait`, expiring old messages at least once per TTL meanwhile. True when
// cancelled.
net::Task<bool> BackOff(TransportState& st, Server& s, std::optional<QueuedMessage>& held,
                        Duration wait) {
  net::Executor& ex = st.executor;
  const net::TimePoint until = ex.Now() + wait;
  bool cancelled = false;
  while (!cancelled && ex.Now() < until) {
    ExpireQueued(st, s, held);
    Duration slice = std::min<Duration>(until - ex.Now(), st.options.disconnected_message_ttl);
    absl::Status slept = co_await net::Sleep(slice);
    cancelled = !slept.ok();
  }
  ExpireQueued(st, s, held);
  co_return cancelled;
}

}  // namespace

net::Task<void> RunSender(std::shared_ptr<TransportState> state, std::shared_ptr<Server> server) {
  TransportState& st = *state;
  Server& s = *server;
  net::Executor& ex = st.executor;
  const TransportOptions& o = st.options;

  std::optional<QueuedMessage> held;  // taken from the queue, not yet written
  xdr::Buffer out(o.coalesce_buffer_size);
  uint64_t out_messages = 0;  // messages gathered in `out`
  Duration wait = o.backoff.initial;

  // Awaited results go to named variables, never into a loop condition: GCC 12 miscompiles
  // some co_await expressions in conditions.
  for (;;) {
    const bool cancelled_now = co_await net::CancellationRequested();
    if (cancelled_now) break;
    // --- connect ------------------------------------------------------------------------------
    st.stats.dials.Add();
    st.Log(LogLevel::kDebug, "Connecting to ", s.address);
    absl::StatusOr<net::Stream> stream = co_await DialServer(st, s);  // TCP, then TLS if on
    if (!stream.ok()) {
      if (absl::IsCancelled(stream.status())) break;
      st.stats.dial_failures.Add();
      ++s.dial_failures;
      st.Log(LogLevel::kDebug, "Connection to ", s.address, " failed: ", stream.status().message());
      bool cancelled = co_await BackOff(st, s, held, wait);
      if (cancelled) break;
      wait = o.backoff.Next(wait);
      continue;
    }
    auto conn = std::make_shared<OutboundConnection>(*std::move(stream), s.address, ex.Now());
    s.connection = conn;
    s.active = ex.Now();
    ++s.connects;
    st.Log(LogLevel::kInfo, "Connected to ", s.address, " (fd=", conn->stream.fd(), ")");

    net::Scope readers(*s.scope);
    readers.Spawn(RunReplyReader(state, server, conn));

    // --- negotiate ------------------------------------------------------------------------------
    conn->sent_tag = s.next_tag;
    s.last_tag = conn->sent_tag;
    s.next_tag = xdr::NextNegotiationTag(s.next_tag);
    std::array<std::byte, xdr::kFrameHeaderSize> request =
        xdr::FrameHeaderBytes(xdr::VersionRequest(o.max_version, conn->sent_tag));
    st.Log(LogLevel::kDebug, "Sent negotiation request for protocol ",
           xdr::DescribeProtocolVersion(o.max_version), " tag ", conn->sent_tag, " to ", s.address);
    std::span<const std::byte> request_buffers[] = {request};
    absl::Status w = co_await TrackedWrite(*conn, ex, request_buffers);
    if (!w.ok()) {
      st.CloseConnection(*conn, true, CloseReason::kIoError, w.message());
    } else {
      (void)co_await conn->negotiation_done.Wait();  // kCancelled only when we are cancelled
    }

    // --- send -----------------------------------------------------------------------------------
    out.Clear();
    out_messages = 0;
    auto flush = [&]() -> TrackedWrite {
      std::span<const std::byte> buffers[] = {out.span()};
      return TrackedWrite(*conn, ex, buffers);
    };
    while (conn->negotiated && !conn->closed) {
      QueuedMessage m;
      if (held) {
        m = std::move(*held);
        held.reset();
      } else if (std::optional<QueuedMessage> next = s.queue.TryPop()) {
        m = std::move(*next);
      } else {
        if (!out.empty()) {
          absl::Status f = co_await flush();
          if (!f.ok()) {
            st.CloseConnection(*conn, true, CloseReason::kIoError, f.message());
            break;
          }
          out.Clear();
          out_messages = 0;
        }
        absl::StatusOr<QueuedMessage> popped = co_await s.queue.Pop();
        if (!popped.ok()) break;  // cancelled, or the queue closed: the server is going away
        m = *std::move(popped);
      }
      if (!m.message) continue;  // wake-up marker: the loop condition rechecks the connection
      if (conn->closed) {
        held = std::move(m);  // keep it for the next connection
        break;
      }
      absl::StatusOr<std::span<const std::byte>> frame = m.message->Frame(conn->version, st.stats);
      if (!frame.ok()) {
        st.CountDrop(&s, DropReason::kEncodeRefused, nullptr, absl::OkStatus());
        st.Log(LogLevel::kWarning, "Not sending ",
               xdr::EnumName(m.message->msg().op).value_or("op"), " to ", s.address, ": ",
               frame.status().message());
        continue;
      }
      size_t n = frame->size();
      if (n > o.coalesce_buffer_size) {
        if (!out.empty()) {
          absl::Status f = co_await flush();
          if (!f.ok()) {
            st.CloseConnection(*conn, true, CloseReason::kIoError, f.message());
            held = std::move(m);
            break;
          }
          out.Clear();
          out_messages = 0;
        }
        // The header and `to` are ours; the rest is the shared encoding.
        std::array<std::byte, xdr::kFrameToOffset + 4> prefix;
        std::copy_n(frame->begin(), prefix.size(), prefix.begin());
        xdr::SetFrameTo(prefix, m.to);
        std::span<const std::byte> rest = frame->subspan(prefix.size());
        absl::Status f;
        for (size_t done = 0; f.ok() && (done == 0 || done < rest.size());) {
          size_t piece = std::min(kDirectWriteChunk, rest.size() - done);
          if (done == 0) {
            std::span<const std::byte> buffers[] = {prefix, rest.subspan(0, piece)};
            f = co_await TrackedWrite(*conn, ex, buffers);
          } else {
            std::span<const std::byte> buffers[] = {rest.subspan(done, piece)};
            f = co_await TrackedWrite(*conn, ex, buffers);
          }
          done += piece;
        }
        if (!f.ok()) {
          st.CloseConnection(*conn, true, CloseReason::kIoError, f.message());
          st.CountDrop(&s, DropReason::kConnectionLost, nullptr, absl::OkStatus());
          break;
        }
      } else {
        if (out.size() + n > o.coalesce_buffer_size) {
          absl::Status f = co_await flush();
          if (!f.ok()) {
            st.CloseConnection(*conn, true, CloseReason::kIoError, f.message());
            held = std::move(m);
            break;
          }
          out.Clear();
          out_messages = 0;
        }
        size_t at = out.size();
        out.Append(*frame);
        xdr::SetFrameTo(out.span().subspan(at), m.to);
        ++out_messages;
      }
      st.stats.CountSent(m.message->msg().op, n);
      ++s.messages_sent;
      s.bytes_sent += n;
      s.active = ex.Now();
    }

    // --- the connection is over -----------------------------------------------------------------
    // Still open only when we stop (a failed negotiation was closed by the reader).
    st.CloseConnection(*conn, true, CloseReason::kShutdown);
    // Bytes gathered but never written: their messages are lost (TCP cannot tell us about
    // the ones written just before the failure either; the peer's Paxos repairs both).
    if (out_messages != 0) {
      st.CountDrop(&s, DropReason::kConnectionLost, nullptr, absl::OkStatus(), out_messages);
    }
    out.Clear();
    out_messages = 0;
    co_await readers.Close();
    if (s.connection == conn) s.connection.reset();
    // A connection that negotiated worked: redial at once, from the first back-off step. One
    // that never did (refused, timed out, no version in common) counts as a failed dial, so a
    // peer that accepts and then refuses is not redialled at round-trip speed.
    if (conn->negotiated) {
      wait = o.backoff.initial;
    } else {
      bool cancelled = co_await BackOff(st, s, held, wait);
      if (cancelled) break;
      wait = o.backoff.Next(wait);
    }
  }
  // Cancelled (the server is collected or the transport stops): what is left is dropped by
  // ShutServer; a message we held is counted here.
  if (held && held->message) {
    st.CountDrop(&s, st.stopped ? DropReason::kShutdown : DropReason::kServerCollected, nullptr,
                 absl::OkStatus());
  }
  if (s.connection != nullptr) {
    st.CloseConnection(*s.connection, true, CloseReason::kShutdown);
    s.connection.reset();
  }
}

}  // namespace uxcom::xcom::internal
