// Reader: frames of a negotiated connection into the inbox, either direction.
//
// On an outbound connection it is XCom's reply_handler_task (what the peer sends back on the
// connection we dialled); on an inbound one, the transport half of acceptor_learner_task.
// Every normal frame must carry the negotiated version; decoded messages are attributed to
// their sender (TransportState::Attribute: the server, and the inbound connection so that
// Transport::Reply() can answer on it) and delivered. A later version request is answered (on
// an inbound connection it renegotiates, as 8.0.18's read_msg does); version replies are
// stale here and skipped, as are frames of unknown types, with their bodies.
//
// Fairness: the reader yields to the executor every max_messages_per_turn frames, so a peer
// streaming small messages cannot starve the others (8.0.18's acceptor never yields), and every
// MiB it reads, so a large frame arriving fast cannot either. Waiting
// for room in the inbox is the embedder's pace: no stall timer runs meanwhile.
//
// Large frames are decoded on a thread of their own (net::RunOffLoop), so that decoding one
// never holds up the executor, the other connections' deliveries or the timers (8.0.18 decodes
// on its only thread: Group Replication fragments messages above 10 MiB to avoid the stall).
// Meanwhile this reader waits; a connection closed mid-decode abandons it (the decode checks a
// stop flag) before anything is freed.
#include <atomic>

#include "net/off_loop.h"
#include "net/timer.h"
#include "xcom/internal/transport_state.h"

namespace uxcom::xcom::internal {
namespace {

// Bodies from this size on are decoded off the loop. Below it a decode takes about a
// millisecond at most (a payload is one copy at memory speed; a body of minimal chain elements,
// the slowest to decode, ~0.7 ms per MiB here), less than starting a thread costs the frame's
// latency: at 256 KiB a thread per frame cost 10x the transport's whole per-message CPU.
constexpr size_t kOffLoopDecodeBytes = 1 << 20;

// The body of an off-loop decode (a named function object, not a capturing lambda).
struct DecodeFrameBody {
  xdr::ProtocolVersion version;
  std::span<const std::byte> body;
  InboundFrame* frame;
  xdr::DecodeOptions options;
  absl::StatusOr<xdr::DecodeInfo>* result;
  void operator()(const std::atomic<bool>& stop) {
    options.abandon = &stop;
    *result = frame->Decoded().Decode(version, body, *frame->arena, options);
  }
};

net::Task<TransportState::Decoded> DecodeOffLoop(TransportState& st, const Connection& conn,
                                                 const FrameBuffer::Next& frame) {
  TransportState::Decoded out;
  if (!st.CheckNormalFrame(conn, frame, out)) co_return out;
  PoolRef<InboundFrame> f = st.FrameFor(conn, frame, MappedBytes());
  absl::StatusOr<xdr::DecodeInfo> d = absl::UnknownError("not decoded");
  co_await net::RunOffLoop(
      DecodeFrameBody{conn.version(), frame.body, f.get(), st.FrameDecodeOptions(*f), &d});
  co_return st.FinishDecode(conn, frame, std::move(f), d);
}

}  // namespace

net::Task<void> RunReader(std::shared_ptr<TransportState> state, std::shared_ptr<Connection> conn) {
  TransportState& st = *state;
  FrameReader in(st, *conn);
  for (;;) {
    std::optional<FrameBuffer::Next> f = in.Next();
    if (!f) {
      const bool more = co_await in.Fill();
      if (!more) co_return;  // the connection has ended (its reason is recorded)
      if (in.ReadATurnsWorth()) co_await net::Yield();
      continue;
    }
    switch (f->header.type) {
      case xdr::MessageType::kNormal: {
        // Room in inbox_bytes first (the embedder's pace too), so that a reader never holds a
        // decoded message the inbox has no room for: the frame waits in the receive buffer.
        while (!st.inbox_bytes->HasRoom(f->size)) {
          st.inbox_bytes->room().Reset();
          absl::Status room = co_await st.inbox_bytes->room().Wait();
          if (!room.ok()) co_return;
        }
        // A frame larger than the read buffer keeps the memory it arrived in (its payload is
        // not copied) and is charged to the inbox as soon as it is decoded. One decoded off the
        // loop stays in the receive buffer, charged to max_partial_frame_bytes while the decode
        // runs, and is copied out of it, as smaller frames are; then it is consumed.
        const bool off_loop = f->body.size() >= kOffLoopDecodeBytes;
        MappedBytes received = off_loop ? MappedBytes() : in.TakeOver(*f);
        const bool taken = received.size() != 0;
        TransportState::Decoded d;
        if (off_loop) {
          TransportState::Decoded off = co_await DecodeOffLoop(st, *conn, *f);
          d = std::move(off);
        } else {
          d = st.DecodeNormalFrame(*conn, *f, std::move(received));
        }
        if (!taken) in.Consume(*f);
        if (conn->closed()) co_return;  // while it decoded: its reason is recorded
        if (!d.frame) {
          conn->Close(d.reason, d.detail);
          co_return;
        }
        if (!st.Attribute(*conn, *d.frame)) break;
        const size_t cost = TransportState::InboxCost(*d.frame);
        absl::Status delivered = co_await st.Deliver(std::move(d.frame), cost);
        if (!delivered.ok()) co_return;  // the transport is stopping
        break;
      }
      case xdr::MessageType::kVersionReq: {
        const xdr::FrameHeader request = f->header;
        in.Consume(*f);
        const bool answered = co_await AnswerVersionRequest(st, *conn, request);
        if (!answered) co_return;
        break;
      }
      default:  // a stale version reply, or a frame of a type XCom does not know
        in.Consume(*f);
        st.stats.ignored_control_frames.Add();
    }
    if (in.TakeTurn()) co_await net::Yield();
  }
}

}  // namespace uxcom::xcom::internal
