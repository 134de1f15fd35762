// xcomdump: XCom traffic to JSON lines and back, for operators reading captured XCom traffic.
//
//   xcomdump group.pcapng                one JSON object per frame, gap, resync, error
//   xcomdump -i any tcp port 33061       live capture (root)
//   xcomdump frames.bin                  raw frames, as one connection carried them
//   xcomdump --encode frames.jsonl > out.bin
//
// Inputs (capture_dump.h, dump_stream.h): pcap/pcapng files and live interfaces through
// libpcap, with TCP reassembly per connection and direction (//capture); raw frame streams.
// Every frame goes through one decode (FrameDecoder, frame_decoder.h). The JSON of a frame is
// the golden manifest's (see xdr/json.h): {"header": {...}, "pax_msg": {...}}, negotiation
// frames header only; captures add time, connection, endpoints and direction. `xcomdump
// --help` documents the whole interface, its record kinds and exit statuses.
//
// The tool is a function over streams so that tests can run it without processes:
//
//   std::istringstream in(frames);
//   std::ostringstream out, err;
//   int status = uxcom::xdr::tools::XcomdumpMain({"xcomdump", "-"}, in, out, err);
#ifndef UXCOM_XDR_TOOLS_XCOMDUMP_H_
#define UXCOM_XDR_TOOLS_XCOMDUMP_H_

#include <iosfwd>
#include <string>
#include <vector>

#include "tools/cli/flags.h"
#include "tools/cli/stop_signals.h"

namespace uxcom::xdr::tools {

// Exit statuses (sysexits.h values where one fits).
inline constexpr int kExitOk = 0;
inline constexpr int kExitMalformedInput = 1;  // a frame did not decode; a damaged capture file
inline constexpr int kExitUsage = cli::kExitUsage;  // 64: bad flags, a bad BPF filter
inline constexpr int kExitNoInput = 66;             // no such file or interface
inline constexpr int kExitCannotCreate = 73;        // -o FILE cannot be written
inline constexpr int kExitNoPermission = 77;        // capture rights, an unreadable file

// Runs xcomdump with `args` (args[0] is the program name). `in` is read for "-" or when no file
// is named; `out` receives JSON lines (dump) or frames (--encode, unless -o); `err` receives
// human-readable diagnostics. `stop` (may be null): reading stops once it has seen a signal,
// and a final {"stopped": …} record is printed.
int XcomdumpMain(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                 std::ostream& err, const cli::StopSignals* stop = nullptr);

}  // namespace uxcom::xdr::tools

#endif  // UXCOM_XDR_TOOLS_XCOMDUMP_H_
