// The libtirpc baseline is a faithful model of 8.0.18's codec: it reproduces every golden
// vector, produces the same bytes as uxcom for the benchmark messages at every version, and
// stops decoding at the same byte as uxcom on truncated and mutated input (a differential test
// of both codecs against libtirpc's own xdrmem).
#include "bench/baseline/tirpc_pax_msg.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bench/codec_bench_messages.h"
#include "test/vectors/golden_vectors.h"
#include "xdr/buffer.h"
#include "xdr/codec_error.h"
#include "xdr/decode.h"
#include "xdr/encode.h"
#include "xdr/json.h"

namespace uxcom::bench::tirpc {
namespace {

using xdr::Json;

struct Frame {
  char* data = nullptr;
  uint32_t size = 0;
  ~Frame() { free(data); }
  std::vector<std::byte> bytes() const {
    auto* p = reinterpret_cast<const std::byte*>(data);
    return {p, p + size};
  }
};

TEST_CASE("decoding and re-encoding every golden vector with libtirpc gives its bytes") {
  for (const Json& entry : testing::GoldenManifest()["messages"]) {
    const std::string file = entry["file"];
    INFO("vector ", file);
    const uint32_t version = entry["version"]["value"];
    const std::vector<std::byte> frame = testing::ReadVector(file);
    pax_msg* msg = nullptr;
    uint32_t consumed = 0;
    REQUIRE(Deserialize(version, reinterpret_cast<const char*>(frame.data()) + 12,
                        static_cast<uint32_t>(frame.size() - 12), &msg, &consumed));
    CHECK(consumed == frame.size() - 12);
    Frame out;
    REQUIRE(Serialize(version, msg, &out.data, &out.size));
    CHECK(out.bytes() == frame);
    FreePaxMsg(version, msg);
  }
}

TEST_CASE("the benchmark messages encode to the same bytes in both codecs, at every version") {
  for (const NamedMessage& m : AllCodecBenchMessages()) {
    for (uint32_t v = 1; v <= 7; ++v) {
      INFO(m.name, " at version ", v);
      xdr::Buffer mine;
      REQUIRE(xdr::AppendFrame(static_cast<xdr::ProtocolVersion>(v), m.msg, mine).ok());
      pax_msg* c = FromModel(m.msg);
      Frame theirs;
      REQUIRE(Serialize(v, c, &theirs.data, &theirs.size));
      CHECK(theirs.size == mine.size());
      CHECK(std::memcmp(theirs.data, mine.data(), mine.size()) == 0);
      FreePaxMsg(v, c);
    }
  }
}

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

bool NodesHaveNul(const xdr::NodeList& nodes) {
  for (const xdr::NodeAddress& n : nodes) {
    if (HasNul(n.address)) return true;
  }
  return false;
}

bool ChainHasNul(const xdr::AppDataList& list) {
  for (const xdr::AppData& d : list) {
    if (const auto* nodes = std::get_if<xdr::NodeList>(&d.body.arm);
        nodes && NodesHaveNul(*nodes)) {
      return true;
    }
    if (const auto* td = std::get_if<xdr::TransData>(&d.body.arm);
        td && (HasNul(td->cluster_name) || HasNul(td->errmsg.message))) {
      return true;
    }
  }
  return false;
}

// Strings are C strings in the baseline: an embedded NUL ends them there (as in 8.0.18), while
// uxcom keeps every byte, so such messages re-encode differently by design.
bool HasEmbeddedNul(const xdr::PaxMsg& m) {
  if (ChainHasNul(m.a)) return true;
  if (m.snap) {
    for (const xdr::AppDataList& e : m.snap->snap) {
      if (ChainHasNul(e)) return true;
    }
  }
  if (m.gcs_snap) {
    for (const std::optional<xdr::Config>& c : m.gcs_snap->cfg) {
      if (c && NodesHaveNul(c->nodes)) return true;
    }
  }
  return false;
}

// What the differential did with each input, per test case: every input is compared, or skipped
// for a claimed length libtirpc cannot be given (see Differential), and both are asserted.
struct Tally {
  size_t inputs = 0;
  size_t compared = 0;
  size_t skipped_huge_length = 0;
  std::string ToString() const {
    return std::to_string(inputs) + " inputs: " + std::to_string(compared) + " compared, " +
           std::to_string(skipped_huge_length) + " skipped for a length above " +
           std::to_string(kMaxClaimForTirpc >> 20) + " MiB";
  }
  // libtirpc allocates what a length claims before reading a byte of it (8.0.18 too): a claim
  // above this, which uxcom rejects at once, is not given to it.
  static constexpr uint64_t kMaxClaimForTirpc = 64u << 20;
};

// Decodes `body` with both codecs; they must agree on success and on where decoding stopped,
// and successful decodes must re-encode identically.
void Differential(uint32_t version, std::span<const std::byte> body, Tally& tally) {
  ++tally.inputs;
  xdr::Arena arena;
  absl::StatusOr<xdr::Decoded> mine =
      xdr::Decode(static_cast<xdr::ProtocolVersion>(version), body, arena, {.zero_copy = true});
  size_t my_consumed = 0;
  if (mine.ok()) {
    my_consumed = mine->consumed;
  } else {
    const xdr::CodecError e = *xdr::GetCodecError(mine.status());
    if (e.reason.starts_with("length ") && e.reason.find(" needs ") != std::string::npos &&
        std::stoull(e.reason.substr(7)) > Tally::kMaxClaimForTirpc) {
      CHECK(std::stoull(e.reason.substr(7)) > body.size());  // a claim the body cannot hold
      ++tally.skipped_huge_length;
      return;
    }
    my_consumed = e.consumed;
  }
  pax_msg* theirs = nullptr;
  uint32_t their_consumed = 0;
  const bool ok = Deserialize(version, reinterpret_cast<const char*>(body.data()),
                              static_cast<uint32_t>(body.size()), &theirs, &their_consumed);
  CHECK(ok == mine.ok());
  CHECK(their_consumed == my_consumed);
  if (ok && mine.ok() && !HasEmbeddedNul(*mine->msg)) {
    xdr::Buffer my_frame;
    REQUIRE(xdr::AppendFrame(static_cast<xdr::ProtocolVersion>(version), *mine->msg, my_frame,
                             xdr::EncodeOptions::Like8018())
                .ok());
    Frame their_frame;
    REQUIRE(Serialize(version, theirs, &their_frame.data, &their_frame.size));
    CHECK(their_frame.size == my_frame.size());
    CHECK(std::memcmp(their_frame.data, my_frame.data(), my_frame.size()) == 0);
  }
  FreePaxMsg(version, theirs);
  ++tally.compared;
}

// Every truncation of the first 2048 bytes and of the last 64 of each body, and every 61st in
// between (the 70 kB bodies would otherwise take minutes): a length field, a string and an
// opaque are each cut at every byte near both ends.
std::vector<size_t> TruncationPoints(size_t size) {
  std::vector<size_t> points;
  for (size_t n = 0; n < size; ++n) {
    if (n < 2048 || n + 64 >= size || n % 61 == 0) points.push_back(n);
  }
  return points;
}

TEST_CASE("on truncated bodies both codecs fail at the same byte") {
  Tally tally;
  size_t vectors = 0;
  size_t expected_inputs = 0;
  for (const Json& entry : testing::GoldenManifest()["messages"]) {
    const std::string file = entry["file"];
    INFO("vector ", file);
    const uint32_t version = entry["version"]["value"];
    const std::vector<std::byte> frame = testing::ReadVector(file);
    const std::span<const std::byte> body = std::span(frame).subspan(12);
    const std::vector<size_t> points = TruncationPoints(body.size());
    for (size_t n : points) Differential(version, body.first(n), tally);
    expected_inputs += points.size();
    ++vectors;
  }
  MESSAGE(vectors, " vectors, ", tally.ToString());
  CHECK(vectors == testing::GoldenManifest()["messages"].size());
  CHECK(tally.inputs == expected_inputs);
  // A truncated golden body claims only real lengths (at most 70 kB): nothing may be skipped.
  CHECK(tally.skipped_huge_length == 0);
  CHECK(tally.compared == tally.inputs);
}

// The vector of `case_index` to mutate: its version 1 + case_index % 7 (one version per case,
// rotating, to keep the run short), or the newest it has when it has no vector at that version
// (an op younger than the version), so that no case is left out.
std::map<int, Json> OneVectorPerCase() {
  std::map<int, Json> chosen;
  for (const Json& entry : testing::GoldenManifest()["messages"]) {
    const int case_index = entry["case_index"];
    const int version = entry["version"]["value"];
    auto [it, fresh] = chosen.emplace(case_index, entry);
    const int have = it->second["version"]["value"];
    const int want = 1 + case_index % 7;
    if (!fresh && have != want && (version == want || version > have)) it->second = entry;
  }
  return chosen;
}

TEST_CASE("on mutated bodies both codecs agree on success, position and re-encoding") {
  std::set<int> cases;
  for (const Json& entry : testing::GoldenManifest()["messages"]) {
    cases.insert(entry["case_index"].get<int>());
  }
  const std::map<int, Json> chosen = OneVectorPerCase();
  CHECK(chosen.size() == cases.size());  // every case of the manifest (119), none left out
  Tally tally;
  size_t expected_inputs = 0;
  for (const auto& [case_index, entry] : chosen) {
    const uint32_t version = entry["version"]["value"];
    const std::string file = entry["file"];
    INFO("vector ", file);
    std::vector<std::byte> body = testing::ReadVector(file);
    body.erase(body.begin(), body.begin() + 12);
    // Every byte of bodies up to 1 kB; of larger ones, the first 1 kB (headers, lengths and
    // the start of every field) and the last 64 bytes.
    for (size_t pos = 0; pos < body.size(); ++pos) {
      if (pos >= 1024 && pos + 64 < body.size()) continue;
      const std::byte original = body[pos];
      for (std::byte value : {std::byte{0x00}, std::byte{0xff}, original ^ std::byte{0x01}}) {
        body[pos] = value;
        Differential(version, body, tally);
        ++expected_inputs;
      }
      body[pos] = original;
    }
  }
  MESSAGE(chosen.size(), " cases, ", tally.ToString());
  CHECK(tally.inputs == expected_inputs);
  CHECK(tally.compared + tally.skipped_huge_length == tally.inputs);
  // Only a 0xff written into the top byte of a length claims more than 64 MiB: a few per
  // message at most, never most of them.
  CHECK(tally.skipped_huge_length * 20 < tally.inputs);
  CHECK(tally.compared > 0);
}

}  // namespace
}  // namespace uxcom::bench::tirpc
