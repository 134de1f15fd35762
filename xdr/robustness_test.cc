// Hostile input: every truncation of every golden vector, and single-byte mutations of a sample,
// give an error or a valid message, never a crash, a hang, a leak or a sanitizer report (run it
// under --config=asan). Every successful decode must also pass the decode oracle (re-encodes to
// exactly what it consumed, idempotently, through JSON too).
//
// Both golden catalogs (8.0.18: x_1_0 … x_1_6; 8.0.39: x_1_6 … x_1_9), each read with its
// release's profile. Coverage, per run of the whole test (all shards):
// * truncations: every prefix of every body of every version;
// * mutations: each case of each catalog once, in a version that rotates with the case index,
//   every byte position (the first 2048 of longer bodies) replaced by 5 values
//   (0x00, 0xff, b^0x01, b^0x80, b+1), each through the oracle (every 16th position also
//   through JSON);
// * exhaustive: every one of the 256 values at every position of five small vectors (x_1_0,
//   x_1_1 and x_1_6 of 8.0.18; x_1_9's reply_data and set_leaders_type of 8.0.39).
// The test honours Bazel's sharding (TEST_TOTAL_SHARDS / TEST_SHARD_INDEX) by vector.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "test/vectors/golden_vectors.h"
#include "xdr/codec_error.h"
#include "xdr/decode.h"
#include "xdr/internal/decode_oracle.h"
#include "xdr/json.h"
#include "xdr/limits.h"
#include "xdr/profile.h"

namespace uxcom::xdr {
namespace {

struct Shard {
  size_t index = 0;
  size_t total = 1;
  bool Mine(size_t i) const { return i % total == index; }
};

Shard CurrentShard() {
  Shard s;
  if (const char* total = std::getenv("TEST_TOTAL_SHARDS")) s.total = std::stoul(total);
  if (const char* index = std::getenv("TEST_SHARD_INDEX")) s.index = std::stoul(index);
  if (const char* status = std::getenv("TEST_SHARD_STATUS_FILE")) std::ofstream(status).flush();
  return s;
}

struct Vector {
  std::string catalog;
  std::string file;
  ProtocolVersion version;
  Profile profile;  // the catalog's release
  int case_index;
  std::vector<std::byte> body;
};

// The profile a catalog's frames are read with: its manifest's "mysql_version".
Profile ProfileOf(const std::string& catalog) {
  const std::string release = testing::GoldenManifest(catalog)["mysql_version"];
  std::optional<Profile> p = ParseProfile(release);
  REQUIRE_MESSAGE(p.has_value(), "catalog ", catalog, " names no known release: ", release);
  return *p;
}

std::vector<Vector> AllVectors() {
  std::vector<Vector> out;
  for (const std::string& catalog : testing::GoldenCatalogs()) {
    const Profile profile = ProfileOf(catalog);
    for (const Json& entry : testing::GoldenManifest(catalog)["messages"]) {
      std::vector<std::byte> frame = testing::ReadVector(entry["file"].get<std::string>(), catalog);
      out.push_back({catalog,
                     entry["file"],
                     static_cast<ProtocolVersion>(entry["version"]["value"].get<int>()),
                     profile,
                     entry["case_index"],
                     {frame.begin() + kFrameHeaderSize, frame.end()}});
    }
  }
  return out;
}

TEST_CASE("every truncation of every vector fails cleanly, inside the bytes it was given") {
  const Shard shard = CurrentShard();
  Arena arena;
  size_t decodes = 0;
  const std::vector<Vector> vectors = AllVectors();
  for (size_t i = 0; i < vectors.size(); ++i) {
    if (!shard.Mine(i)) continue;
    const Vector& vec = vectors[i];
    INFO("vector ", vec.catalog, "/", vec.file);
    for (size_t length = 0; length < vec.body.size(); ++length) {
      const std::span<const std::byte> prefix = std::span(vec.body).first(length);
      arena.Reset();
      // The whole body decodes exactly, so no strict prefix can decode.
      absl::StatusOr<Decoded> d =
          Decode(vec.version, prefix, arena, {.zero_copy = true, .profile = vec.profile});
      ++decodes;
      if (d.ok()) {
        FAIL("a prefix of ", length, " bytes decoded");
        break;
      }
      std::optional<CodecError> e = GetCodecError(d.status());
      if (!e || e->consumed > length || !e->offset || *e->offset > length) {
        FAIL("bad failure report for a prefix of ", length, ": ", d.status().ToString());
        break;
      }
    }
  }
  MESSAGE("truncations decoded in this shard: ", decodes);
}

TEST_CASE("single-byte mutations of a sample give an error or a message that passes the oracle") {
  const Shard shard = CurrentShard();
  Arena arena;
  size_t decodes = 0, accepted = 0;
  const std::vector<Vector> vectors = AllVectors();
  // Each case of each catalog once, in a version that rotates with the case index over the
  // catalog's versions, or the nearest one that has the case.
  std::map<std::pair<std::string, int>, size_t> chosen;  // (catalog, case index) -> vector index
  std::map<std::string, std::pair<int, int>> versions;   // catalog -> [lowest, highest]
  for (const Vector& v : vectors) {
    auto it =
        versions.try_emplace(v.catalog, static_cast<int>(v.version), static_cast<int>(v.version))
            .first;
    it->second.first = std::min(it->second.first, static_cast<int>(v.version));
    it->second.second = std::max(it->second.second, static_cast<int>(v.version));
  }
  for (size_t i = 0; i < vectors.size(); ++i) {
    const std::pair<std::string, int> c{vectors[i].catalog, vectors[i].case_index};
    const auto [lowest, highest] = versions[c.first];
    const int wanted = lowest + c.second % (highest - lowest + 1);
    auto distance = [&](size_t k) {
      return std::abs(static_cast<int>(vectors[k].version) - wanted);
    };
    if (!chosen.contains(c) || distance(i) < distance(chosen[c])) chosen[c] = i;
  }
  size_t n = 0;
  for (const auto& [key, i] : chosen) {
    if (!shard.Mine(n++)) continue;
    const Vector& vec = vectors[i];
    INFO("vector ", vec.catalog, "/", vec.file);
    std::vector<std::byte> body = vec.body;
    const size_t positions = std::min<size_t>(body.size(), 2048);
    for (size_t pos = 0; pos < positions; ++pos) {
      const uint8_t original = static_cast<uint8_t>(body[pos]);
      for (uint8_t value :
           {uint8_t{0x00}, uint8_t{0xff}, static_cast<uint8_t>(original ^ 0x01),
            static_cast<uint8_t>(original ^ 0x80), static_cast<uint8_t>(original + 1)}) {
        body[pos] = static_cast<std::byte>(value);
        internal::OracleResult r = internal::CheckDecodeProperties(
            vec.version, body, arena, {.check_json = pos % 16 == 0, .profile = vec.profile});
        ++decodes;
        accepted += r.decoded;
        if (!r.violation.empty()) {
          FAIL("byte ", pos, " := ", int{value}, ": ", r.violation);
          return;
        }
      }
      body[pos] = static_cast<std::byte>(original);
    }
  }
  MESSAGE("mutations checked in this shard: ", decodes, ", of which decoded: ", accepted);
}

TEST_CASE("every value at every position of five small vectors") {
  const Shard shard = CurrentShard();
  Arena arena;
  struct Small {
    std::string_view catalog;
    const char* file;
  };
  const Small files[] = {{testing::kCatalog8018, "v1_6/089_app_list_2.bin"},
                         {testing::kCatalog8018, "v1_1/097_gcs_snapshot_1.bin"},
                         {testing::kCatalog8018, "v1_0/116_snap_present_entries.bin"},
                         {testing::kCatalog8039, "v1_9/131_reply_leader_info_empty.bin"},
                         {testing::kCatalog8039, "v1_9/126_set_leaders_type_1.bin"}};
  for (size_t f = 0; f < std::size(files); ++f) {
    if (!shard.Mine(f)) continue;
    INFO("vector ", files[f].catalog, "/", files[f].file);
    const Profile profile = ProfileOf(std::string(files[f].catalog));
    const std::vector<std::byte> frame = testing::ReadVector(files[f].file, files[f].catalog);
    const auto version = static_cast<ProtocolVersion>(static_cast<uint8_t>(frame[3]));
    std::vector<std::byte> body(frame.begin() + kFrameHeaderSize, frame.end());
    for (size_t pos = 0; pos < body.size(); ++pos) {
      const std::byte original = body[pos];
      for (int value = 0; value < 256; ++value) {
        body[pos] = static_cast<std::byte>(value);
        internal::OracleResult r = internal::CheckDecodeProperties(
            version, body, arena, {.check_json = false, .profile = profile});
        if (!r.violation.empty()) {
          FAIL("byte ", pos, " := ", value, ": ", r.violation);
          return;
        }
      }
      body[pos] = original;
    }
  }
}

}  // namespace
}  // namespace uxcom::xdr
