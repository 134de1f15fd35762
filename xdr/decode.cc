#include "xdr/decode.h"

#include "xdr/codec_error.h"
#include "xdr/internal/body_reader.h"
#include "xdr/internal/error_trail.h"
#include "xdr/internal/str_cat.h"

namespace uxcom::xdr {
namespace {

std::string Context(ProtocolVersion v) {
  return internal::StrCat("decoding pax_msg as ", DescribeProtocolVersion(v));
}

}  // namespace

template <ProtocolVersion V>
absl::StatusOr<Decoded> Decode(std::span<const std::byte> body, Arena& arena,
                               const DecodeOptions& options) {
  if (body.size() > options.max_body_size) {
    return MakeCodecStatus(
        absl::StatusCode::kResourceExhausted, Context(V),
        {.reason = internal::StrCat("body of ", body.size(), " bytes exceeds max_body_size ",
                                    options.max_body_size),
         .offset = 0});
  }
  PaxMsg* msg = arena.New<PaxMsg>();
  internal::ErrorTrail trail;
  internal::BodyReader<V> reader(body, arena, options, trail);
  if (!reader.Msg(*msg)) {
    return MakeCodecStatus(absl::StatusCode::kInvalidArgument, Context(V),
                           trail.Take(reader.offset()));
  }
  const size_t consumed = reader.offset();
  if (options.reject_trailing_bytes && consumed != body.size()) {
    return MakeCodecStatus(
        absl::StatusCode::kInvalidArgument, Context(V),
        {.reason = internal::StrCat(body.size() - consumed, " trailing bytes after the pax_msg"),
         .offset = consumed,
         .consumed = consumed});
  }
  return Decoded{.msg = msg, .consumed = consumed, .trailing_bytes = body.size() - consumed};
}

absl::StatusOr<Decoded> Decode(ProtocolVersion v, std::span<const std::byte> body, Arena& arena,
                               const DecodeOptions& options) {
  return DispatchProtocolVersion(v, [&](auto version) -> absl::StatusOr<Decoded> {
    return Decode<version.value>(body, arena, options);
  });
}

absl::StatusOr<OwnedPaxMsg> DecodeOwned(ProtocolVersion v, std::span<const std::byte> body,
                                        const DecodeOptions& options) {
  auto arena = std::make_unique<Arena>(body.size() * 2 + 1024);
  DecodeOptions copying = options;
  copying.zero_copy = false;
  absl::StatusOr<Decoded> decoded = Decode(v, body, *arena, copying);
  if (!decoded.ok()) return decoded.status();
  return OwnedPaxMsg(std::move(arena), decoded->msg);
}

#define UXCOM_XDR_DEFINE_DECODE(V)                                               \
  template absl::StatusOr<Decoded> Decode<V>(std::span<const std::byte>, Arena&, \
                                             const DecodeOptions&);
UXCOM_XDR_FOR_EACH_PROTOCOL_VERSION(UXCOM_XDR_DEFINE_DECODE)
#undef UXCOM_XDR_DEFINE_DECODE

}  // namespace uxcom::xdr
