#include "xdr/encode.h"

#include <cassert>

#include "xdr/codec_error.h"
#include "xdr/internal/error_trail.h"
#include "xdr/internal/flatten.h"
#include "xdr/internal/schema_sizer.h"
#include "xdr/internal/schema_writer.h"
#include "xdr/internal/str_cat.h"

namespace uxcom::xdr {
namespace {

template <ProtocolVersion V>
internal::Limits EncodeLimits(const EncodeOptions& options) {
  const ProfileRules& rules = RulesOf(EffectiveProfile(options.profile, V));
  return {.rules = &rules,
          .max_blob = rules.max_blob_bytes,
          .x_1_0_address_bounded = options.bound_x_1_0_address || rules.x_1_0_address_bounded};
}

// Everything the sizer calls on its success path is inlined into one function; failure paths
// are out-of-line cold functions.
template <ProtocolVersion V>
UXCOM_XDR_FLATTEN bool SizeBody(internal::SchemaSizer<V>& sizer, const PaxMsg& msg) {
  return sizer.Root(msg);
}

}  // namespace

template <ProtocolVersion V>
absl::StatusOr<size_t> EncodedSize(const PaxMsg& msg, const EncodeOptions& options) {
  internal::ErrorTrail trail;
  const internal::Limits limits = EncodeLimits<V>(options);
  internal::SchemaSizer<V> sizer(options, limits, trail);
  if (!SizeBody(sizer, msg)) [[unlikely]] {
    return MakeCodecStatus(absl::StatusCode::kInvalidArgument,
                           internal::StrCat("encoding pax_msg as ", DescribeProtocolVersion(V)),
                           trail.Take(0));
  }
  return static_cast<size_t>(sizer.size());
}

namespace internal {
template <ProtocolVersion V>
UXCOM_XDR_FLATTEN void WriteBody(const PaxMsg& msg, std::byte* dst, [[maybe_unused]] size_t size,
                                 Profile profile) {
  [[maybe_unused]] std::byte* end = SchemaWriter<V>(EffectiveProfile(profile, V)).Struct(dst, msg);
  assert(static_cast<size_t>(end - dst) == size);
}
}  // namespace internal

template <ProtocolVersion V>
absl::StatusOr<size_t> EncodeTo(const PaxMsg& msg, std::span<std::byte> dst,
                                const EncodeOptions& options) {
  absl::StatusOr<size_t> size = EncodedSize<V>(msg, options);
  if (!size.ok()) return size.status();
  if (dst.size() < *size) {
    return absl::OutOfRangeError(internal::StrCat("encoding pax_msg as ",
                                                  DescribeProtocolVersion(V), ": needs ", *size,
                                                  " bytes, the destination has ", dst.size()));
  }
  internal::WriteBody<V>(msg, dst.data(), *size, options.profile);
  return *size;
}

absl::StatusOr<size_t> EncodedSize(ProtocolVersion v, const PaxMsg& msg,
                                   const EncodeOptions& options) {
  return DispatchProtocolVersion(v, [&](auto version) -> absl::StatusOr<size_t> {
    return EncodedSize<version.value>(msg, options);
  });
}

absl::StatusOr<size_t> EncodeTo(ProtocolVersion v, const PaxMsg& msg, std::span<std::byte> dst,
                                const EncodeOptions& options) {
  return DispatchProtocolVersion(v, [&](auto version) -> absl::StatusOr<size_t> {
    return EncodeTo<version.value>(msg, dst, options);
  });
}

void internal::WriteBody(ProtocolVersion v, const PaxMsg& msg, std::byte* dst, size_t size,
                         Profile profile) {
  // Only reached after EncodedSize(v) succeeded, so v is supported.
  (void)DispatchProtocolVersion(v, [&](auto version) -> absl::Status {
    WriteBody<version.value>(msg, dst, size, profile);
    return absl::OkStatus();
  });
}

#define UXCOM_XDR_DEFINE_ENCODE(V)                                                     \
  template absl::StatusOr<size_t> EncodedSize<V>(const PaxMsg&, const EncodeOptions&); \
  template absl::StatusOr<size_t> EncodeTo<V>(const PaxMsg&, std::span<std::byte>,     \
                                              const EncodeOptions&);                   \
  template void internal::WriteBody<V>(const PaxMsg&, std::byte*, size_t, Profile);
UXCOM_XDR_FOR_EACH_PROTOCOL_VERSION(UXCOM_XDR_DEFINE_ENCODE)
#undef UXCOM_XDR_DEFINE_ENCODE

}  // namespace uxcom::xdr
