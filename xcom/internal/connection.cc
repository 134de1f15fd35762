#include "xcom/internal/connection.h"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "xcom/internal/transport_state.h"

namespace uxcom::xcom::internal {

Connection::Connection(TransportState& state, net::Scope& parent, net::Stream stream,
                       Direction direction, std::string peer, std::string host)
    : state_(state),
      stream_(std::move(stream)),
      direction_(direction),
      peer_(std::move(peer)),
      host_(std::move(host)),
      serial_(++state.connection_serials),
      received_(state.options.read_buffer_size, state.options.max_frame_body),
      in_flight_(direction == kOutbound ? kOutboundTrackedFrames
                                        : InFlightFrames::kDefaultInitialCapacity),
      children_(parent) {}

bool Connection::Close(CloseReason reason, absl::string_view detail) {
  if (closed_) return false;
  closed_ = true;
  close_reason_ = reason;
  const int fd = stream_.fd();
  const bool outbound = direction_ == kOutbound;
  if (outbound) {
    state_.stats.CountOutboundClose(reason);
  } else {
    state_.stats.CountInboundClose(reason);
  }
  // Orderly endings are routine; everything else is what an operator looks for.
  const bool routine = reason == CloseReason::kShutdown || reason == CloseReason::kIdle ||
                       reason == CloseReason::kInboundIdle ||
                       reason == CloseReason::kServerCollected ||
                       reason == CloseReason::kPeerClosed;
  state_.Log(routine ? LogLevel::kInfo : LogLevel::kWarning, "Closing ",
             outbound ? "outbound connection to " : "inbound connection from ", peer_, " (fd=", fd,
             "): ", CloseReasonName(reason), detail.empty() ? "" : ": ", detail);
  if (!routine && fd >= 0) {
    // Reset instead of FIN: what the kernel still holds for the peer must not reach it late.
    const linger abort{.l_onoff = 1, .l_linger = 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
  }
  if (outbound) CountLostInFlight(reason);
  state_.NoteClosed(*this);  // its buffer stays charged until ReleaseBuffers()
  stream_.Close();
  children_.Cancel();
  return true;
}

void Connection::Spawn(net::Task<void> child) {
  children_.Spawn(RunChild(shared_from_this(), std::move(child)));
}

net::Task<void> Connection::RunChild(std::shared_ptr<Connection> self, net::Task<void> child) {
  co_await std::move(child);
  self->Close(CloseReason::kShutdown);  // the first child to end ends the connection
}

net::Task<void> Connection::Join() {
  absl::Status joined = co_await children_.Join();
  (void)joined;  // kCancelled: we are being stopped; so are the children, which end promptly
  Close(CloseReason::kShutdown);
  co_await children_.Close();
}

void Connection::ReleaseBuffers() {
  received_.Release();
  state_.ReleaseHeld(*this);
}

void Connection::NoteFrameWritten(uint64_t bytes) {
  in_flight_.Written(bytes);
  if (!in_flight_.prune_due()) return;
  // Forget what the peer has acknowledged, so memory follows the send queue, not the traffic
  // (one ioctl every 256 frames at least).
  absl::StatusOr<net::Stream::QueuedBytes> q = stream_.Queued();
  in_flight_.Acknowledged(q.ok() ? q->unacknowledged : in_flight_.bytes_written());
}

void Connection::CountLostInFlight(CloseReason reason) {
  // An orderly close lets the kernel deliver what it holds (FIN after the data).
  if (reason == CloseReason::kShutdown || reason == CloseReason::kIdle ||
      reason == CloseReason::kServerCollected || in_flight_.bytes_written() == 0) {
    return;
  }
  absl::StatusOr<net::Stream::QueuedBytes> q = stream_.Queued();
  if (!q.ok() || q->unacknowledged == 0) return;
  state_.stats.lost_in_flight_bytes.Add(q->unacknowledged);
  const uint64_t frames = in_flight_.FramesWithin(q->unacknowledged);
  if (frames != 0) {
    state_.CountDrop(server.get(), DropReason::kLostInFlight, nullptr, absl::OkStatus(), frames);
  }
}

std::string Connection::StalledFor(CloseReason reason, net::Duration waited) {
  const double ms = std::chrono::duration<double, std::milli>(waited).count();
  switch (reason) {
    case CloseReason::kFrameTooSlow:
      return absl::StrCat("the frame did not arrive at min_frame_rate (the last read waited ", ms,
                          " ms)");
    case CloseReason::kInboundIdle:
      return absl::StrCat("no byte for ", ms, " ms");
    default:
      return absl::StrCat("no progress for ", ms, " ms");
  }
}

Connection::WriteAwaiter Connection::Write(std::span<const std::span<const std::byte>> buffers) {
  return WriteAwaiter(*this, state_.options.write_stall_timeout, CloseReason::kWriteStalled,
                      [&] { return stream_.WriteV(buffers); });
}

Connection::ReadAwaiter Connection::ReadWithin(std::span<std::byte> into, net::Duration limit,
                                               CloseReason reason) {
  return ReadAwaiter(*this, limit, reason, [&] { return stream_.ReadSome(into); });
}

}  // namespace uxcom::xcom::internal
