#include "capture/tcp_reassembler.h"

#include <algorithm>
#include <utility>

namespace uxcom::capture {

const char* GapReasonName(GapReason reason) {
  switch (reason) {
    case GapReason::kNotCaptured:
      return "not_captured";
    case GapReason::kSnapLength:
      return "snap_length";
  }
  return "?";
}

const char* GapTriggerName(GapTrigger trigger) {
  switch (trigger) {
    case GapTrigger::kImmediate:
      return "immediate";
    case GapTrigger::kBufferLimit:
      return "buffer_limit";
    case GapTrigger::kHoleAge:
      return "hole_age";
    case GapTrigger::kStreamEnd:
      return "stream_end";
  }
  return "?";
}

const char* StreamEndName(StreamEnd end) {
  switch (end) {
    case StreamEnd::kFin:
      return "fin";
    case StreamEnd::kReset:
      return "reset";
    case StreamEnd::kFlushed:
      return "capture_end";
  }
  return "?";
}

TcpReassembler::TcpReassembler(ReassemblyOptions options, StreamSink* sink)
    : options_(options), sink_(sink) {}

void TcpReassembler::Add(const TcpSegment& s) {
  ++stats_.segments;
  if (ended_) return;
  uint32_t data_seq = s.seq;
  if (s.has(kTcpSyn)) {
    data_seq = s.seq + 1;  // the SYN takes one sequence number
    if (!started_) {
      started_ = saw_syn_ = true;
      next_seq_ = data_seq;
      next_offset_ = 0;
      sink_->OnStart(true);
    }
  }
  if (!started_) {
    // Nothing to anchor the stream on yet: an ACK alone says nothing about where data starts.
    if (s.payload_length == 0 && !s.has(kTcpFin)) {
      if (s.has(kTcpRst)) End(StreamEnd::kReset, s.time);
      return;
    }
    started_ = true;
    next_seq_ = data_seq;
    next_offset_ = 0;
    sink_->OnStart(false);
  }
  // Signed 32-bit distance from the next expected byte: sequence numbers wrap.
  const int64_t offset =
      static_cast<int64_t>(next_offset_) + static_cast<int32_t>(data_seq - next_seq_);
  if (s.payload_length > 0) {
    if (s.truncated()) ++stats_.truncated_segments;
    std::span<const std::byte> bytes = s.payload;
    uint64_t tail = s.payload_length - s.payload.size();
    const int64_t end = offset + static_cast<int64_t>(s.payload_length);
    if (end <= static_cast<int64_t>(next_offset_)) {
      stats_.retransmitted_bytes += bytes.size();
    } else if (offset <= static_cast<int64_t>(next_offset_)) {
      const uint64_t old = next_offset_ - offset;  // already delivered
      const uint64_t old_captured = std::min<uint64_t>(old, bytes.size());
      stats_.retransmitted_bytes += old_captured;
      bytes = bytes.subspan(old_captured);
      tail -= old - old_captured;
      Deliver(next_offset_, bytes, tail, s.time);
      Drain();
    } else {
      ++stats_.out_of_order_segments;
      auto [it, inserted] = pieces_.try_emplace(static_cast<uint64_t>(offset));
      Piece& p = it->second;
      if (inserted || p.end(it->first) < static_cast<uint64_t>(end)) {
        if (pieces_.size() == 1) hole_since_ = s.time;
        buffered_bytes_ -= p.bytes.size();
        p.bytes.assign(bytes.begin(), bytes.end());
        p.missing_tail = tail;
        p.time = s.time;
        buffered_bytes_ += p.bytes.size();
        stats_.max_buffered = std::max(stats_.max_buffered, buffered_bytes_);
      } else {
        stats_.retransmitted_bytes += bytes.size();
      }
    }
  }
  if (s.has(kTcpFin) && !fin_offset_) {
    fin_offset_ = static_cast<uint64_t>(
        std::max<int64_t>(offset + s.payload_length, static_cast<int64_t>(next_offset_)));
    fin_time_ = s.time;
  }
  if (s.has(kTcpRst)) {
    Reset(s.time);
    return;
  }
  while (buffered_bytes_ > options_.max_buffered_bytes) {
    DeclareHole(GapTrigger::kBufferLimit, s.time);
  }
  MaybeEnd(s.time);
  ExpireHoles(s.time);
}

void TcpReassembler::Deliver(uint64_t offset, std::span<const std::byte> bytes,
                             uint64_t missing_tail, absl::Time time) {
  (void)offset;  // == next_offset_
  if (!bytes.empty()) {
    sink_->OnData(bytes, next_offset_, time);
    next_offset_ += bytes.size();
    next_seq_ += static_cast<uint32_t>(bytes.size());
    stats_.bytes += bytes.size();
  }
  if (missing_tail > 0) {
    sink_->OnGap({.offset = next_offset_,
                  .bytes = missing_tail,
                  .reason = GapReason::kSnapLength,
                  .trigger = GapTrigger::kImmediate,
                  .time = time});
    next_offset_ += missing_tail;
    next_seq_ += static_cast<uint32_t>(missing_tail);
    ++stats_.gaps;
    stats_.gap_bytes += missing_tail;
  }
}

void TcpReassembler::Drain() {
  while (!pieces_.empty() && pieces_.begin()->first <= next_offset_) {
    auto it = pieces_.begin();
    const uint64_t offset = it->first;
    Piece piece = std::move(it->second);
    pieces_.erase(it);
    buffered_bytes_ -= piece.bytes.size();
    if (piece.end(offset) <= next_offset_) {
      stats_.retransmitted_bytes += piece.bytes.size();
      continue;
    }
    const uint64_t old = next_offset_ - offset;
    const uint64_t old_captured = std::min<uint64_t>(old, piece.bytes.size());
    stats_.retransmitted_bytes += old_captured;
    Deliver(next_offset_, std::span<const std::byte>(piece.bytes).subspan(old_captured),
            piece.missing_tail - (old - old_captured), piece.time);
  }
  if (!pieces_.empty()) hole_since_ = pieces_.begin()->second.time;
}

void TcpReassembler::DeclareHole(GapTrigger trigger, absl::Time now) {
  if (pieces_.empty()) return;
  const uint64_t resume = pieces_.begin()->first;
  const uint64_t missing = resume - next_offset_;
  sink_->OnGap({.offset = next_offset_,
                .bytes = missing,
                .reason = GapReason::kNotCaptured,
                .trigger = trigger,
                .time = now});
  ++stats_.gaps;
  stats_.gap_bytes += missing;
  next_offset_ = resume;
  next_seq_ += static_cast<uint32_t>(missing);
  Drain();
}

void TcpReassembler::MaybeEnd(absl::Time time) {
  if (!ended_ && fin_offset_ && pieces_.empty() && next_offset_ >= *fin_offset_) {
    End(StreamEnd::kFin, time);
  }
}

void TcpReassembler::End(StreamEnd end, absl::Time time) {
  if (ended_) return;
  ended_ = true;
  sink_->OnEnd(end, next_offset_, time);
}

void TcpReassembler::ExpireHoles(absl::Time now) {
  if (ended_) return;
  while (!pieces_.empty() && now - hole_since_ > options_.max_hole_age) {
    DeclareHole(GapTrigger::kHoleAge, now);
  }
  // Bytes missing before a FIN, with nothing buffered behind them.
  if (fin_offset_ && pieces_.empty() && next_offset_ < *fin_offset_ &&
      now - fin_time_ > options_.max_hole_age) {
    CloseBeforeFin(GapTrigger::kHoleAge, now);
  }
  MaybeEnd(now);
}

void TcpReassembler::CloseBeforeFin(GapTrigger trigger, absl::Time now) {
  const uint64_t missing = *fin_offset_ - next_offset_;
  sink_->OnGap({.offset = next_offset_,
                .bytes = missing,
                .reason = GapReason::kNotCaptured,
                .trigger = trigger,
                .time = now});
  ++stats_.gaps;
  stats_.gap_bytes += missing;
  next_offset_ = *fin_offset_;
  next_seq_ += static_cast<uint32_t>(missing);
}

void TcpReassembler::Reset(absl::Time now) {
  if (ended_) return;
  while (!pieces_.empty()) DeclareHole(GapTrigger::kStreamEnd, now);
  End(StreamEnd::kReset, now);
}

void TcpReassembler::Flush(absl::Time now) {
  if (ended_) return;
  while (!pieces_.empty()) DeclareHole(GapTrigger::kStreamEnd, now);
  if (fin_offset_) {
    if (next_offset_ < *fin_offset_) CloseBeforeFin(GapTrigger::kStreamEnd, now);
    End(StreamEnd::kFin, now);
    return;
  }
  End(StreamEnd::kFlushed, now);
}

}  // namespace uxcom::capture
