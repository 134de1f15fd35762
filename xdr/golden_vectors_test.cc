// The codec against MySQL's own bytes: every golden vector of both catalogs (MySQL 8.0.18,
// x_1_0 … x_1_6, and MySQL 8.0.39, x_1_6 … x_1_9; test/vectors/, or UXCOM_VECTORS_DIR and
// UXCOM_VECTORS_DIR_8_0_39 for catalogs of the same shape) decodes to its manifest tree with its
// release's profile, re-encodes to its exact bytes (the header's tag included), and reproduces
// the manifest's cross-decode table. Each release's x_1_6 frames read with the other release's
// rules fail or agree exactly where the catalogs' READMEs (§6) say they do.
#include "test/vectors/golden_vectors.h"

#include <doctest/doctest.h>

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "xdr/buffer.h"
#include "xdr/codec_error.h"
#include "xdr/decode.h"
#include "xdr/encode.h"
#include "xdr/frame_header.h"
#include "xdr/json.h"

namespace uxcom::xdr {
namespace {

using testing::GoldenCatalogs;
using testing::GoldenManifest;
using testing::ReadVector;

ProtocolVersion VersionOf(const Json& entry) {
  return static_cast<ProtocolVersion>(entry["version"]["value"].get<uint32_t>());
}

// The release a catalog was made with: its frames are read with that profile.
Profile ProfileOf(const std::string& catalog) {
  const std::string release = GoldenManifest(catalog)["mysql_version"];
  std::optional<Profile> p = ParseProfile(release);
  REQUIRE_MESSAGE(p.has_value(), "no profile for MySQL ", release);
  return *p;
}

std::span<const std::byte> BodyOf(const std::vector<std::byte>& frame) {
  return std::span<const std::byte>(frame).subspan(kFrameHeaderSize);
}

std::span<const std::byte, kFrameHeaderSize> HeaderOf(const std::vector<std::byte>& frame) {
  return std::span<const std::byte, kFrameHeaderSize>(frame.data(), kFrameHeaderSize);
}

// The first JSON path where two trees differ, for readable failures.
std::string FirstDifference(const Json& expected, const Json& actual) {
  Json patch = Json::diff(expected, actual);
  return patch.empty() ? std::string("(none)") : patch[0].dump();
}

// Whether a field tree holds a cargo type that peers at v may not know (FirstVersionWithCargo):
// MySQL 8.0.39's routines encode them at every version, the default EncodeOptions refuse them.
bool HoldsCargoNewerThan(const Json& j, ProtocolVersion v) {
  if (j.is_object()) {
    if (j.contains("c_t") && j["c_t"].is_object() &&
        FirstVersionWithCargo(static_cast<CargoType>(j["c_t"]["value"].get<int32_t>())) > v) {
      return true;
    }
    for (const auto& [k, value] : j.items()) {
      if (HoldsCargoNewerThan(value, v)) return true;
    }
  } else if (j.is_array()) {
    for (const Json& value : j) {
      if (HoldsCargoNewerThan(value, v)) return true;
    }
  }
  return false;
}

// Whether a field tree holds a cargo-3 union (xcom_recover in 8.0.18, no arm in 8.0.39).
bool HoldsCargo3(const Json& j) {
  if (j.is_object()) {
    if (j.contains("c_t") && j["c_t"].is_object() && j["c_t"]["value"] == 3) return true;
    for (const auto& [k, v] : j.items()) {
      if (HoldsCargo3(v)) return true;
    }
  } else if (j.is_array()) {
    for (const Json& v : j) {
      if (HoldsCargo3(v)) return true;
    }
  }
  return false;
}

size_t LongestBlob(const Json& j) {
  size_t longest = 0;
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if ((k == "uuid" || k == "app_snap") && v.is_object()) {
        longest = std::max(longest, v["data"].get<std::string>().size() / 2);
      } else {
        longest = std::max(longest, LongestBlob(v));
      }
    }
  } else if (j.is_array()) {
    for (const Json& v : j) longest = std::max(longest, LongestBlob(v));
  }
  return longest;
}

TEST_CASE("the catalogs are complete: every file the manifests declare, 802 + 520 primary frames") {
  size_t frames = 0;
  for (const std::string& catalog : GoldenCatalogs()) {
    INFO("catalog ", catalog);
    const Json& manifest = GoldenManifest(catalog);
    size_t declared = 0;
    for (const Json& v : manifest["protocol_versions"])
      declared += v["pax_msg_count"].get<size_t>();
    CHECK(manifest["messages"].size() == declared);
    CHECK(manifest["negotiation"].size() == 3 * manifest["protocol_versions"].size());
    for (const Json& entry : manifest["messages"]) {
      CHECK(ReadVector(entry["file"].get<std::string>(), catalog).size() ==
            entry["total_length"].get<size_t>());
    }
    if (manifest["set"] == "primary") {
      frames += manifest["messages"].size() + manifest["negotiation"].size();
    }
  }
  // The primary catalogs of this repository (a held-back catalog has its own seed, same shape).
  if (GoldenManifest(testing::kCatalog8018)["seed"] == 8018 &&
      GoldenManifest(testing::kCatalog8039)["seed"] == 8039) {
    CHECK(GoldenManifest(testing::kCatalog8018)["messages"].size() == 781);
    CHECK(GoldenManifest(testing::kCatalog8039)["messages"].size() == 508);
    CHECK(frames == 802 + 520);
  }
}

TEST_CASE("every golden frame decodes to its manifest tree and re-encodes to its exact bytes") {
  Arena arena;
  Buffer out;
  for (const std::string& catalog : GoldenCatalogs()) {
    const Profile profile = ProfileOf(catalog);
    size_t checked = 0;
    for (const Json& entry : GoldenManifest(catalog)["messages"]) {
      const std::string file = entry["file"];
      INFO("vector ", catalog, "/", file);
      const ProtocolVersion v = VersionOf(entry);
      const std::vector<std::byte> frame = ReadVector(file, catalog);
      REQUIRE(frame.size() == entry["total_length"].get<size_t>());

      const FrameHeader header = LoadFrameHeader(HeaderOf(frame));
      CHECK(FrameHeaderToJson(header) == entry["header"]);
      CHECK(header ==
            NormalFrameHeader(v, static_cast<uint32_t>(frame.size() - kFrameHeaderSize), profile));

      for (bool zero_copy : {false, true}) {
        INFO("zero_copy ", zero_copy);
        arena.Reset();
        absl::StatusOr<Decoded> decoded =
            Decode(v, BodyOf(frame), arena, {.zero_copy = zero_copy, .profile = profile});
        REQUIRE_MESSAGE(decoded.ok(), decoded.status().ToString());
        CHECK(decoded->consumed == BodyOf(frame).size());
        CHECK(decoded->trailing_bytes == 0);

        const Json tree = PaxMsgToJson(*decoded->msg, v, profile);
        CHECK_MESSAGE(tree == entry["pax_msg"], FirstDifference(entry["pax_msg"], tree));

        // Exactly what the release's own encoder accepts (LikeMySql): the default options also
        // refuse cargo types older peers do not know (checked below).
        const EncodeOptions options = EncodeOptions::LikeMySql(profile);
        absl::StatusOr<size_t> size = EncodedSize(v, *decoded->msg, options);
        REQUIRE_MESSAGE(size.ok(), size.status().ToString());
        CHECK(*size == entry["body_length"].get<size_t>());

        out.Clear();
        absl::StatusOr<size_t> written = AppendFrame(v, *decoded->msg, out, options);
        REQUIRE_MESSAGE(written.ok(), written.status().ToString());
        CHECK(*written == frame.size());
        CHECK(std::vector<std::byte>(out.data(), out.data() + out.size()) == frame);

        // The default options: the same bytes, or a refusal naming the cargo type.
        absl::StatusOr<size_t> strict = EncodedSize(v, *decoded->msg, {.profile = profile});
        if (HoldsCargoNewerThan(entry["pax_msg"], v)) {
          REQUIRE_FALSE(strict.ok());
          CHECK(GetCodecError(strict.status())->field.ends_with("body.c_t"));
        } else {
          CHECK_MESSAGE(strict.ok(), strict.status().ToString());
        }
      }
      ++checked;
    }
    CHECK(checked == GoldenManifest(catalog)["messages"].size());
  }
}

TEST_CASE("every manifest tree encodes to the golden bytes (the xcomdump --encode path)") {
  Arena arena;
  Buffer out;
  for (const std::string& catalog : GoldenCatalogs()) {
    const Profile profile = ProfileOf(catalog);
    for (const Json& entry : GoldenManifest(catalog)["messages"]) {
      const std::string file = entry["file"];
      INFO("vector ", catalog, "/", file);
      const ProtocolVersion v = VersionOf(entry);
      arena.Reset();
      absl::StatusOr<PaxMsg*> msg = PaxMsgFromJson(entry["pax_msg"], v, arena, profile);
      REQUIRE_MESSAGE(msg.ok(), msg.status().ToString());
      absl::StatusOr<FrameHeader> header = FrameHeaderFromJson(entry["header"]);
      REQUIRE_MESSAGE(header.ok(), header.status().ToString());
      CHECK(header->version == v);
      out.Clear();
      absl::StatusOr<size_t> written =
          AppendFrame(header->version, **msg, out, EncodeOptions::LikeMySql(profile));
      REQUIRE_MESSAGE(written.ok(), written.status().ToString());
      CHECK(std::vector<std::byte>(out.data(), out.data() + out.size()) ==
            ReadVector(file, catalog));
    }
  }
}

TEST_CASE("decoding each body with every version reproduces the cross-decode tables") {
  // exact: decoded, every byte consumed, re-encoding with the decoder's version gives the body;
  // ok_with_trailing_bytes: decoded with bytes left over; fail: decoding failed, `consumed`
  // being where xdrmem stopped.
  Arena arena;
  for (const std::string& catalog : GoldenCatalogs()) {
    const Profile profile = ProfileOf(catalog);
    const Json& manifest = GoldenManifest(catalog);
    size_t cells = 0;
    for (const Json& entry : manifest["messages"]) {
      const std::vector<std::byte> frame = ReadVector(entry["file"].get<std::string>(), catalog);
      const std::span<const std::byte> body = BodyOf(frame);
      for (const auto& [decoder_name, expected] : entry["cross_decode"].items()) {
        INFO("vector ", catalog, "/", entry["file"].get<std::string>(), " decoded as ",
             decoder_name);
        const ProtocolVersion b = *ParseProtocolVersion(decoder_name);
        const std::string status = expected["status"];
        const size_t consumed = expected["consumed"];
        arena.Reset();
        absl::StatusOr<Decoded> decoded = Decode(b, body, arena, {.profile = profile});
        if (status == "fail") {
          CHECK_FALSE(decoded.ok());
          if (!decoded.ok()) {
            std::optional<CodecError> error = GetCodecError(decoded.status());
            REQUIRE(error.has_value());
            CHECK_MESSAGE(error->consumed == consumed, decoded.status().ToString());
          }
        } else {
          REQUIRE_MESSAGE(decoded.ok(), decoded.status().ToString());
          CHECK(decoded->consumed == consumed);
          CHECK((decoded->trailing_bytes == 0) == (status == "exact"));
          if (status == "exact") {
            std::vector<std::byte> again(body.size());
            absl::StatusOr<size_t> n =
                EncodeTo(b, *decoded->msg, again, EncodeOptions::LikeMySql(profile));
            REQUIRE_MESSAGE(n.ok(), n.status().ToString());
            CHECK(again == std::vector<std::byte>(body.begin(), body.end()));
          }
        }
        ++cells;
      }
    }
    CHECK(cells == manifest["messages"].size() * manifest["protocol_versions"].size());
  }
}

// Decodes `catalog`'s frames of versions ≤ x_1_6 with `other`'s rules: those `refused` says
// the other release refuses must fail, every other one must re-encode (with those rules) to its
// exact body.
void ReadWithOtherRelease(const std::string& catalog, Profile other,
                          const std::function<bool(const Json&)>& refused) {
  Arena arena;
  size_t agreed = 0, failed = 0;
  for (const Json& entry : GoldenManifest(catalog)["messages"]) {
    const ProtocolVersion v = VersionOf(entry);
    if (v > ProtocolVersion::kX1_6) continue;
    INFO("vector ", catalog, "/", entry["file"].get<std::string>());
    const std::vector<std::byte> frame = ReadVector(entry["file"].get<std::string>(), catalog);
    arena.Reset();
    absl::StatusOr<Decoded> d = Decode(v, BodyOf(frame), arena, {.profile = other});
    if (refused(entry)) {
      CHECK_FALSE(d.ok());
      ++failed;
      continue;
    }
    REQUIRE_MESSAGE(d.ok(), d.status().ToString());
    CHECK(d->trailing_bytes == 0);
    std::vector<std::byte> again(BodyOf(frame).size());
    absl::StatusOr<size_t> n = EncodeTo(v, *d->msg, again, {.profile = other});
    REQUIRE_MESSAGE(n.ok(), n.status().ToString());
    CHECK(std::span<const std::byte>(again).size() == BodyOf(frame).size());
    CHECK(std::equal(again.begin(), again.end(), BodyOf(frame).begin()));
    ++agreed;
  }
  MESSAGE(catalog, " read with ", ProfileName(other), "'s rules: ", agreed, " agree, ", failed,
          " refused");
}

TEST_CASE("8.0.39's x_1_6 frames under 8.0.18's rules: cargo 3, blobs > 1024, > 100 configs fail") {
  ReadWithOtherRelease(std::string(testing::kCatalog8039), Profile::k8_0_18, [](const Json& e) {
    const Json& m = e["pax_msg"];
    const bool many_configs = m["gcs_snap"].is_object() && m["gcs_snap"]["cfg"].size() > 100;
    return HoldsCargo3(m) || LongestBlob(m) > 1024 || many_configs;
  });
}

TEST_CASE("8.0.18's frames under 8.0.39's rules: cargo 3 repositories and x_1_3 gcs_snapshots") {
  ReadWithOtherRelease(std::string(testing::kCatalog8018), Profile::k8_0_39, [](const Json& e) {
    const Json& m = e["pax_msg"];
    const bool x_1_3_snapshot = VersionOf(e) == ProtocolVersion::kX1_3 && !m["gcs_snap"].is_null();
    return HoldsCargo3(m) || x_1_3_snapshot;
  });
}

TEST_CASE("every negotiation frame is a bare header matching the manifest") {
  for (const std::string& catalog : GoldenCatalogs()) {
    for (const Json& entry : GoldenManifest(catalog)["negotiation"]) {
      INFO("vector ", catalog, "/", entry["file"].get<std::string>());
      const std::vector<std::byte> frame = ReadVector(entry["file"].get<std::string>(), catalog);
      REQUIRE(frame.size() == kFrameHeaderSize);
      const FrameHeader header = LoadFrameHeader(HeaderOf(frame));
      CHECK(FrameHeaderToJson(header) == entry["header"]);
      CHECK(IsNegotiation(header.type));
      CHECK(header.length == 0);
      absl::StatusOr<FrameHeader> back = FrameHeaderFromJson(entry["header"]);
      REQUIRE(back.ok());
      CHECK(FrameHeaderBytes(*back) == FrameHeaderBytes(header));
    }
  }
}

}  // namespace
}  // namespace uxcom::xdr
