#include "xcom/internal/outgoing_message.h"

#include "xcom/message_defaults.h"
#include "xdr/copy.h"
#include "xdr/encode.h"

namespace uxcom::xcom::internal {

void OutgoingMessage::Assign(const xdr::PaxMsg& msg, xdr::Profile profile) {
  msg_ = xdr::CopyToArena(msg, *arena_);
  ApplyCarriedDefaults(*msg_, arena_.get());
  profile_ = profile;
}

absl::StatusOr<std::span<const std::byte>> OutgoingMessage::Frame(xdr::ProtocolVersion v,
                                                                  TransportStatistics& stats) {
  if (!xdr::IsSupported(v)) return xdr::UnsupportedVersionError(v);
  Encoding& e = encodings_[static_cast<size_t>(v)];
  if (!e.done) {
    e.done = true;
    e.frame.Clear();
    absl::StatusOr<size_t> n = xdr::AppendFrame(v, *msg_, e.frame, {.profile = profile_});
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
