#include "xcom/internal/outgoing_message.h"

#include "xdr/copy.h"
#include "xdr/encode.h"

namespace uxcom::xcom::internal {

void OutgoingMessage::Assign(const xdr::PaxMsg& msg) {
  msg_ = xdr::CopyToArena(msg, *arena_);
  if (!msg_->delivered_msg) msg_->delivered_msg = xdr::SynodeNo{};
  if (!msg_->event_horizon) msg_->event_horizon = 0;
}

absl::StatusOr<std::span<const std::byte>> OutgoingMessage::Frame(xdr::ProtocolVersion v,
                                                                  TransportStatistics& stats) {
  if (!xdr::IsSupported(v)) return xdr::UnsupportedVersionError(v);
  Encoding& e = encodings_[static_cast<size_t>(v)];
  if (!e.done) {
    e.done = true;
    e.frame.Clear();
    absl::StatusOr<size_t> n = xdr::AppendFrame(v, *msg_, e.frame);
    e.status = n.status();
    stats.encodes.Add();
  }
  if (!e.status.ok()) return e.status;
  return e.frame.span();
}

void OutgoingMessage::Recycle() {
  msg_ = nullptr;
  if (arena_->capacity() > kMaxRetainedBytes) {
    arena_ = std::make_unique<xdr::Arena>();
  } else {
    arena_->Reset();
  }
  for (Encoding& e : encodings_) {
    e.done = false;
    e.status = absl::OkStatus();
    if (e.frame.capacity() > kMaxRetainedBytes) {
      e.frame = xdr::Buffer();
    } else {
      e.frame.Clear();
    }
  }
}

}  // namespace uxcom::xcom::internal
