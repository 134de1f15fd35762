// libFuzzer target for the decoder (tools/fuzz.sh //xdr:decode_fuzzer 60).
//
// An input is a frame: the header's version field picks the protocol version (values without a
// layout are folded into 1..7, so every input exercises a decoder) and the rest is the body.
// Every input must satisfy the decode oracle (internal/decode_oracle.h); a violation aborts.
// Seeds: the golden vectors. Under g++ builds the binary replays files instead
// (fuzz_replay_main.cc).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "xdr/arena.h"
#include "xdr/big_endian.h"
#include "xdr/internal/decode_oracle.h"
#include "xdr/limits.h"
#include "xdr/protocol_version.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace uxcom::xdr;
  if (size < kFrameHeaderSize) return 0;
  uint32_t version = LoadBigEndian32(data);
  if (!IsSupported(static_cast<ProtocolVersion>(version))) version = 1 + version % 7;
  const std::span<const std::byte> body(reinterpret_cast<const std::byte*>(data) + kFrameHeaderSize,
                                        size - kFrameHeaderSize);
  static Arena* arena = new Arena();
  internal::OracleResult r =
      internal::CheckDecodeProperties(static_cast<ProtocolVersion>(version), body, *arena);
  if (!r.violation.empty()) {
    std::fprintf(stderr, "decode_fuzzer: x_1_%u body of %zu bytes: %s\n", version - 1, body.size(),
                 r.violation.c_str());
    std::abort();
  }
  return 0;
}
