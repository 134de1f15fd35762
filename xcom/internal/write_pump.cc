// WritePump: the send phase of one negotiated outbound connection (8.0.18's sender_task loop
// with _send_msg and flush_srv_buf).
//
// It takes the server's messages in FIFO order, encodes each with the connection's version
// (once per version, shared with every other destination), stamps `to` into its own copy and
// gathers frames in the batch (XCom's 64 KiB srv_buf; frames from 2 KiB on are referenced in
// their message, not copied, and written with one sendmsg together with the rest). The batch
// is written when the queue runs dry or when the next frame does not fit; a frame larger than the
// batch is written alone, its private 16-byte prefix (header and `to`) and the shared rest in
// pieces of at most 1 MiB, each watched by the write stall timer. PeerLogic decides each of these
// steps.
//
// One rule when a write fails (PeerLogic): the messages the failed write included are lost
// (kConnectionLost: their bytes may have reached the peer, and XCom never sends twice); the
// message being placed when the batch could not be written is kept for the next connection.
// The pump ends when the connection does; a failed write has closed it.
#include <algorithm>
#include <array>
#include <span>
#include <vector>

#include "xcom/internal/transport_state.h"
#include "xdr/frame_header.h"

namespace uxcom::xcom::internal {
namespace {

// A large frame is written in pieces of this size, each a sign of progress for the stall timer
// (a 100 MiB message on a slow link is not a stalled write).
constexpr size_t kAlonePiece = 1 << 20;

// Frames from this size on are not copied into the batch: the batch keeps their private
// 16-byte prefix (header and `to`) and a reference to the rest of the shared frame, and the
// write gathers them with one sendmsg. Below it a copy costs less than an iovec entry.
constexpr size_t kReferencedFrameBytes = 2048;

// Frames gathered for one write: small frames copied (stamped) into one buffer, large ones
// referenced in their message (kept alive here until written).
class Batch {
 public:
  explicit Batch(size_t capacity) : bytes_(capacity), capacity_(capacity) {
    constexpr size_t kMaxReferenced = 64;  // enough for a 64 KiB batch at the 2 KiB threshold
    sizes_.reserve(capacity / 64);
    referenced_.reserve(kMaxReferenced);
    held_.reserve(kMaxReferenced);
    buffers_.reserve(2 * kMaxReferenced + 1);
  }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }

  void Append(std::span<const std::byte> frame, NodeNo to, const OutgoingRef& message) {
    sizes_.push_back(frame.size());
    size_ += frame.size();
    const size_t at = bytes_.size();
    if (frame.size() < kReferencedFrameBytes || referenced_.size() == referenced_.capacity()) {
      bytes_.Append(frame);
      xdr::SetFrameTo(bytes_.span().subspan(at), to);
      return;
    }
    bytes_.Append(frame.first(kPrefixBytes));
    xdr::SetFrameTo(bytes_.span().subspan(at), to);
    referenced_.push_back({bytes_.size(), frame.subspan(kPrefixBytes)});
    held_.push_back(message);
  }

  // Writes what is gathered (the one flush path). False: the connection has ended.
  net::Task<bool> Flush(Connection& conn, PeerLogic& peer) {
    if (size_ == 0) co_return !conn.closed();
    buffers_.clear();
    size_t from = 0;
    for (const Referenced& r : referenced_) {
      buffers_.push_back(bytes_.span().subspan(from, r.copied_before - from));
      buffers_.push_back(r.rest);
      from = r.copied_before;
    }
    if (from < bytes_.size()) buffers_.push_back(bytes_.span().subspan(from));
    absl::Status wrote = co_await conn.Write(buffers_);
    if (!wrote.ok()) co_return false;
    peer.OnWritten();
    for (size_t size : sizes_) conn.NoteFrameWritten(size);
    sizes_.clear();
    bytes_.Clear();
    referenced_.clear();
    held_.clear();
    size_ = 0;
    co_return true;
  }

 private:
  static constexpr size_t kPrefixBytes = xdr::kFrameToOffset + 4;
  struct Referenced {
    size_t copied_before;             // bytes_ up to here precede it on the wire
    std::span<const std::byte> rest;  // the frame after its prefix, in its message
  };
  xdr::Buffer bytes_;
  std::vector<size_t> sizes_;  // of the frames gathered, in order
  std::vector<Referenced> referenced_;
  std::vector<OutgoingRef> held_;  // the messages whose frames are referenced
  std::vector<std::span<const std::byte>> buffers_;
  size_t size_ = 0;  // bytes gathered, copied or referenced
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
      st.Log(LogLevel::kWarning, "Not sending ", xdr::EnumName(m->message->op()).value_or("op"),
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
    st.stats.CountSent(m->message->op(), frame->size());
    s.active = st.executor.Now();
    if (plan == Plan::kGather || plan == Plan::kFlushThenGather) {
      batch.Append(*frame, m->to, m->message);
      continue;
    }
    const bool written = co_await WriteAlone(*conn, *frame, m->to);
    if (!written) break;
    conn->NoteFrameWritten(frame->size());
    s.peer.OnWritten();
  }
  // Gathered or being written when the connection broke: lost (TCP cannot tell us about the
  // bytes written just before the failure either; the peer's Paxos repairs both).
  if (uint64_t lost = s.peer.OnWriteFailed(); lost != 0) {
    st.CountDrop(&s, DropReason::kConnectionLost, nullptr, absl::OkStatus(), lost);
  }
}

}  // namespace uxcom::xcom::internal
