#include "xdr/decode.h"

#include <algorithm>
#include <cstdint>

#include "xdr/codec_error.h"
#include "xdr/internal/error_trail.h"
#include "xdr/internal/flatten.h"
#include "xdr/internal/schema_reader.h"
#include "xdr/internal/str_cat.h"

namespace uxcom::xdr {
namespace {

std::string Context(ProtocolVersion v) {
  return internal::StrCat("decoding pax_msg as ", DescribeProtocolVersion(v));
}

// Everything the decoder calls on its success path is inlined into one function; failure
// paths are out-of-line cold functions.
template <ProtocolVersion V>
UXCOM_XDR_FLATTEN bool DecodeBody(internal::SchemaReader<V>& reader, PaxMsg& msg) {
  return reader.Root(msg);
}

[[gnu::noinline, gnu::cold]] absl::Status TooLarge(ProtocolVersion v, size_t size, size_t max) {
  return MakeCodecStatus(
      absl::StatusCode::kResourceExhausted, Context(v),
      {.reason = internal::StrCat("body of ", size, " bytes exceeds max_body_size ", max),
       .offset = 0});
}

// Decodes into `msg`, abandoning what it held (see SchemaReader::Root). The caller has checked
// max_body_size.
template <ProtocolVersion V>
absl::StatusOr<DecodeInfo> DecodeInto(std::span<const std::byte> body, PaxMsg& msg, Arena& arena,
                                      const DecodeOptions& options) {
  internal::ErrorTrail trail;
  const Profile profile = EffectiveProfile(options.profile, V);
  const ProfileRules& rules = RulesOf(profile);
  const internal::Limits limits{.rules = &rules,
                                .max_blob = options.max_blob_bytes.value_or(rules.max_blob_bytes),
                                .x_1_0_address_bounded = rules.x_1_0_address_bounded};
  internal::SchemaReader<V> reader(body, arena, options.zero_copy, limits, profile, trail,
                                   options.abandon);
  const size_t overhead = options.max_decode_overhead;
  arena.LimitGrowth(overhead > SIZE_MAX - body.size() ? SIZE_MAX : body.size() + overhead);
  const bool ok = DecodeBody(reader, msg);
  arena.Unlimited();
  if (!ok) [[unlikely]] {
    const absl::StatusCode code = reader.exhausted()   ? absl::StatusCode::kResourceExhausted
                                  : reader.abandoned() ? absl::StatusCode::kCancelled
                                                       : absl::StatusCode::kInvalidArgument;
    return MakeCodecStatus(code, Context(V), trail.Take(reader.offset()));
  }
  const size_t consumed = reader.offset();
  if (options.reject_trailing_bytes && consumed != body.size()) [[unlikely]] {
    return MakeCodecStatus(
        absl::StatusCode::kInvalidArgument, Context(V),
        {.reason = internal::StrCat(body.size() - consumed, " trailing bytes after the pax_msg"),
         .offset = consumed,
         .consumed = consumed});
  }
  return DecodeInfo{.consumed = consumed, .trailing_bytes = body.size() - consumed};
}

}  // namespace

template <ProtocolVersion V>
absl::StatusOr<Decoded> Decode(std::span<const std::byte> body, Arena& arena,
                               const DecodeOptions& options) {
  if (body.size() > options.max_body_size) [[unlikely]] {
    return TooLarge(V, body.size(), options.max_body_size);
  }
  PaxMsg* msg = arena.New<PaxMsg>();
  absl::StatusOr<DecodeInfo> info = DecodeInto<V>(body, *msg, arena, options);
  if (!info.ok()) return info.status();
  return Decoded{.msg = msg, .consumed = info->consumed, .trailing_bytes = info->trailing_bytes};
}

template <ProtocolVersion V>
absl::StatusOr<DecodeInfo> ReusablePaxMsg::Decode(std::span<const std::byte> body, Arena& arena,
                                                  const DecodeOptions& options) {
  if (body.size() > options.max_body_size) [[unlikely]] {
    return TooLarge(V, body.size(), options.max_body_size);
  }
  return DecodeInto<V>(body, *msg_, arena, options);
}

absl::StatusOr<DecodeInfo> ReusablePaxMsg::Decode(ProtocolVersion v,
                                                  std::span<const std::byte> body, Arena& arena,
                                                  const DecodeOptions& options) {
  return DispatchProtocolVersion(v, [&](auto version) -> absl::StatusOr<DecodeInfo> {
    return Decode<version.value>(body, arena, options);
  });
}

Decoder::Decoder(const DecodeOptions& options) : options_(options) {}

// The message is not destroyed: all it holds is arena memory, released with arena_.
Decoder::~Decoder() = default;

template <ProtocolVersion V>
absl::StatusOr<DecodeInfo> Decoder::Decode(std::span<const std::byte> body) {
  // Checked before the reset: a body refused unread leaves the last message readable. (Then
  // DecodeInto directly: ReusablePaxMsg::Decode would check it a second time.)
  if (body.size() > options_.max_body_size) [[unlikely]] {
    return TooLarge(V, body.size(), options_.max_body_size);
  }
  arena_.Reset();
  return DecodeInto<V>(body, msg_.msg(), arena_, options_);
}

absl::StatusOr<DecodeInfo> Decoder::Decode(ProtocolVersion v, std::span<const std::byte> body) {
  return DispatchProtocolVersion(
      v, [&](auto version) -> absl::StatusOr<DecodeInfo> { return Decode<version.value>(body); });
}

absl::StatusOr<Decoded> Decode(ProtocolVersion v, std::span<const std::byte> body, Arena& arena,
                               const DecodeOptions& options) {
  return DispatchProtocolVersion(v, [&](auto version) -> absl::StatusOr<Decoded> {
    return Decode<version.value>(body, arena, options);
  });
}

size_t FirstChainReservation(ProtocolVersion v, size_t body_bytes) {
  absl::StatusOr<size_t> n =
      DispatchProtocolVersion(v, [&](auto version) -> absl::StatusOr<size_t> {
        constexpr size_t kMin = internal::kMinChainElement<AppData, version.value>;
        return std::min<size_t>(body_bytes / kMin + 1, kDecodeChainReservation);
      });
  return n.value_or(kDecodeChainReservation);
}

absl::StatusOr<OwnedPaxMsg> DecodeOwned(ProtocolVersion v, std::span<const std::byte> body,
                                        const DecodeOptions& options) {
  auto arena = std::make_unique<Arena>(body.size() + 4096);
  DecodeOptions copying = options;
  copying.zero_copy = false;
  absl::StatusOr<Decoded> decoded = Decode(v, body, *arena, copying);
  if (!decoded.ok()) return decoded.status();
  return OwnedPaxMsg(std::move(arena), decoded->msg);
}

#define UXCOM_XDR_DEFINE_DECODE(V)                                                             \
  template absl::StatusOr<Decoded> Decode<V>(std::span<const std::byte>, Arena&,               \
                                             const DecodeOptions&);                            \
  template absl::StatusOr<DecodeInfo> ReusablePaxMsg::Decode<V>(std::span<const std::byte>,    \
                                                                Arena&, const DecodeOptions&); \
  template absl::StatusOr<DecodeInfo> Decoder::Decode<V>(std::span<const std::byte>);
UXCOM_XDR_FOR_EACH_PROTOCOL_VERSION(UXCOM_XDR_DEFINE_DECODE)
#undef UXCOM_XDR_DEFINE_DECODE

}  // namespace uxcom::xdr
