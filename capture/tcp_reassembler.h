// TcpReassembler: one direction of one TCP connection, put back in order from captured
// segments.
//
// It turns segments (in capture order) into the byte stream the receiving application read,
// each byte once, and says exactly where bytes are missing rather than guessing over them:
//
//   * sequence numbers are 32-bit and wrap; stream offsets are 64-bit and count from the first
//     byte after the SYN, or from the first byte captured when the handshake was not;
//   * a retransmission or an overlap delivers only bytes not delivered yet (the first copy
//     captured wins);
//   * an out-of-order segment waits until the hole before it fills;
//   * a hole that does not fill is declared a gap (OnGap: offset and size, exact) and the
//     stream goes on after it, when: the bytes waiting behind it exceed
//     `max_buffered_bytes`, or the hole is older than `max_hole_age` in capture time, or the
//     stream ends (FIN delivered, RST, Flush at the end of the capture);
//   * a packet cut by the snapshot length delivers its captured bytes and declares the rest a
//     gap (kSnapLength) at once;
//   * FIN ends the stream once every byte before it was delivered; RST ends it at once (what
//     waits behind a hole is delivered after the gap).
//
// Bounds: at most `max_buffered_bytes` captured payload bytes are held per direction (plus one
// segment, at most 64 KiB); memory never grows past that, whatever the capture holds.
//
//   class Printer : public StreamSink { … };
//   TcpReassembler r({}, &printer);
//   for (const TcpSegment& s : segments_from_client) r.Add(s);
//   r.Flush();
#ifndef UXCOM_CAPTURE_TCP_REASSEMBLER_H_
#define UXCOM_CAPTURE_TCP_REASSEMBLER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "absl/time/time.h"
#include "capture/packet.h"

namespace uxcom::capture {

struct ReassemblyOptions {
  // Out-of-order payload bytes held per direction while a hole is open.
  size_t max_buffered_bytes = size_t{8} << 20;
  // A hole still open after this long (capture time) is a gap: the segment was lost to the
  // capture (a real loss would have been retransmitted within a few RTOs).
  absl::Duration max_hole_age = absl::Seconds(10);
};

enum class GapReason {
  kNotCaptured,  // segments the capture does not have (dropped by the capturer, or filtered)
  kSnapLength,   // the tail of a packet cut by the snapshot length
};
const char* GapReasonName(GapReason reason);

// Why a gap was declared when it was (kNotCaptured gaps).
enum class GapTrigger {
  kImmediate,    // known missing at once (snapshot length)
  kBufferLimit,  // max_buffered_bytes waited behind the hole
  kHoleAge,      // the hole was open longer than max_hole_age
  kStreamEnd,    // FIN, RST or the end of the capture
};
const char* GapTriggerName(GapTrigger trigger);

struct Gap {
  uint64_t offset = 0;  // stream offset of the first missing byte
  uint64_t bytes = 0;   // how many are missing
  GapReason reason = GapReason::kNotCaptured;
  GapTrigger trigger = GapTrigger::kImmediate;
  absl::Time time;  // capture time at which it was declared
};

enum class StreamEnd {
  kFin,      // FIN, every byte before it delivered
  kReset,    // RST
  kFlushed,  // the capture ended (or the connection was evicted) before FIN or RST
};
const char* StreamEndName(StreamEnd end);

// Receives one direction's bytes in stream order. Calls never overlap and never go back:
// OnStart first (unless the stream ends before it starts), then OnData's offsets and gaps tile
// the stream from offset 0 on, then OnEnd.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Before anything else: whether offset 0 is the connection's first byte (the SYN was
  // captured) or merely the first byte the capture has (it began mid-stream).
  virtual void OnStart(bool from_connection_start) = 0;
  // `time`: the capture time of the segment that carried the bytes.
  virtual void OnData(std::span<const std::byte> bytes, uint64_t offset, absl::Time time) = 0;
  virtual void OnGap(const Gap& gap) = 0;
  virtual void OnEnd(StreamEnd end, uint64_t offset, absl::Time time) = 0;
};

struct ReassemblyStats {
  uint64_t segments = 0;             // segments added (any flags, any payload)
  uint64_t bytes = 0;                // payload bytes delivered
  uint64_t retransmitted_bytes = 0;  // captured bytes that had been delivered already
  uint64_t out_of_order_segments = 0;
  uint64_t gaps = 0;
  uint64_t gap_bytes = 0;
  uint64_t truncated_segments = 0;  // cut by the snapshot length
  size_t max_buffered = 0;          // high-water mark of buffered bytes
};

class TcpReassembler {
 public:
  TcpReassembler(ReassemblyOptions options, StreamSink* sink);
  TcpReassembler(const TcpReassembler&) = delete;
  TcpReassembler& operator=(const TcpReassembler&) = delete;

  // A segment of this direction. Segments after the end are counted and ignored.
  void Add(const TcpSegment& segment);
  // Declares a hole older than max_hole_age (relative to `now`, a capture time) a gap. The
  // tracker calls it now and then so that a silent connection's hole still closes.
  void ExpireHoles(absl::Time now);
  // The stream ends here (end of capture, eviction): holes become gaps, everything buffered
  // is delivered, OnEnd(kFlushed). Does nothing once the stream has ended.
  void Flush(absl::Time now);
  // The connection was reset (an RST in either direction): as Flush, but the end is kReset.
  void Reset(absl::Time now);

  // A SYN of this direction was seen: offsets count from the connection's first byte.
  bool saw_syn() const { return saw_syn_; }
  // Bytes were seen before any SYN: the stream started before the capture did.
  bool started_mid_stream() const { return started_ && !saw_syn_; }
  bool ended() const { return ended_; }
  // The stream offset of the next byte expected.
  uint64_t next_offset() const { return next_offset_; }
  size_t buffered_bytes() const { return buffered_bytes_; }
  const ReassemblyStats& stats() const { return stats_; }

 private:
  struct Piece {
    std::vector<std::byte> bytes;  // captured
    uint64_t missing_tail = 0;     // snapshot-length cut after them
    absl::Time time;
    uint64_t end(uint64_t offset) const { return offset + bytes.size() + missing_tail; }
  };

  // Delivers [offset, …) of a segment's payload that is new, then its cut tail as a gap.
  void Deliver(uint64_t offset, std::span<const std::byte> bytes, uint64_t missing_tail,
               absl::Time time);
  void Drain();
  void DeclareHole(GapTrigger trigger, absl::Time now);
  // Bytes missing between the last one delivered and a FIN: a gap up to the FIN.
  void CloseBeforeFin(GapTrigger trigger, absl::Time now);
  void MaybeEnd(absl::Time time);
  void End(StreamEnd end, absl::Time time);

  ReassemblyOptions options_;
  StreamSink* sink_;
  bool started_ = false;
  bool saw_syn_ = false;
  bool ended_ = false;
  uint32_t next_seq_ = 0;  // the sequence number of next_offset_
  uint64_t next_offset_ = 0;
  std::optional<uint64_t> fin_offset_;
  absl::Time fin_time_;
  std::map<uint64_t, Piece> pieces_;  // out of order, by stream offset
  size_t buffered_bytes_ = 0;
  absl::Time hole_since_;
  ReassemblyStats stats_;
};

}  // namespace uxcom::capture

#endif  // UXCOM_CAPTURE_TCP_REASSEMBLER_H_
