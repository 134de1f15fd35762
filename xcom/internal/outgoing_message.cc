#include "xcom/internal/outgoing_message.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "xcom/message_defaults.h"
#include "xdr/copy.h"
#include "xdr/decode.h"
#include "xdr/encode.h"
#include "xdr/frame_header.h"

namespace uxcom::xcom::internal {
namespace {

// Copies `msg` (with the carried defaults) into `arena`.
xdr::PaxMsg* CopyWithDefaults(const xdr::PaxMsg& msg, xdr::Arena& arena) {
  xdr::PaxMsg* copy = xdr::CopyToArena(msg, arena);
  ApplyCarriedDefaults(*copy, &arena);
  return copy;
}

// A scratch arena of this thread (each executor runs on one thread), reset for use. It gives
// back what a large message grew it to at the next use.
xdr::Arena& Scratch() {
  thread_local std::unique_ptr<xdr::Arena> scratch;
  if (scratch == nullptr || scratch->capacity() > OutgoingMessage::kMaxRetainedBytes) {
    scratch = std::make_unique<xdr::Arena>();
  }
  scratch->Reset();
  return *scratch;
}

// The copy's size, measured in the scratch arena.
size_t CopySize(const xdr::PaxMsg& msg) {
  xdr::Arena& scratch = Scratch();
  (void)CopyWithDefaults(msg, scratch);
  return scratch.used();
}

absl::StatusOr<xdr::PaxMsg*> DecodeFrame(xdr::ProtocolVersion v, std::span<const std::byte> frame,
                                         xdr::Profile profile, xdr::Arena& arena) {
  absl::StatusOr<xdr::Decoded> d =
      xdr::Decode(v, frame.subspan(xdr::kFrameHeaderSize), arena,
                  {.max_body_size = xdr::kMaxBodySize,
                   .max_blob_bytes = std::numeric_limits<uint32_t>::max(),
                   .profile = profile});
  if (!d.ok()) return d.status();
  return d->msg;
}

}  // namespace

void OutgoingMessage::Assign(const xdr::PaxMsg& msg, xdr::Profile profile) {
  // The arena is sized to the copy (plus slack for alignment, which used() does not count), so a
  // queued message costs what it holds and not a default block: a recycled arena is kept only if it
  // fits and is not much larger.
  const size_t copy = CopySize(msg);
  const size_t needed = copy + copy / 8 + 64;
  if (arena_ == nullptr || arena_->capacity() < needed || arena_->capacity() > 2 * needed) {
    arena_ = std::make_unique<xdr::Arena>(needed);
  }
  msg_ = CopyWithDefaults(msg, *arena_);
  profile_ = profile;
  op_ = msg.op;
  compacted_ = xdr::ProtocolVersion::kUnknown;
}

void OutgoingMessage::Compact(xdr::ProtocolVersion v, TransportStatistics& stats) {
  if (msg_ == nullptr || !xdr::IsSupported(v) || arena_->used() > kMaxCompactedCopy) return;
  absl::StatusOr<std::span<const std::byte>> frame = Frame(v, stats);
  if (!frame.ok()) return;
  // Only a frame that gives back exactly the copy may replace it (a field this version does
  // not carry, a NaN, a profile refusing on decode what it encoded: the copy stays).
  absl::StatusOr<xdr::PaxMsg*> decoded = DecodeFrame(v, *frame, profile_, Scratch());
  if (!decoded.ok() || !(**decoded == *msg_)) return;
  msg_ = nullptr;
  arena_.reset();
  compacted_ = v;
}

const OutgoingMessage::Encoding* OutgoingMessage::Compacted() const {
  for (const Encoding& e : encodings_) {
    if (e.version == compacted_) return &e;
  }
  return nullptr;
}

size_t OutgoingMessage::compact_frame_bytes() const {
  const Encoding* e = Compacted();
  return e == nullptr ? 0 : e->frame.size();
}

absl::StatusOr<xdr::PaxMsg*> OutgoingMessage::Expand(xdr::Arena& arena) const {
  if (msg_ != nullptr) return msg_;
  const Encoding* e = Compacted();
  if (e == nullptr) return absl::InternalError("compacted message without its frame");
  return DecodeFrame(compacted_, e->frame.span(), profile_, arena);
}

OutgoingMessage::Encoding& OutgoingMessage::EncodingFor(xdr::ProtocolVersion v) {
  Encoding* unused = nullptr;
  for (Encoding& e : encodings_) {
    if (e.version == v) return e;
    if (unused == nullptr && e.version == xdr::ProtocolVersion::kUnknown) unused = &e;
  }
  if (unused == nullptr) unused = &encodings_.emplace_back();
  return *unused;
}

absl::StatusOr<std::span<const std::byte>> OutgoingMessage::Frame(xdr::ProtocolVersion v,
                                                                  TransportStatistics& stats) {
  if (!xdr::IsSupported(v)) return xdr::UnsupportedVersionError(v);
  Encoding& e = EncodingFor(v);
  if (e.version != v) {
    const xdr::PaxMsg* msg = msg_;
    if (msg == nullptr) {  // compacted: encode what its frame decodes to (exactly the copy)
      absl::StatusOr<xdr::PaxMsg*> expanded = Expand(Scratch());
      if (!expanded.ok()) return expanded.status();
      msg = *expanded;
    }
    e.version = v;
    e.frame.Clear();
    absl::StatusOr<size_t> n = xdr::AppendFrame(v, *msg, e.frame, {.profile = profile_});
    e.status = n.status();
    stats.encodes.Add();
    // Kept while queued: a buffer larger than the frame (grown while encoding, or recycled)
    // is replaced by an exact one.
    if (n.ok() && e.frame.capacity() > e.frame.size() + e.frame.size() / 8 + 32) {
      xdr::Buffer fitted(e.frame.size());
      fitted.Append(e.frame.span());
      e.frame = std::move(fitted);
    }
  }
  if (!e.status.ok()) return e.status;
  return e.frame.span();
}

size_t OutgoingMessage::footprint() const {
  size_t bytes = sizeof(*this) + encodings_.capacity() * sizeof(Encoding);
  if (arena_ != nullptr) bytes += arena_->capacity();
  for (const Encoding& e : encodings_) bytes += e.frame.capacity();
  return bytes;
}

void OutgoingMessage::Recycle() {
  msg_ = nullptr;
  compacted_ = xdr::ProtocolVersion::kUnknown;
  if (arena_ != nullptr) {
    if (arena_->capacity() > kMaxRetainedBytes) {
      arena_.reset();
    } else {
      arena_->Reset();
    }
  }
  // One encoding is kept for the next message (most need one), so an idle object holds at
  // most two buffers of kMaxRetainedBytes.
  if (encodings_.size() > 1) encodings_.resize(1);
  for (Encoding& e : encodings_) {
    e.version = xdr::ProtocolVersion::kUnknown;
    e.status = absl::OkStatus();
    if (e.frame.capacity() > kMaxRetainedBytes) {
      e.frame = xdr::Buffer();
    } else {
      e.frame.Clear();
    }
  }
}

}  // namespace uxcom::xcom::internal
