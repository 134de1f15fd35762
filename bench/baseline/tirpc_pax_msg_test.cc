// The libtirpc baseline is a faithful model of 8.0.18's and 8.0.39's codecs: it reproduces every
// golden vector of both catalogs, produces the same bytes as uxcom for the benchmark messages at
// every version, and stops decoding at the same byte as uxcom on truncated and mutated input,
// under each release's rules (a differential test of both codecs against libtirpc's own
// xdrmem).
#include "bench/baseline/tirpc_pax_msg.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
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

xdr::Profile ProfileOf(const std::string& catalog) {
  return *xdr::ParseProfile(testing::GoldenManifest(catalog)["mysql_version"].get<std::string>());
}

TEST_CASE("decoding and re-encoding every golden vector with libtirpc gives its bytes") {
  for (const std::string& catalog : testing::GoldenCatalogs()) {
    const xdr::Profile profile = ProfileOf(catalog);
    for (const Json& entry : testing::GoldenManifest(catalog)["messages"]) {
      const std::string file = entry["file"];
      INFO("vector ", catalog, "/", file);
      const uint32_t version = entry["version"]["value"];
      const std::vector<std::byte> frame = testing::ReadVector(file, catalog);
      pax_msg* msg = nullptr;
      uint32_t consumed = 0;
      REQUIRE(Deserialize(version, reinterpret_cast<const char*>(frame.data()) + 12,
                          static_cast<uint32_t>(frame.size() - 12), &msg, &consumed, profile));
      CHECK(consumed == frame.size() - 12);
      Frame out;
      REQUIRE(Serialize(version, msg, &out.data, &out.size, profile));
      CHECK(out.bytes() == frame);
      FreePaxMsg(version, msg, profile);
    }
  }
}

TEST_CASE("the benchmark messages encode to the same bytes in both codecs, at every version") {
  for (const NamedMessage& m : AllCodecBenchMessages()) {
    for (uint32_t v = 1; v <= 10; ++v) {
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

bool LeadersHaveNul(const xdr::LeaderArray& leaders) {
  for (const xdr::Leader& l : leaders) {
    if (HasNul(l.address)) return true;
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
    if (const auto* leaders = d.body.Get<xdr::AppArm::kLeaders>();
        leaders && LeadersHaveNul(*leaders)) {
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
      if (c && (NodesHaveNul(c->nodes) || (c->leaders && LeadersHaveNul(*c->leaders)))) {
        return true;
      }
    }
  }
  if (m.rd) {
    if (const auto* l = std::get_if<xdr::LeaderInfoData>(&m.rd->arm);
        l && (LeadersHaveNul(l->preferred_leaders) || LeadersHaveNul(l->actual_leaders))) {
      return true;
    }
  }
  return false;
}

// Decodes `body` with both codecs; they must agree on success and on where decoding stopped,
// and successful decodes must re-encode identically. libtirpc allocates what a length claims
// before reading, so bodies uxcom rejects for a huge opaque length are not given to it.
void Differential(uint32_t version, std::span<const std::byte> body, xdr::Profile profile) {
  xdr::Arena arena;
  absl::StatusOr<xdr::Decoded> mine = xdr::Decode(static_cast<xdr::ProtocolVersion>(version), body,
                                                  arena, {.zero_copy = true, .profile = profile});
  size_t my_consumed = 0;
  if (mine.ok()) {
    my_consumed = mine->consumed;
  } else {
    const xdr::CodecError e = *xdr::GetCodecError(mine.status());
    if (e.reason.starts_with("length ") && e.reason.find(" needs ") != std::string::npos &&
        std::stoull(e.reason.substr(7)) > (1u << 20)) {
      return;
    }
    my_consumed = e.consumed;
  }
  pax_msg* theirs = nullptr;
  uint32_t their_consumed = 0;
  const bool ok =
      Deserialize(version, reinterpret_cast<const char*>(body.data()),
                  static_cast<uint32_t>(body.size()), &theirs, &their_consumed, profile);
  CHECK(ok == mine.ok());
  CHECK(their_consumed == my_consumed);
  if (ok && mine.ok() && !HasEmbeddedNul(*mine->msg)) {
    xdr::Buffer my_frame;
    REQUIRE(xdr::AppendFrame(static_cast<xdr::ProtocolVersion>(version), *mine->msg, my_frame,
                             xdr::EncodeOptions::LikeMySql(profile))
                .ok());
    Frame their_frame;
    REQUIRE(Serialize(version, theirs, &their_frame.data, &their_frame.size, profile));
    CHECK(their_frame.size == my_frame.size());
    CHECK(std::memcmp(their_frame.data, my_frame.data(), my_frame.size()) == 0);
  }
  FreePaxMsg(version, theirs, profile);
}

TEST_CASE("on truncated bodies both codecs fail at the same byte") {
  for (const std::string& catalog : testing::GoldenCatalogs()) {
    const xdr::Profile profile = ProfileOf(catalog);
    for (const Json& entry : testing::GoldenManifest(catalog)["messages"]) {
      const std::string file = entry["file"];
      INFO("vector ", catalog, "/", file);
      const uint32_t version = entry["version"]["value"];
      const std::vector<std::byte> frame = testing::ReadVector(file, catalog);
      const std::span<const std::byte> body = std::span(frame).subspan(12);
      const size_t step = body.size() > 2048 ? 61 : 1;
      for (size_t n = 0; n < body.size(); n += step) Differential(version, body.first(n), profile);
    }
  }
}

TEST_CASE("on mutated bodies both codecs agree on success, position and re-encoding") {
  for (const std::string& catalog : testing::GoldenCatalogs()) {
    const xdr::Profile profile = ProfileOf(catalog);
    const Json& manifest = testing::GoldenManifest(catalog);
    const uint32_t first = manifest["protocol_versions"][0]["value"];
    const uint32_t versions = static_cast<uint32_t>(manifest["protocol_versions"].size());
    for (const Json& entry : manifest["messages"]) {
      // One version per case, rotating, to keep the run short.
      const uint32_t case_index = entry["case_index"];
      const uint32_t version = entry["version"]["value"];
      if (version != first + case_index % versions) continue;
      const std::string file = entry["file"];
      INFO("vector ", catalog, "/", file);
      std::vector<std::byte> body = testing::ReadVector(file, catalog);
      body.erase(body.begin(), body.begin() + 12);
      for (size_t pos = 0; pos < std::min<size_t>(body.size(), 1024); ++pos) {
        const std::byte original = body[pos];
        for (std::byte value : {std::byte{0x00}, std::byte{0xff}, original ^ std::byte{0x01}}) {
          body[pos] = value;
          Differential(version, body, profile);
        }
        body[pos] = original;
      }
    }
  }
}

}  // namespace
}  // namespace uxcom::bench::tirpc
