#include "xcom/internal/connection.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "xcom/internal/transport_state.h"

namespace uxcom::xcom::internal {

Connection::Connection(TransportState& state, net::Scope& parent, net::Stream stream,
                       Direction direction, std::string peer)
    : state_(state),
      stream_(std::move(stream)),
      direction_(direction),
      peer_(std::move(peer)),
      received_(state.options.read_buffer_size, state.options.max_frame_body),
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
                       reason == CloseReason::kServerCollected ||
                       reason == CloseReason::kPeerClosed;
  state_.Log(routine ? LogLevel::kInfo : LogLevel::kWarning, "Closing ",
             outbound ? "outbound connection to " : "inbound connection from ", peer_, " (fd=", fd,
             "): ", CloseReasonName(reason), detail.empty() ? "" : ": ", detail);
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

std::string Connection::StalledFor(net::Duration waited) {
  return absl::StrCat("no progress for ", std::chrono::duration<double, std::milli>(waited).count(),
                      " ms");
}

Connection::WriteAwaiter Connection::Write(std::span<const std::span<const std::byte>> buffers) {
  return WriteAwaiter(*this, state_.options.write_stall_timeout, CloseReason::kWriteStalled,
                      [&] { return stream_.WriteV(buffers); });
}

Connection::ReadAwaiter Connection::ReadWithin(std::span<std::byte> into) {
  return ReadAwaiter(*this, state_.options.read_stall_timeout, CloseReason::kReadStalled,
                     [&] { return stream_.ReadSome(into); });
}

}  // namespace uxcom::xcom::internal
