#include "xdr/internal/decode_oracle.h"

#include <cstring>
#include <optional>
#include <vector>

#include "xdr/codec_error.h"
#include "xdr/decode.h"
#include "xdr/encode.h"
#include "xdr/internal/str_cat.h"
#include "xdr/json.h"

namespace uxcom::xdr::internal {
namespace {

std::string Describe(const absl::Status& s) { return std::string(s.message()); }

// Encodes with the release's own acceptance rules: whatever a release decodes, it can encode
// again.
std::optional<std::vector<std::byte>> Reencode(ProtocolVersion v, const PaxMsg& m, Profile profile,
                                               std::string& violation) {
  const EncodeOptions like = EncodeOptions::LikeMySql(profile);
  absl::StatusOr<size_t> size = EncodedSize(v, m, like);
  if (!size.ok()) {
    violation = StrCat("a decoded message does not encode: ", Describe(size.status()));
    return std::nullopt;
  }
  std::vector<std::byte> out(*size);
  absl::StatusOr<size_t> written = EncodeTo(v, m, out, like);
  if (!written.ok() || *written != *size) {
    violation = "EncodeTo disagrees with EncodedSize";
    return std::nullopt;
  }
  return out;
}

}  // namespace

OracleResult CheckDecodeProperties(ProtocolVersion v, std::span<const std::byte> body, Arena& arena,
                                   const OracleOptions& options) {
  OracleResult result;
  std::string& violation = result.violation;

  const Profile profile = options.profile;
  arena.Reset();
  const size_t overhead = options.max_decode_overhead;
  absl::StatusOr<Decoded> view = Decode(
      v, body, arena, {.zero_copy = true, .profile = profile, .max_decode_overhead = overhead});
  Arena copy_arena;
  absl::StatusOr<Decoded> copy =
      Decode(v, body, copy_arena,
             {.zero_copy = false, .profile = profile, .max_decode_overhead = overhead});

  // A Decoder kept across calls (and profiles): decoding after earlier (possibly failed)
  // decodes must give exactly what a fresh decode gives.
  static thread_local Decoder reused({.zero_copy = true});
  reused.set_options({.zero_copy = true, .profile = profile, .max_decode_overhead = overhead});
  absl::StatusOr<DecodeInfo> again_reused = reused.Decode(v, body);

  // Copying takes the zero-copy decode's memory and the copies, so it may run out where the
  // zero-copy decode does not, or earlier, or at the same field with more bytes in use (its
  // message then differs in that count alone). The zero-copy decode, walking the same fields,
  // may succeed or fail at the same place or later, never earlier.
  if (!copy.ok() && absl::IsResourceExhausted(copy.status())) {
    std::optional<CodecError> e = GetCodecError(copy.status());
    if (!e || !e->offset || *e->offset > body.size() || e->reason.empty()) {
      violation = StrCat("an out-of-memory failure without its place: ", Describe(copy.status()));
      return result;
    }
    if (view.ok() != again_reused.ok()) {
      violation = "zero-copy and reused decodes disagree on success";
      return result;
    }
    if (!view.ok()) {
      std::optional<CodecError> v_error = GetCodecError(view.status());
      if (!v_error || (v_error->offset && *v_error->offset < *e->offset)) {
        violation = StrCat("the zero-copy decode fails before the copying one ran out: ",
                           Describe(view.status()), " / ", Describe(copy.status()));
      }
    }
    return result;
  }
  if (view.ok() != copy.ok() || view.ok() != again_reused.ok()) {
    violation = "zero-copy, copying and reused decodes disagree on success";
    return result;
  }
  if (!view.ok()) {
    std::optional<CodecError> a = GetCodecError(view.status());
    std::optional<CodecError> b = GetCodecError(copy.status());
    if (!a || !b || *a != *b) {
      violation = StrCat("the two modes fail differently: ", Describe(view.status()), " / ",
                         Describe(copy.status()));
    } else if (a->consumed > body.size() || (a->offset && *a->offset > body.size())) {
      violation = StrCat("failure position outside the body: ", Describe(view.status()));
    } else if (a->reason.empty()) {
      violation = "a failure without a reason";
    }
    return result;
  }
  result.decoded = true;
  if (view->consumed != copy->consumed || view->consumed > body.size() ||
      view->consumed + view->trailing_bytes != body.size()) {
    violation = "inconsistent consumed / trailing_bytes";
    return result;
  }

  std::optional<std::vector<std::byte>> first = Reencode(v, *view->msg, profile, violation);
  if (!first) return result;
  std::optional<std::vector<std::byte>> from_copy = Reencode(v, *copy->msg, profile, violation);
  if (!from_copy) return result;
  std::optional<std::vector<std::byte>> from_reused = Reencode(v, reused.msg(), profile, violation);
  if (!from_reused) return result;
  if (*first != *from_copy || *first != *from_reused || again_reused->consumed != view->consumed) {
    violation = "the decode modes give different messages";
    return result;
  }
  // Leniency never changes sizes (a bool is 4 bytes whatever its value), so the canonical
  // encoding is exactly as long as what was consumed.
  if (first->size() != view->consumed) {
    violation =
        StrCat("re-encoding has ", first->size(), " bytes, decoding consumed ", view->consumed);
    return result;
  }

  Arena again_arena;
  absl::StatusOr<Decoded> again = Decode(v, *first, again_arena, {.profile = profile});
  if (!again.ok() || again->trailing_bytes != 0) {
    violation = StrCat("the canonical encoding does not decode exactly: ",
                       again.ok() ? "trailing bytes" : Describe(again.status()));
    return result;
  }
  std::optional<std::vector<std::byte>> second = Reencode(v, *again->msg, profile, violation);
  if (!second) return result;
  if (*second != *first) {
    violation = "encode(decode(canonical)) != canonical";
    return result;
  }

  if (options.check_json) {
    Arena json_arena;
    absl::StatusOr<PaxMsg*> back =
        PaxMsgFromJson(PaxMsgToJson(*again->msg, v, profile), v, json_arena, profile);
    if (!back.ok()) {
      violation =
          StrCat("the JSON of a decoded message does not read back: ", Describe(back.status()));
      return result;
    }
    std::optional<std::vector<std::byte>> third = Reencode(v, **back, profile, violation);
    if (!third) return result;
    if (*third != *first) violation = "PaxMsg -> JSON -> PaxMsg changed the encoding";
  }
  return result;
}

}  // namespace uxcom::xdr::internal
