// Where and why an encode or decode failed, in machine-readable form.
//
// Every codec error is an absl::Status whose message reads
//   "decoding pax_msg as x_1_6 (7): a.next.body.nodes[3].address: length 70000 > 1024
//    (MAXNAME) at offset 212"
// and which carries the same facts as a CodecError payload, for tools that print them
// (xcomdump) or tests that compare them:
//
//   absl::StatusOr<Decoded> d = Decode(version, body, arena);
//   if (!d.ok()) {
//     if (std::optional<CodecError> e = GetCodecError(d.status())) {
//       log(e->field, e->offset, e->reason);
//     }
//   }
#ifndef UXCOM_XDR_CODEC_ERROR_H_
#define UXCOM_XDR_CODEC_ERROR_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace uxcom::xdr {

struct CodecError {
  // Path of the failing field from the pax_msg, in xcom_vp.x names with `next` spelled out for
  // chained app_data: "a.next.body.nodes[3].address" (beyond 16, counted: "a.next(x70000).body").
  // Empty for the message as a whole.
  std::string field{};
  // What is wrong with it: "length 70000 > 1024 (MAXNAME)", "needs 4 bytes, 2 remain".
  std::string reason{};
  // Decode: byte offset in the body of the item that failed. Encode: none.
  std::optional<size_t> offset{};
  // Decode: body bytes consumed when decoding stopped, with the semantics of libtirpc's xdrmem
  // (the "consumed" of the golden manifest's cross-decode table).
  size_t consumed = 0;

  friend bool operator==(const CodecError&, const CodecError&) = default;
};

// A Status with `code`, the message "<context>: <field>: <reason> at offset <offset>" and `e`
// attached as payload.
absl::Status MakeCodecStatus(absl::StatusCode code, std::string_view context, const CodecError& e);

// The CodecError attached to `status`, or nullopt for other statuses.
std::optional<CodecError> GetCodecError(const absl::Status& status);

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_CODEC_ERROR_H_
