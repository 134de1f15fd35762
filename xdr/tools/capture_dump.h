// xcomdump over a packet capture: libpcap packets → TCP segments → per-connection, per-direction
// byte streams (//capture) → frames and records (DumpStream).
//
// Each connection's sides are named from its TCP handshake when captured, otherwise from its
// XCom negotiation (the side sending x_version_req dialled), otherwise "unknown"; its protocol
// version is the negotiated one when the negotiation was captured, otherwise the versions in
// its frame headers. Frames carry the capture time of the segment that completed them.
//
//   absl::StatusOr<std::unique_ptr<capture::PcapSource>> src = PcapSource::OpenFile(path);
//   absl::Status s = DumpCapture(**src, path, options, printer, decoder, stop.get());
#ifndef UXCOM_XDR_TOOLS_CAPTURE_DUMP_H_
#define UXCOM_XDR_TOOLS_CAPTURE_DUMP_H_

#include <string>

#include "absl/status/status.h"
#include "capture/pcap_source.h"
#include "tools/cli/stop_signals.h"
#include "xdr/tools/dump_stream.h"
#include "xdr/tools/frame_decoder.h"
#include "xdr/tools/xcomdump_options.h"

namespace uxcom::xdr::tools {

// Reads `source` to its end (or until `stop` has seen a signal), printing every record and a
// final {"capture": …} record. kDataLoss: the file is damaged (everything before the damage
// was printed); kUnavailable: a live interface failed; kInvalidArgument: a link-layer type
// xcomdump cannot read.
absl::Status DumpCapture(capture::PcapSource& source, const std::string& label,
                         const XcomdumpOptions& options, RecordPrinter& printer,
                         FrameDecoder& decoder, const cli::StopSignals* stop);

}  // namespace uxcom::xdr::tools

#endif  // UXCOM_XDR_TOOLS_CAPTURE_DUMP_H_
