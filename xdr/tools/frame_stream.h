// FrameStream: one byte stream of XCom frames (a raw capture, or one direction of a TCP
// connection) cut into frames, and found again when the framing is lost.
//
// Bytes are pushed as they come; each complete frame is decoded (by the caller's FrameDecodeFn,
// xcomdump's per-frame decode) and handed to the sink. The framing is lost when the stream
// starts in the middle of a frame (a capture that began after the connection did), after a gap
// (bytes the capture does not have), or after a frame that fails to decode (--keep_going).
// The stream then searches: at each byte offset it looks for a header that is plausible
// (type x_normal, a version the codec reads, tag 0 or 666, unused byte 0, a length between
// kMinResyncBody and resync_max_body) and whose body decodes with no byte left over; the
// first such offset is where framing resumes, reported with the bytes skipped (OnResync).
// Nothing between is printed as frames: skipped bytes are reported, never guessed at.
//
// A gap inside a frame whose header was read is different: the frame is lost, but where the
// next one starts is known (the header said how long it was), so the stream skips to it and
// checks that a plausible frame starts there before trusting it (else it searches).
//
// The connection's version narrows the search: 8.0.18 drops a connection whose normal frames
// carry another version than the one negotiated, so once the version is known (SetVersion(),
// from a captured negotiation; else, with learn_version, the first normal frame's header) only
// headers of that version are candidates.
//
// Bounds: the stream holds at most one frame (≤ max_body_size + 12 bytes); while searching,
// a candidate announcing more than resync_max_body bytes is not waited for.
//
//   FrameStream s({.keep_going = true}, decode, &sink, /*at_frame_boundary=*/false);
//   s.Push(bytes);
//   s.Gap(1448);                       // bytes the capture does not have
//   s.Push(more);
//   s.Finish(/*truncation_is_error=*/false);
#ifndef UXCOM_XDR_TOOLS_FRAME_STREAM_H_
#define UXCOM_XDR_TOOLS_FRAME_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "xdr/frame_header.h"
#include "xdr/json.h"
#include "xdr/limits.h"
#include "xdr/protocol_version.h"

namespace uxcom::xdr::tools {

// What the per-frame decode made of one frame.
struct FrameVerdict {
  bool decoded = false;
  Json json;  // the frame's record ({"header": …, "pax_msg": …}) when decoded
  bool trailing_bytes = false;
  uint64_t error_offset = 0;  // into the body, when not decoded
  std::string field;
  std::string reason;
};
// `body` is empty for frames that carry none (negotiation, unknown types).
using FrameDecodeFn =
    std::function<FrameVerdict(const FrameHeader& header, std::span<const std::byte> body)>;

enum class ResyncCause {
  kMidStream,   // the stream's first byte was not the first byte of a frame
  kAfterGap,    // bytes were missing
  kAfterError,  // a frame did not decode (--keep_going)
};
const char* ResyncCauseName(ResyncCause cause);

struct Resync {
  ResyncCause cause = ResyncCause::kMidStream;
  uint64_t from = 0;                // where the search started
  std::optional<uint64_t> resumed;  // offset of the first frame found; nullopt: none before the end
  uint64_t skipped = 0;             // bytes passed over (gap bytes not included)
};

class FrameStreamSink {
 public:
  virtual ~FrameStreamSink() = default;
  // A frame that decoded (or one without a body). `offset`: its first header byte.
  virtual void OnFrame(const FrameHeader& header, uint64_t offset, FrameVerdict& verdict) = 0;
  // A frame that should have decoded and did not; `offset` is the byte at fault.
  virtual void OnError(uint64_t offset, uint64_t frame_offset, const std::string& field,
                       const std::string& reason) = 0;
  virtual void OnResync(const Resync& resync) = 0;
};

struct FrameStreamOptions {
  size_t max_body_size = kDefaultMaxBodySize;
  // Search for the next frame after an error instead of stopping.
  bool keep_going = false;
  // While searching, longer candidates are not waited for (they are not resync points).
  size_t resync_max_body = size_t{16} << 20;
  // The stream is one TCP connection's: its version is the first normal frame's (a raw file
  // may hold frames of several versions, so it does not learn).
  bool learn_version = false;
};

// The smallest body a resync candidate may announce: a pax_msg of any version is longer.
inline constexpr uint32_t kMinResyncBody = 64;

class FrameStream {
 public:
  // `at_frame_boundary`: the first byte pushed starts a frame (a raw file, a connection whose
  // SYN was captured); otherwise the stream starts by searching.
  FrameStream(FrameStreamOptions options, FrameDecodeFn decode, FrameStreamSink* sink,
              bool at_frame_boundary);

  void Push(std::span<const std::byte> bytes);

  // `bytes` bytes of the stream are missing here. Says what that did to framing.
  struct GapEffect {
    std::optional<FrameHeader> lost_header;  // the frame the gap fell into, if its header was read
    uint64_t lost_frame_offset = 0;
    bool boundary_known = false;  // the next frame's offset is known (else: search)
  };
  GapEffect Gap(uint64_t bytes);

  // The stream ended. Bytes of an incomplete frame: with `truncation_is_error`, an OnError
  // ("truncated frame header" / "truncated body"); otherwise returned, for the caller to report
  // (a capture that ended while a frame was in flight). A search still running ends with an
  // OnResync without `resumed`.
  struct Incomplete {
    uint64_t offset = 0;  // first byte of the incomplete frame
    uint64_t have = 0;    // bytes of it received
    std::optional<FrameHeader> header;
  };
  std::optional<Incomplete> Finish(bool truncation_is_error);

  // The connection's protocol version (negotiated): resync candidates must carry it.
  void SetVersion(ProtocolVersion version) { version_ = version; }
  std::optional<ProtocolVersion> version() const { return version_; }

  // An error stopped the stream (no --keep_going): later bytes are ignored.
  bool stopped() const { return stopped_; }
  bool searching() const { return searching_; }
  // Stream offset of the next byte to be pushed.
  uint64_t end_offset() const { return base_ + buffer_.size(); }

 private:
  void Process();
  bool Synced();  // one step in sync; false: needs more bytes
  // One step searching; false: needs more bytes. `no_more_bytes`: a candidate longer than
  // what is buffered is not waited for.
  bool Searching(bool no_more_bytes);
  // The bytes end here (a gap, the end): scan what is buffered without waiting.
  void ScanToEnd();
  void EnterSearch(ResyncCause cause, uint64_t from);
  bool PlausibleCandidate(const FrameHeader& h) const;
  bool OfConnectionVersion(const FrameHeader& h) const {
    return !version_ || h.version == *version_;
  }
  // A normal frame decoded: the connection's version, if not known yet, is its header's.
  void LearnVersion(const FrameHeader& h) {
    if (options_.learn_version && !version_ && h.type == MessageType::kNormal) {
      version_ = h.version;
    }
  }
  void Compact();
  size_t available() const { return buffer_.size() - start_; }
  std::span<const std::byte> At(size_t n) const {
    return std::span<const std::byte>(buffer_).subspan(start_, n);
  }

  FrameStreamOptions options_;
  FrameDecodeFn decode_;
  FrameStreamSink* sink_;
  std::vector<std::byte> buffer_;
  size_t start_ = 0;   // index of the next unprocessed byte in buffer_
  uint64_t base_ = 0;  // stream offset of buffer_[0]
  uint64_t skip_ = 0;  // bytes to drop before the next frame (a frame lost in a gap)
  bool searching_ = false;
  bool verify_next_ = false;  // after a gap at a known boundary: check before trusting
  bool stopped_ = false;
  Resync search_;
  std::optional<ProtocolVersion> version_;
};

}  // namespace uxcom::xdr::tools

#endif  // UXCOM_XDR_TOOLS_FRAME_STREAM_H_
