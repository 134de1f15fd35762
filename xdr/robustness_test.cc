// Hostile input: every truncation of every golden vector, and single-byte mutations of a sample,
// give an error or a valid message, never a crash, a hang, a leak or a sanitizer report (run it
// under --config=asan). Every successful decode must also pass the decode oracle (re-encodes to
// exactly what it consumed, idempotently, through JSON too).
//
// Coverage, per run of the whole test (all shards):
// * truncations: every prefix of every body of every version (about 0.8 million decodes);
// * mutations: each case of the catalog once, in a version that rotates with the case index
//   (119 vectors), every byte position (the first 2048 of longer bodies) replaced by 5 values
//   (0x00, 0xff, b^0x01, b^0x80, b+1): about 215 000 decodes, each through the oracle (every
//   16th position also through JSON);
// * exhaustive: every one of the 256 values at every position of three small vectors.
// The test honours Bazel's sharding (TEST_TOTAL_SHARDS / TEST_SHARD_INDEX) by vector.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "test/vectors/golden_vectors.h"
#include "xdr/codec_error.h"
#include "xdr/decode.h"
#include "xdr/internal/decode_oracle.h"
#include "xdr/json.h"
#include "xdr/limits.h"

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
  std::string file;
  ProtocolVersion version;
  int case_index;
  std::vector<std::byte> body;
};

std::vector<Vector> AllVectors() {
  std::vector<Vector> out;
  for (const Json& entry : testing::GoldenManifest()["messages"]) {
    std::vector<std::byte> frame = testing::ReadVector(entry["file"].get<std::string>());
    out.push_back({entry["file"],
                   static_cast<ProtocolVersion>(entry["version"]["value"].get<int>()),
                   entry["case_index"],
                   {frame.begin() + kFrameHeaderSize, frame.end()}});
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
    INFO("vector ", vec.file);
    for (size_t length = 0; length < vec.body.size(); ++length) {
      const std::span<const std::byte> prefix = std::span(vec.body).first(length);
      arena.Reset();
      // The whole body decodes exactly, so no strict prefix can decode.
      absl::StatusOr<Decoded> d = Decode(vec.version, prefix, arena, {.zero_copy = true});
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
  // Each case once, in the version 1 + case % 7, or the nearest one that has the case.
  std::map<int, size_t> chosen;  // case index -> vector index
  for (size_t i = 0; i < vectors.size(); ++i) {
    const int c = vectors[i].case_index;
    const int wanted = 1 + c % 7;
    auto distance = [&](size_t k) {
      return std::abs(static_cast<int>(vectors[k].version) - wanted);
    };
    if (!chosen.contains(c) || distance(i) < distance(chosen[c])) chosen[c] = i;
  }
  size_t n = 0;
  for (const auto& [case_index, i] : chosen) {
    if (!shard.Mine(n++)) continue;
    const Vector& vec = vectors[i];
    INFO("vector ", vec.file);
    std::vector<std::byte> body = vec.body;
    const size_t positions = std::min<size_t>(body.size(), 2048);
    for (size_t pos = 0; pos < positions; ++pos) {
      const uint8_t original = static_cast<uint8_t>(body[pos]);
      for (uint8_t value :
           {uint8_t{0x00}, uint8_t{0xff}, static_cast<uint8_t>(original ^ 0x01),
            static_cast<uint8_t>(original ^ 0x80), static_cast<uint8_t>(original + 1)}) {
        body[pos] = static_cast<std::byte>(value);
        internal::OracleResult r = internal::CheckDecodeProperties(vec.version, body, arena,
                                                                   {.check_json = pos % 16 == 0});
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

TEST_CASE("every value at every position of three small vectors") {
  const Shard shard = CurrentShard();
  Arena arena;
  const char* files[] = {"v1_6/089_app_list_2.bin", "v1_1/097_gcs_snapshot_1.bin",
                         "v1_0/116_snap_present_entries.bin"};
  for (size_t f = 0; f < std::size(files); ++f) {
    if (!shard.Mine(f)) continue;
    INFO("vector ", files[f]);
    const std::vector<std::byte> frame = testing::ReadVector(files[f]);
    const auto version = static_cast<ProtocolVersion>(static_cast<uint8_t>(frame[3]));
    std::vector<std::byte> body(frame.begin() + kFrameHeaderSize, frame.end());
    for (size_t pos = 0; pos < body.size(); ++pos) {
      const std::byte original = body[pos];
      for (int value = 0; value < 256; ++value) {
        body[pos] = static_cast<std::byte>(value);
        internal::OracleResult r =
            internal::CheckDecodeProperties(version, body, arena, {.check_json = false});
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
