// xcomdump: XCom frames to JSON lines and back, for operators reading captured XCom traffic.
//
//   xcomdump capture.bin                 one JSON object per frame
//   xcomdump --encode frames.jsonl > out.bin
//
// The JSON is the golden manifest's (see xdr/json.h): {"header": {...}, "pax_msg": {...}},
// negotiation frames header only. A malformed frame or line produces a JSON error object naming
// the offset and the reason, after every frame before it; the exit status is then 1. The whole
// interface is documented by `xcomdump --help` and in xdr/README.md.
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

namespace uxcom::xdr::tools {

// Exit statuses.
inline constexpr int kExitOk = 0;
inline constexpr int kExitMalformedInput = 1;  // a frame or JSON line could not be processed
inline constexpr int kExitUsage = 2;           // bad flags, unreadable files

// Runs xcomdump with `args` (args[0] is the program name). `in` is read for "-" or when no file
// is named; `out` receives JSON lines (dump) or frames (--encode, unless -o); `err` receives
// human-readable diagnostics.
int XcomdumpMain(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                 std::ostream& err);

}  // namespace uxcom::xdr::tools

#endif  // UXCOM_XDR_TOOLS_XCOMDUMP_H_
