// libFuzzer target for the decoder (tools/fuzz.sh //xdr:decode_fuzzer 60).
//
// An input is a frame: the header's version field picks the protocol version (values without a
// layout are folded into 1..10, so every input exercises a decoder), its tag the profile (666,
// the tag MySQL 8.0.39 puts on normal frames: 8.0.39's rules; any other: 8.0.18's), and the rest
// is the body. Every input must satisfy the decode oracle (internal/decode_oracle.h); a
// violation aborts. The decode's memory bound (DecodeOptions::max_decode_overhead) is 64 KiB
// here, so small inputs reach it. Seeds: the golden vectors of both catalogs and the
// decode-amplification shapes of fuzz_corpus/ (long app_data chains, chains of node lists, null
// config pointers). Under g++ builds the binary
// replays files instead (fuzz_replay_main.cc).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "xdr/arena.h"
#include "xdr/big_endian.h"
#include "xdr/internal/decode_oracle.h"
#include "xdr/limits.h"
#include "xdr/profile.h"
#include "xdr/protocol_version.h"

namespace {
constexpr size_t kFuzzDecodeOverhead = 64 * 1024;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace uxcom::xdr;
  if (size < kFrameHeaderSize) return 0;
  uint32_t version = LoadBigEndian32(data);
  constexpr uint32_t kVersions = ToWire(kNewestProtocolVersion);
  if (!IsSupported(static_cast<ProtocolVersion>(version))) version = 1 + version % kVersions;
  const uint16_t tag = LoadBigEndian16(reinterpret_cast<const std::byte*>(data) + 9);
  const Profile profile =
      tag == RulesOf(Profile::k8_0_39).normal_frame_tag ? Profile::k8_0_39 : Profile::k8_0_18;
  const std::span<const std::byte> body(reinterpret_cast<const std::byte*>(data) + kFrameHeaderSize,
                                        size - kFrameHeaderSize);
  static Arena* arena = new Arena();
  // A small decode memory bound, so that inputs of a few kilobytes can reach it.
  internal::OracleResult r = internal::CheckDecodeProperties(
      static_cast<ProtocolVersion>(version), body, *arena,
      {.profile = profile, .max_decode_overhead = kFuzzDecodeOverhead});
  if (!r.violation.empty()) {
    std::fprintf(stderr, "decode_fuzzer: x_1_%u body of %zu bytes, profile %s: %s\n", version - 1,
                 body.size(), std::string(ProfileName(profile)).c_str(), r.violation.c_str());
    std::abort();
  }
  return 0;
}
