#include "xdr/tools/frame_stream.h"

#include <algorithm>
#include <utility>

#include "xdr/protocol_version.h"

namespace uxcom::xdr::tools {
namespace {

// The tag of a normal frame: 0 from 8.0.18, 666 from later releases.
constexpr uint16_t kLaterNormalFrameTag = 666;

FrameHeader HeaderAt(std::span<const std::byte> bytes) {
  return LoadFrameHeader(bytes.first<kFrameHeaderSize>());
}

}  // namespace

const char* ResyncCauseName(ResyncCause cause) {
  switch (cause) {
    case ResyncCause::kMidStream:
      return "stream_started_mid_frame";
    case ResyncCause::kAfterGap:
      return "after_gap";
    case ResyncCause::kAfterError:
      return "after_error";
  }
  return "?";
}

FrameStream::FrameStream(FrameStreamOptions options, FrameDecodeFn decode, FrameStreamSink* sink,
                         bool at_frame_boundary)
    : options_(options), decode_(std::move(decode)), sink_(sink) {
  if (!at_frame_boundary) EnterSearch(ResyncCause::kMidStream, 0);
}

void FrameStream::Push(std::span<const std::byte> bytes) {
  if (stopped_) return;
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  Process();
}

void FrameStream::Process() {
  for (;;) {
    if (stopped_) return;
    if (skip_ > 0) {
      const uint64_t n = std::min<uint64_t>(skip_, available());
      start_ += n;
      skip_ -= n;
      if (skip_ > 0) break;
    }
    const bool progressed = searching_ ? Searching(false) : Synced();
    if (!progressed) break;
  }
  Compact();
}

void FrameStream::Compact() {
  if (start_ == buffer_.size()) {
    base_ += start_;
    buffer_.clear();
    start_ = 0;
  } else if (start_ >= 65536 && start_ * 2 >= buffer_.size()) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
    base_ += start_;
    start_ = 0;
  }
}

bool FrameStream::PlausibleCandidate(const FrameHeader& h) const {
  return h.type == MessageType::kNormal && IsSupported(h.version) && OfConnectionVersion(h) &&
         (h.tag == 0 || h.tag == kLaterNormalFrameTag) && h.unused == 0 &&
         h.length >= kMinResyncBody && h.length <= options_.max_body_size &&
         h.length <= options_.resync_max_body;
}

void FrameStream::EnterSearch(ResyncCause cause, uint64_t from) {
  searching_ = true;
  verify_next_ = false;
  search_ = Resync();
  search_.cause = cause;
  search_.from = from;
  start_ = static_cast<size_t>(from - base_);
}

bool FrameStream::Synced() {
  if (available() < kFrameHeaderSize) return false;
  const FrameHeader h = HeaderAt(At(kFrameHeaderSize));
  const uint64_t frame_offset = base_ + start_;
  if (verify_next_) {
    // After a gap the header said where this frame starts; trust it only if it looks right.
    const bool plausible = h.type == MessageType::kNormal
                               ? IsSupported(h.version) && OfConnectionVersion(h) &&
                                     h.unused == 0 && h.length <= options_.max_body_size
                               : IsNegotiation(h.type) && h.length == 0;
    if (!plausible) {
      EnterSearch(ResyncCause::kAfterGap, frame_offset);
      return true;
    }
  }
  if (h.type != MessageType::kNormal) {
    // MySQL reads no body for any other type, whatever the length says.
    FrameVerdict v = decode_(h, {});
    sink_->OnFrame(h, frame_offset, v);
    start_ += kFrameHeaderSize;
    verify_next_ = false;
    return true;
  }
  if (h.length > options_.max_body_size) {
    sink_->OnError(frame_offset + 4, frame_offset, "header.length",
                   "frame announces " + std::to_string(h.length) + " body bytes, more than " +
                       "--max_body_size " + std::to_string(options_.max_body_size));
    if (!options_.keep_going) {
      stopped_ = true;
      return false;
    }
    EnterSearch(ResyncCause::kAfterError, frame_offset + 1);
    return true;
  }
  const size_t need = kFrameHeaderSize + h.length;
  if (available() < need) return false;
  FrameVerdict v = decode_(h, At(need).subspan(kFrameHeaderSize));
  if (verify_next_ && !v.decoded) {
    EnterSearch(ResyncCause::kAfterGap, frame_offset);
    return true;
  }
  verify_next_ = false;
  if (v.decoded) {
    LearnVersion(h);
    sink_->OnFrame(h, frame_offset, v);
    start_ += need;
    return true;
  }
  sink_->OnError(frame_offset + kFrameHeaderSize + v.error_offset, frame_offset, v.field, v.reason);
  if (!options_.keep_going) {
    stopped_ = true;
    return false;
  }
  EnterSearch(ResyncCause::kAfterError, frame_offset + 1);
  return true;
}

bool FrameStream::Searching(bool no_more_bytes) {
  while (available() >= kFrameHeaderSize) {
    const FrameHeader h = HeaderAt(At(kFrameHeaderSize));
    if (PlausibleCandidate(h)) {
      const size_t need = kFrameHeaderSize + h.length;
      if (available() < need) {
        if (!no_more_bytes) return false;  // wait for the candidate's body
        ++start_;                          // its body will never come: not a frame
        ++search_.skipped;
        continue;
      }
      FrameVerdict v = decode_(h, At(need).subspan(kFrameHeaderSize));
      if (v.decoded && !v.trailing_bytes) {
        const uint64_t offset = base_ + start_;
        search_.resumed = offset;
        searching_ = false;
        LearnVersion(h);
        sink_->OnResync(search_);
        sink_->OnFrame(h, offset, v);
        start_ += need;
        return true;
      }
    }
    ++start_;
    ++search_.skipped;
  }
  return false;
}

FrameStream::GapEffect FrameStream::Gap(uint64_t bytes) {
  GapEffect effect;
  if (stopped_) return effect;
  const uint64_t gap_offset = end_offset();
  const uint64_t resume = gap_offset + bytes;
  if (skip_ > 0) {
    // Still skipping a lost frame: the gap may end inside it or beyond it.
    const uint64_t frame_end = gap_offset + skip_;
    buffer_.clear();
    start_ = 0;
    base_ = resume;
    if (resume <= frame_end) {
      skip_ = frame_end - resume;
      effect.boundary_known = true;
      return effect;
    }
    skip_ = 0;
    EnterSearch(ResyncCause::kAfterGap, resume);
    return effect;
  }
  if (!searching_) {
    const uint64_t frame_offset = base_ + start_;
    if (available() >= kFrameHeaderSize) {
      const FrameHeader h = HeaderAt(At(kFrameHeaderSize));
      effect.lost_header = h;
      effect.lost_frame_offset = frame_offset;
      const bool trusted =
          !verify_next_ && h.type == MessageType::kNormal && h.length <= options_.max_body_size;
      const uint64_t frame_end = frame_offset + kFrameHeaderSize + h.length;
      if (trusted && resume <= frame_end) {
        buffer_.clear();
        start_ = 0;
        base_ = resume;
        skip_ = frame_end - resume;
        verify_next_ = true;
        effect.boundary_known = true;
        return effect;
      }
    }
    // Where the next frame starts is unknown: search after the gap. The bytes received of the
    // frame the gap fell into belong to a lost frame, not to the search.
    buffer_.clear();
    start_ = 0;
    base_ = resume;
    EnterSearch(ResyncCause::kAfterGap, resume);
    return effect;
  }
  // Already searching: a frame may still lie wholly before the gap; then go on after it.
  ScanToEnd();
  if (!searching_) return Gap(bytes);  // found one: framing is known up to the gap
  search_.skipped += available();
  buffer_.clear();
  start_ = 0;
  base_ = resume;
  if (search_.cause != ResyncCause::kAfterGap) search_.cause = ResyncCause::kAfterGap;
  return effect;
}

void FrameStream::ScanToEnd() {
  // Candidates that would need bytes beyond what is here are passed over; frames found are
  // processed as usual (in sync) until the bytes run out.
  while (!stopped_ && skip_ == 0) {
    const bool progressed = searching_ ? Searching(true) : Synced();
    if (!progressed) break;
  }
}

std::optional<FrameStream::Incomplete> FrameStream::Finish(bool truncation_is_error) {
  if (stopped_ || skip_ > 0) return std::nullopt;
  ScanToEnd();
  if (searching_) {
    search_.skipped += available();
    start_ = buffer_.size();
    if (search_.skipped > 0) {
      search_.resumed.reset();
      sink_->OnResync(search_);
    }
    searching_ = false;
    return std::nullopt;
  }
  const size_t have = available();
  if (have == 0) return std::nullopt;
  Incomplete inc;
  inc.offset = base_ + start_;
  inc.have = have;
  if (have >= kFrameHeaderSize) inc.header = HeaderAt(At(kFrameHeaderSize));
  start_ = buffer_.size();
  if (!truncation_is_error) return inc;
  if (!inc.header) {
    sink_->OnError(inc.offset, inc.offset, "",
                   "truncated frame header: " + std::to_string(have) + " of 12 bytes");
  } else {
    sink_->OnError(inc.offset + have, inc.offset, "",
                   "truncated body: " + std::to_string(have - kFrameHeaderSize) + " of " +
                       std::to_string(inc.header->length) + " bytes");
  }
  return std::nullopt;
}

}  // namespace uxcom::xdr::tools
