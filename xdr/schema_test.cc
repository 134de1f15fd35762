// A structure is described once, and every walker derives its code from that description: the
// specification of "adding a field touches one place". Probe stands in for any structure of
// pax_msg.h; its field `added` is what a new protocol version would add (here: x_1_9). Nothing
// below names a field to encode, size or decode it: the sizer, writer and reader are the ones
// the codec runs for pax_msg (xdr/internal/schema_*.h).
#include "xdr/schema.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xdr/arena.h"
#include "xdr/codec_error.h"
#include "xdr/encode.h"
#include "xdr/internal/error_trail.h"
#include "xdr/internal/schema_reader.h"
#include "xdr/internal/schema_sizer.h"
#include "xdr/internal/schema_writer.h"
#include "xdr/profile.h"

namespace uxcom::xdr {
namespace {

struct Probe {
  uint32_t count{};
  std::optional<uint64_t> added{};  // the new field: a member …
  std::string_view name{};
};

}  // namespace

template <>
struct schema::Schema<Probe> {
  static constexpr std::string_view kName = "probe";
  using Fields = FieldList<Field<"count", &Probe::count>,
                           // … and its one line of schema: name, wire form, versions.
                           Field<"added", &Probe::added, Auto, Since<ProtocolVersion::kX1_9>>,
                           Field<"name", &Probe::name, String<Bound::kMaxName>>>;
};

namespace {

using internal::ErrorTrail;
using internal::Limits;

const Limits kLimits{.rules = &RulesOf(Profile::k8_0_39),
                     .max_blob = RulesOf(Profile::k8_0_39).max_blob_bytes,
                     .x_1_0_address_bounded = true};

// Sizes and writes `p` at V with the codec's own walkers; "" and the bytes, or the failure.
template <ProtocolVersion V>
std::vector<std::byte> Encode(const Probe& p, CodecError* error = nullptr) {
  ErrorTrail trail;
  const EncodeOptions options{.profile = Profile::k8_0_39};  // the sizer keeps a reference
  internal::SchemaSizer<V> sizer(options, kLimits, trail);
  if (!sizer.Root(p)) {
    if (error) *error = trail.Take(0);
    return {};
  }
  std::vector<std::byte> out(sizer.size());
  std::byte* end = internal::SchemaWriter<V>(Profile::k8_0_39).Struct(out.data(), p);
  CHECK(static_cast<size_t>(end - out.data()) == out.size());
  return out;
}

template <ProtocolVersion V>
bool Decode(std::span<const std::byte> body, Probe& out, Arena& arena, CodecError* error) {
  ErrorTrail trail;
  internal::SchemaReader<V> reader(body, arena, /*zero_copy=*/true, kLimits, Profile::k8_0_39,
                                   trail);
  if (reader.Root(out)) return true;
  *error = trail.Take(reader.offset());
  return false;
}

std::vector<std::byte> Bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

TEST_CASE("a field added by a version is on the wire from that version on, and only there") {
  const Probe p{.count = 5, .added = 0x0102030405060708, .name = "ab"};
  // x_1_8: count, name.
  CHECK(Encode<ProtocolVersion::kX1_8>(p) == Bytes({0, 0, 0, 5, 0, 0, 0, 2, 'a', 'b', 0, 0}));
  // x_1_9: count, added, name.
  CHECK(Encode<ProtocolVersion::kX1_9>(p) ==
        Bytes({0, 0, 0, 5, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 2, 'a', 'b', 0, 0}));
}

TEST_CASE("the decoder reads the field where the version carries it and leaves it absent before") {
  Arena arena;
  CodecError error;
  const std::vector<std::byte> x1_9 =
      Bytes({0, 0, 0, 5, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 2, 'a', 'b', 0, 0});
  Probe at9;
  REQUIRE(Decode<ProtocolVersion::kX1_9>(x1_9, at9, arena, &error));
  CHECK(at9.count == 5);
  CHECK(at9.added == uint64_t{0x0102030405060708});
  CHECK(at9.name == "ab");
  Probe at8;
  const std::vector<std::byte> x1_8 = Encode<ProtocolVersion::kX1_8>(at9);  // views point here
  REQUIRE(Decode<ProtocolVersion::kX1_8>(x1_8, at8, arena, &error));
  CHECK(at8.count == 5);
  CHECK(at8.added == std::nullopt);
  CHECK(at8.name == "ab");
}

TEST_CASE("errors name the new field: required where carried, truncated with its offset") {
  CodecError error;
  CHECK(Encode<ProtocolVersion::kX1_9>(Probe{.name = "x"}, &error).empty());
  CHECK(error.field == "added");
  CHECK(!Encode<ProtocolVersion::kX1_8>(Probe{.name = "x"}).empty());  // not carried: not needed

  Arena arena;
  Probe out;
  const std::vector<std::byte> cut = Bytes({0, 0, 0, 5, 1, 2, 3});
  CHECK(!Decode<ProtocolVersion::kX1_9>(cut, out, arena, &error));
  CHECK(error.field == "added");
  CHECK(error.offset == size_t{4});
  CHECK(error.reason == "needs 8 bytes, 3 remain");
}

TEST_CASE("bounds come from the schema too") {
  CodecError error;
  const std::string long_name(1025, 'n');
  CHECK(Encode<ProtocolVersion::kX1_9>(Probe{.added = 1, .name = long_name}, &error).empty());
  CHECK(error.field == "name");
  CHECK(error.reason == "length 1025 > 1024 (MAXNAME)");
}

}  // namespace
}  // namespace uxcom::xdr
