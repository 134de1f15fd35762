#include "xcom/internal/frame_reader.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "xcom/internal/memory_shelf.h"
#include "xcom/internal/transport_state.h"

namespace uxcom::xcom::internal {

FrameReader::FrameReader(TransportState& state, Connection& conn)
    : st_(state),
      conn_(conn),
      in_(conn.received()),
      max_burst_(state.options.max_messages_per_turn) {}

std::optional<FrameBuffer::Next> FrameReader::Next() {
  FrameBuffer::Next f = in_.Peek();
  if (f.kind == FrameBuffer::kFrame) return f;
  if (f.kind == FrameBuffer::kTooLarge) {
    conn_.Close(CloseReason::kFrameTooLarge,
                absl::StrCat("body length ", f.header.length, " > max_frame_body ",
                             st_.options.max_frame_body));
  }
  return std::nullopt;
}

std::optional<xdr::FrameHeader> FrameReader::PendingHeader() {
  FrameBuffer::Next f = in_.Peek();
  if (!f.has_header) return std::nullopt;
  return f.header;
}

void FrameReader::Consume(const FrameBuffer::Next& frame) {
  in_.Consume(frame);
  frame_started_.reset();
  st_.NoteHeld(conn_);  // the buffer may have shrunk
}

MappedBytes FrameReader::TakeOver(const FrameBuffer::Next& frame) {
  if (!in_.CanHandOver(frame)) return {};
  // A faulted-in mapping a released large frame left, no larger than what the connection
  // already holds (a hand-over never grows it); else a new one of the initial size.
  std::optional<MappedBytes> next = MappedShelf::ThisThread().Take(
      in_.initial_capacity(), MappedBytes::PageRounded(in_.capacity()));
  if (!next) {
    next.emplace();
    next->Resize(in_.initial_capacity());
  }
  MappedBytes taken = in_.HandOver(frame, *std::move(next));
  frame_started_.reset();
  st_.NoteHeld(conn_);  // the buffer may have shrunk
  return taken;
}

FrameReader::Limit FrameReader::MidFrameLimit(net::TimePoint now) {
  const TransportOptions& o = st_.options;
  if (!frame_started_) frame_started_ = now;
  if (o.min_frame_rate == 0) return {o.read_stall_timeout, CloseReason::kReadStalled};
  // The whole frame (only its header until the header is in) at min_frame_rate at least.
  size_t size = xdr::kFrameHeaderSize;
  if (std::optional<xdr::FrameHeader> h = PendingHeader()) size += h->length;
  const auto allowed = std::chrono::duration_cast<net::Duration>(
      std::chrono::duration<double>(static_cast<double>(size) / o.min_frame_rate));
  const net::Duration left = *frame_started_ + o.read_stall_timeout + allowed - now;
  if (left < o.read_stall_timeout) {
    return {std::max(left, net::Duration::zero()), CloseReason::kFrameTooSlow};
  }
  return {o.read_stall_timeout, CloseReason::kReadStalled};
}

net::Task<bool> FrameReader::Fill() {
  // A growth of the buffer is charged to max_partial_frame_bytes before any memory is mapped.
  for (;;) {
    if (conn_.closed()) co_return false;
    const TransportState::Growth growth = st_.ReserveHeld(conn_, in_.NextCapacity());
    if (growth == TransportState::Growth::kGranted) break;
    if (growth == TransportState::Growth::kClosed) co_return false;
    // Closed connections' buffers are still mapped: a moment, until their readers unwind.
    st_.partial_room.Reset();
    absl::Status room = co_await st_.partial_room.Wait();
    if (!room.ok()) co_return false;  // cancelled: the connection closes, or the transport stops
  }
  const std::span<std::byte> space = in_.WritableSpace();  // grows to what was granted
  absl::StatusOr<size_t> n;
  const net::Duration idle = st_.options.inbound_idle_timeout;
  if (in_.mid_frame()) {
    const Limit l = MidFrameLimit(st_.executor.Now());
    n = co_await conn_.ReadWithin(space, l.limit, l.reason);  // closes when over or on errors
  } else if (conn_.direction() == Connection::kInbound && idle > net::Duration::zero()) {
    n = co_await conn_.ReadWithin(space, idle, CloseReason::kInboundIdle);
  } else {
    n = co_await conn_.stream().ReadSome(space);
    if (!n.ok() && !absl::IsCancelled(n.status())) {
      conn_.Close(CloseReason::kIoError, n.status().message());
    }
  }
  if (!n.ok()) co_return false;
  if (*n == 0) {
    if (in_.mid_frame()) {
      conn_.Close(CloseReason::kTruncatedFrame,
                  absl::StrCat(in_.buffered(), " bytes of an incomplete frame"));
    } else {
      conn_.Close(CloseReason::kPeerClosed);
    }
    co_return false;
  }
  in_.Commit(*n);
  read_since_turn_ += *n;
  // Any bytes are evidence of life (the fix for Bug#22671846: a long transfer never looks
  // like silence).
  if (conn_.server != nullptr) conn_.server->detected = st_.executor.Now();
  co_return true;
}

}  // namespace uxcom::xcom::internal
