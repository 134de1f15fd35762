// WritePump: the send phase of one negotiated outbound connection (8.0.18's sender_task loop
// with _send_msg and flush_srv_buf).
//
// It takes the server's messages in FIFO order, encodes each with the connection's version
// (once per version, shared with every other destination), stamps `to` into its own copy and
// gathers frames in the batch (XCom's 64 KiB srv_buf). The batch is written when the queue
// runs dry or when the next frame does not fit; a frame larger than the batch is written
// alone, its private 16-byte prefix (header and `to`) and the shared rest in pieces of at most
// 1 MiB, each watched by the write stall timer. PeerLogic decides each of these steps.
//
// One rule when a write fails (PeerLogic): the messages the failed write included are lost
// (kConnectionLost: their bytes may have reached the peer, and XCom never sends twice); the
// message being placed when the batch could not be written is kept for the next connection.
// The pump ends when the connection does; a failed write has closed it.
#include <algorithm>
#include <array>
#include <span>

#include "xcom/internal/transport_state.h"
#include "xdr/frame_header.h"

namespace uxcom::xcom::internal {
namespace {

// A large frame is written in pieces of this size, each a sign of progress for the stall timer
// (a 100 MiB message on a slow link is not a stalled write).
constexpr size_t kAlonePiece = 1 << 20;

// Frames gathered for one write.
class Batch {
 public:
  explicit Batch(size_t capacity) : bytes_(capacity), capacity_(capacity) {}
  size_t size() const { return bytes_.size(); }
  size_t capacity() const { return capacity_; }

  void Append(std::span<const std::byte> frame, NodeNo to) {
    const size_t at = bytes_.size();
    bytes_.Append(frame);
    xdr::SetFrameTo(bytes_.span().subspan(at), to);
  }

  // Writes what is gathered (the one flush path). False: the connection has ended.
  net::Task<bool> Flush(Connection& conn, PeerLogic& peer) {
    if (bytes_.empty()) co_return !conn.closed();
    std::span<const std::byte> buffers[] = {bytes_.span()};
    absl::Status wrote = co_await conn.Write(buffers);
    if (!wrote.ok()) co_return false;
    peer.OnWritten();
    bytes_.Clear();
    co_return true;
  }

 private:
  xdr::Buffer bytes_;
  size_t capacity_;
};

// A frame larger than the batch, written by itself. False: the connection has ended.
net::Task<bool> WriteAlone(Connection& conn, std::span<const std::byte> frame, NodeNo to) {
  std::array<std::byte, xdr::kFrameToOffset + 4> prefix;
  std::copy_n(frame.begin(), prefix.size(), prefix.begin());
  xdr::SetFrameTo(prefix, to);
  std::span<const std::byte> rest = frame.subspan(prefix.size());
  size_t piece = std::min(kAlonePiece, rest.size());
  std::span<const std::byte> first[] = {prefix, rest.first(piece)};
  absl::Status wrote = co_await conn.Write(first);
  for (size_t done = piece; wrote.ok() && done < rest.size(); done += piece) {
    piece = std::min(kAlonePiece, rest.size() - done);
    std::span<const std::byte> next[] = {rest.subspan(done, piece)};
    wrote = co_await conn.Write(next);
  }
  co_return wrote.ok();
}

}  // namespace

net::Task<void> RunWritePump(std::shared_ptr<TransportState> state, std::shared_ptr<Server> server,
                             std::shared_ptr<Connection> conn) {
  TransportState& st = *state;
  Server& s = *server;
  Batch batch(st.options.coalesce_buffer_size);
  while (!conn->closed()) {
    std::optional<QueuedMessage> m = s.peer.TakeNext();
    if (!m) {  // the queue ran dry: write what is gathered, then wait
      const bool flushed = co_await batch.Flush(*conn, s.peer);
      if (!flushed) break;
      s.NoteIfDrained();
      absl::StatusOr<QueuedMessage> popped = co_await s.peer.queue().Pop();
      if (!popped.ok()) break;  // cancelled: the connection has ended
      m = *std::move(popped);
    }
    absl::StatusOr<std::span<const std::byte>> frame = m->message->Frame(conn->version(), st.stats);
    if (!frame.ok()) {
      st.CountDrop(&s, DropReason::kEncodeRefused, nullptr, absl::OkStatus());
      st.Log(LogLevel::kWarning, "Not sending ", xdr::EnumName(m->message->msg().op).value_or("op"),
             " to ", s.address, ": ", frame.status().message());
      continue;
    }
    using Plan = PeerLogic::FramePlan;
    const Plan plan = PeerLogic::PlanFrame(batch.size(), frame->size(), batch.capacity());
    if (plan == Plan::kFlushThenGather || plan == Plan::kFlushThenWriteAlone) {
      const bool flushed = co_await batch.Flush(*conn, s.peer);
      if (!flushed) {
        s.peer.Hold(*std::move(m));  // no write included it: first on the next connection
        break;
      }
    }
    s.peer.OnGathered(frame->size());
    st.stats.CountSent(m->message->msg().op, frame->size());
    s.active = st.executor.Now();
    if (plan == Plan::kGather || plan == Plan::kFlushThenGather) {
      batch.Append(*frame, m->to);
      continue;
    }
    const bool written = co_await WriteAlone(*conn, *frame, m->to);
    if (!written) break;
    s.peer.OnWritten();
  }
  // Gathered or being written when the connection broke: lost (TCP cannot tell us about the
  // bytes written just before the failure either; the peer's Paxos repairs both).
  if (uint64_t lost = s.peer.OnWriteFailed(); lost != 0) {
    st.CountDrop(&s, DropReason::kConnectionLost, nullptr, absl::OkStatus(), lost);
  }
}

}  // namespace uxcom::xcom::internal
