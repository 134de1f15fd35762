// What an xcomdump input is, from its first bytes: a capture file (pcap in either byte order
// and timestamp precision, pcapng) or raw XCom frames. A raw stream starts with a frame
// header's version (00 00 00 01 … 00 00 00 0a), which no capture magic resembles.
//
//   std::array<std::byte, 4> first;   // read from the input
//   if (SniffInput(first) == InputFormat::kCapture) { … libpcap … }
//   FILE* f = ReplayAsFile(first, std::cin);   // for pcap_fopen_offline on a stream
#ifndef UXCOM_XDR_TOOLS_INPUT_FORMAT_H_
#define UXCOM_XDR_TOOLS_INPUT_FORMAT_H_

#include <cstddef>
#include <cstdio>
#include <istream>
#include <span>

namespace uxcom::xdr::tools {

enum class InputFormat { kRawFrames, kCapture };

// `first`: up to 4 bytes (fewer only for shorter inputs, which are raw).
InputFormat SniffInput(std::span<const std::byte> first);

// A FILE* reading `prefix` (the bytes already taken from `in` to sniff it) and then `in`
// (which must outlive the FILE). nullptr if the C library refuses.
FILE* ReplayAsFile(std::span<const std::byte> prefix, std::istream& in);

}  // namespace uxcom::xdr::tools

#endif  // UXCOM_XDR_TOOLS_INPUT_FORMAT_H_
