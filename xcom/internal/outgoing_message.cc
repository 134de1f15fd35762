#include "xcom/internal/outgoing_message.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

#include "xcom/internal/memory_shelf.h"
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

// A scratch arena of this thread (each executor runs on one thread), reset for use, and the
// message decoded into it: what a compaction's check (and a compacted message's encoding at
// another version) decodes into. The decode is zero-copy, so the arena holds only structs.
struct Scratch {
  xdr::Arena& arena;
  xdr::ReusablePaxMsg& msg;
};
Scratch ResetScratch() {
  thread_local std::unique_ptr<xdr::Arena> arena;
  thread_local xdr::ReusablePaxMsg msg;
  if (arena == nullptr || arena->capacity() > OutgoingMessage::kMaxRetainedBytes) {
    ShelveArena(std::move(arena));
    arena = ArenaFor(4096);
  }
  arena->Reset();
  return {*arena, msg};
}

// What the last copy on this thread took: the size of the next arena (messages come in runs of
// similar sizes).
thread_local size_t last_copy_bytes = 1024;

absl::StatusOr<xdr::PaxMsg*> DecodeFrame(xdr::ProtocolVersion v, std::span<const std::byte> frame,
                                         xdr::Profile profile, xdr::Arena& arena,
                                         xdr::ReusablePaxMsg& into) {
  absl::StatusOr<xdr::DecodeInfo> d =
      into.Decode(v, frame.subspan(xdr::kFrameHeaderSize), arena,
                  {.max_body_size = xdr::kMaxBodySize,
                   .zero_copy = true,
                   .max_blob_bytes = std::numeric_limits<uint32_t>::max(),
                   .profile = profile});
  if (!d.ok()) return d.status();
  return &into.msg();
}

}  // namespace

void OutgoingMessage::Assign(const xdr::PaxMsg& msg, xdr::Profile profile, net::TimePoint sent_at) {
  // The copy goes into this object's arena if it kept one, else into one from the shelf sized
  // like the last copy. An arena much larger than its copy is swapped for a fitting one, so a
  // queued message costs about what it holds (footprint() counts the rest).
  const auto with_room = [](size_t bytes) { return bytes + bytes / 8 + 64; };
  if (arena_ == nullptr) arena_ = ArenaFor(last_copy_bytes, with_room(last_copy_bytes));
  msg_ = CopyWithDefaults(msg, *arena_);
  last_copy_bytes = arena_->used();
  if (arena_->capacity() > 2 * arena_->used() + 4096) {
    std::unique_ptr<xdr::Arena> fitting = ArenaFor(arena_->used(), with_room(arena_->used()));
    msg_ = CopyWithDefaults(msg, *fitting);
    ShelveArena(std::exchange(arena_, std::move(fitting)));
  }
  profile_ = profile;
  op_ = msg.op;
  sent_at_ = sent_at;
  compacted_ = xdr::ProtocolVersion::kUnknown;
}

void OutgoingMessage::Compact(xdr::ProtocolVersion v, TransportStatistics& stats) {
  if (msg_ == nullptr || !xdr::IsSupported(v)) return;
  absl::StatusOr<std::span<const std::byte>> frame = Frame(v, stats);
  if (!frame.ok()) return;
  // Only a frame that gives back exactly the copy may replace it (a field this version does
  // not carry, a NaN, a profile refusing on decode what it encoded: the copy stays). The check
  // decodes zero-copy: structs only, the payload compared in place.
  const Scratch scratch = ResetScratch();
  absl::StatusOr<xdr::PaxMsg*> decoded =
      DecodeFrame(v, *frame, profile_, scratch.arena, scratch.msg);
  if (!decoded.ok() || !(**decoded == *msg_)) return;
  msg_ = nullptr;
  ShelveArena(std::move(arena_));
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

absl::StatusOr<xdr::PaxMsg*> OutgoingMessage::Expand(xdr::Arena& arena,
                                                     xdr::ReusablePaxMsg& into) const {
  if (msg_ != nullptr) return msg_;
  const Encoding* e = Compacted();
  if (e == nullptr) return absl::InternalError("compacted message without its frame");
  return DecodeFrame(compacted_, e->frame.span(), profile_, arena, into);
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
      const Scratch scratch = ResetScratch();
      absl::StatusOr<xdr::PaxMsg*> expanded = Expand(scratch.arena, scratch.msg);
      if (!expanded.ok()) return expanded.status();
      msg = *expanded;
    }
    e.version = v;
    e.frame.Clear();
    // A frame that may not fit the buffer this object kept (the copy is a little larger than
    // its frame) gets one of its exact size from the shelf, or a new one of that size.
    const size_t estimate = msg_ != nullptr ? arena_->used() : compact_frame_bytes() + 1024;
    if (e.frame.capacity() < estimate) {
      absl::StatusOr<size_t> body = xdr::EncodedSize(v, *msg, {.profile = profile_});
      const size_t size = body.ok() ? xdr::kFrameHeaderSize + *body : 0;
      if (size > e.frame.capacity()) RefitBuffer(e.frame, size);
    }
    absl::StatusOr<size_t> n = xdr::AppendFrame(v, *msg, e.frame, {.profile = profile_});
    e.status = n.status();
    stats.encodes.Add();
    // Kept while queued: a buffer much larger than the frame (recycled, or grown while
    // encoding) is swapped for a fitting one.
    if (n.ok() && e.frame.capacity() > 2 * e.frame.size() + 4096) {
      xdr::Buffer fitted = BufferFor(e.frame.size());
      fitted.Append(e.frame.span());
      BufferShelf::ThisThread().Put(std::exchange(e.frame, std::move(fitted)));
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
  size_t kept = 0;
  if (arena_ != nullptr) {
    if (arena_->capacity() > kMaxRetainedBytes) {
      ShelveArena(std::move(arena_));
    } else {
      arena_->Reset();
      kept = arena_->capacity();
    }
  }
  // One encoding is kept for the next message (most need one), its buffer while it fits in
  // kMaxRetainedBytes with the arena; the others, and larger ones, go to the shelf.
  for (size_t i = 1; i < encodings_.size(); ++i) {
    BufferShelf::ThisThread().Put(std::move(encodings_[i].frame));
  }
  if (encodings_.size() > 1) encodings_.resize(1);
  for (Encoding& e : encodings_) {
    e.version = xdr::ProtocolVersion::kUnknown;
    e.status = absl::OkStatus();
    if (kept + e.frame.capacity() > kMaxRetainedBytes) {
      BufferShelf::ThisThread().Put(std::exchange(e.frame, xdr::Buffer()));
    } else {
      e.frame.Clear();
    }
  }
}

}  // namespace uxcom::xcom::internal
