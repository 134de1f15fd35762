// The dump side of xcomdump: one byte stream of frames (DumpStream) and the records it prints
// (RecordPrinter), whatever the input was.
//
// A DumpStream is one raw source, or one direction of one captured TCP connection. It cuts its
// bytes into frames (FrameStream), decodes each (FrameDecoder), and prints frame, gap, resync
// and error records through the RecordPrinter, which applies the filters (--op, --type,
// --peer), keeps the totals, and in --summary mode prints nothing per frame but accumulates
// each stream's StreamSummary instead.
//
//   RecordPrinter printer(options, std::cout, std::cerr);
//   FrameDecoder decoder(options);
//   DumpStream raw(printer, decoder, options, StreamLabel{.source = "capture.bin"}, true);
//   raw.OnData(bytes, 0, absl::InfinitePast());
//   raw.Finish(/*truncation_is_error=*/true);
#ifndef UXCOM_XDR_TOOLS_DUMP_STREAM_H_
#define UXCOM_XDR_TOOLS_DUMP_STREAM_H_

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/time/time.h"
#include "tools/cli/stop_signals.h"
#include "xdr/json.h"
#include "xdr/tools/frame_decoder.h"
#include "xdr/tools/frame_stream.h"
#include "xdr/tools/xcomdump_options.h"

namespace uxcom::xdr::tools {

// Where a stream's records come from. Captures fill in the connection fields.
struct StreamLabel {
  std::string source;  // file name, "<stdin>", or the interface
  bool capture = false;
  uint64_t conn = 0;
  std::string src;       // HOST:PORT of the sender
  std::string src_host;  // HOST alone
  std::string dst;
  std::string dst_host;
  std::string direction;  // client_to_server, server_to_client, unknown
};

// What --summary prints for one stream.
struct StreamSummary {
  uint64_t frames = 0;
  uint64_t bytes = 0;                   // of the frames counted (headers included)
  std::map<std::string, uint64_t> ops;  // by pax_op name ("x_version_req" … for negotiation)
  std::set<uint32_t> header_versions;
  uint64_t gaps = 0;
  uint64_t gap_bytes = 0;
  uint64_t resyncs = 0;
  uint64_t skipped_bytes = 0;
  uint64_t errors = 0;
  absl::Time first = absl::InfinitePast();
  absl::Time last = absl::InfinitePast();
  Json ToJson() const;
};

struct DumpTotals {
  uint64_t frames = 0;  // printed (after filters)
  uint64_t gaps = 0;
  uint64_t resyncs = 0;
  uint64_t errors = 0;
};

class RecordPrinter {
 public:
  RecordPrinter(const XcomdumpOptions& options, std::ostream& out, std::ostream& err);

  // --peer: whether records of this stream are wanted at all.
  bool Selected(const StreamLabel& label) const;
  // A decoded frame (`record` is its {"header": …} object).
  void Frame(const StreamLabel& label, absl::Time time, uint64_t offset, Json record);
  void Gap(const StreamLabel& label, absl::Time time, Json gap);
  void Resync(const StreamLabel& label, absl::Time time, const Resync& resync);
  void Error(const StreamLabel& label, absl::Time time, uint64_t offset, uint64_t frame_offset,
             const std::string& field, const std::string& reason);
  // Any other record ({"connection": …}, {"capture": …}, {"stopped": …}), unfiltered.
  void Print(const Json& record);

  const DumpTotals& totals() const { return totals_; }
  bool summary() const { return o_.summary; }
  // The frame passes --op and --type.
  bool Wanted(const FrameHeader& header, const Json& record) const;

  // "2024-05-01T10:11:12.123456789Z".
  static std::string FormatTime(absl::Time time);

 private:
  Json Labelled(const StreamLabel& label, absl::Time time) const;

  const XcomdumpOptions& o_;
  std::ostream& out_;
  std::ostream& err_;
  DumpTotals totals_;
};

class DumpStream : public FrameStreamSink {
 public:
  DumpStream(RecordPrinter& printer, FrameDecoder& decoder, const XcomdumpOptions& options,
             StreamLabel label, bool at_frame_boundary);

  // Bytes of the stream in order; `time` is their capture time (InfinitePast for raw files).
  void OnData(std::span<const std::byte> bytes, absl::Time time);
  // Bytes missing. `reason`, `trigger`: as the reassembler says.
  void OnGap(uint64_t offset, uint64_t bytes, const char* reason, const char* trigger,
             absl::Time time);
  // The stream ended. `cut`: why a frame in flight then is not an error but the rest of it was
  // never seen ("capture_ended", "connection_reset"); nullptr: the stream closed cleanly (a
  // raw file's end, a FIN), so an incomplete frame is an error.
  void Finish(const char* cut, absl::Time time);

  bool stopped() const { return frames_.stopped(); }
  // The connection's negotiated version: a search for the framing looks for it only.
  void SetVersion(ProtocolVersion version) { frames_.SetVersion(version); }
  StreamLabel& label() { return label_; }
  const StreamSummary& summary() const { return summary_; }
  // Called for each negotiation frame (the connection learns roles and versions from them).
  std::function<void(const FrameHeader&)> on_negotiation;

  // FrameStreamSink
  void OnFrame(const FrameHeader& header, uint64_t offset, FrameVerdict& verdict) override;
  void OnError(uint64_t offset, uint64_t frame_offset, const std::string& field,
               const std::string& reason) override;
  void OnResync(const Resync& resync) override;

 private:
  void Seen(absl::Time time);

  RecordPrinter& printer_;
  StreamLabel label_;
  FrameStream frames_;
  absl::Time time_ = absl::InfinitePast();
  StreamSummary summary_;
};

// Dumps a raw frame stream (bytes as one connection carried them): `prefix` holds bytes
// already read from `in`. Stops early when `stop` has seen a signal. Returns false if a frame
// did not decode.
bool DumpRawStream(std::istream& in, std::span<const std::byte> prefix, const std::string& label,
                   const XcomdumpOptions& options, RecordPrinter& printer, FrameDecoder& decoder,
                   const cli::StopSignals* stop);

}  // namespace uxcom::xdr::tools

#endif  // UXCOM_XDR_TOOLS_DUMP_STREAM_H_
