// The properties every decode must have, checked on arbitrary input: what the robustness test
// and the fuzzer assert for each truncated, mutated or random body.
//
//   Arena arena;
//   std::string violation = CheckDecodeProperties(ProtocolVersion::kX1_6, body, arena);
//   if (!violation.empty()) abort();
#ifndef UXCOM_XDR_INTERNAL_DECODE_ORACLE_H_
#define UXCOM_XDR_INTERNAL_DECODE_ORACLE_H_

#include <cstddef>
#include <span>
#include <string>

#include "xdr/arena.h"
#include "xdr/limits.h"
#include "xdr/profile.h"
#include "xdr/protocol_version.h"

namespace uxcom::xdr::internal {

struct OracleOptions {
  // Also convert successful decodes to JSON and back (slower).
  bool check_json = true;
  // The sender's release: decode, re-encode and JSON apply its rules (profile.h).
  Profile profile = kDefaultProfile;
  // DecodeOptions::max_decode_overhead of the decodes under test (small: to reach the bound
  // with small inputs).
  size_t max_decode_overhead = kDefaultMaxDecodeOverhead;
};

struct OracleResult {
  std::string violation;  // empty when every property holds
  bool decoded = false;   // the body decoded successfully
};

// Decodes `body` as version v in copying and zero-copy mode and checks:
// * both modes agree (same success, same error, same consumed);
// * a failure reports a consumed position and an offset inside the body;
// * a success re-encodes (with the profile's release's own acceptance rules) to exactly
//   `consumed` bytes, as
//   EncodedSize predicted, and that encoding decodes exactly and re-encodes to itself;
// * with check_json, the message survives PaxMsg -> JSON -> PaxMsg -> the same encoding.
// Resets `arena` as it goes.
OracleResult CheckDecodeProperties(ProtocolVersion v, std::span<const std::byte> body, Arena& arena,
                                   const OracleOptions& options = {});

}  // namespace uxcom::xdr::internal

#endif  // UXCOM_XDR_INTERNAL_DECODE_ORACLE_H_
