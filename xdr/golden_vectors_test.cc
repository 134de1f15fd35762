// The codec against MySQL 8.0.18's own bytes: every golden vector of every protocol version
// (test/vectors/xcom-8.0.18, or UXCOM_VECTORS_DIR) decodes to its manifest tree, re-encodes to
// its exact bytes, and reproduces the manifest's cross-decode table.
#include "test/vectors/golden_vectors.h"

#include <doctest/doctest.h>

#include <cstddef>
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

using testing::GoldenManifest;
using testing::ReadVector;

ProtocolVersion VersionOf(const Json& entry) {
  return static_cast<ProtocolVersion>(entry["version"]["value"].get<uint32_t>());
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

TEST_CASE("the catalog is complete: 781 pax_msg frames and 21 negotiation headers") {
  const Json& manifest = GoldenManifest();
  CHECK(manifest["messages"].size() == 781);
  CHECK(manifest["negotiation"].size() == 21);
}

TEST_CASE("every golden frame decodes to its manifest tree and re-encodes to its exact bytes") {
  Arena arena;
  Buffer out;
  int checked = 0;
  for (const Json& entry : GoldenManifest()["messages"]) {
    const std::string file = entry["file"];
    INFO("vector ", file);
    const ProtocolVersion v = VersionOf(entry);
    const std::vector<std::byte> frame = ReadVector(file);
    REQUIRE(frame.size() == entry["total_length"].get<size_t>());

    const FrameHeader header = LoadFrameHeader(HeaderOf(frame));
    CHECK(FrameHeaderToJson(header) == entry["header"]);
    CHECK(header == NormalFrameHeader(v, static_cast<uint32_t>(frame.size() - kFrameHeaderSize)));

    for (bool zero_copy : {false, true}) {
      INFO("zero_copy ", zero_copy);
      arena.Reset();
      absl::StatusOr<Decoded> decoded = Decode(v, BodyOf(frame), arena, {.zero_copy = zero_copy});
      REQUIRE_MESSAGE(decoded.ok(), decoded.status().ToString());
      CHECK(decoded->consumed == BodyOf(frame).size());
      CHECK(decoded->trailing_bytes == 0);

      const Json tree = PaxMsgToJson(*decoded->msg, v);
      CHECK_MESSAGE(tree == entry["pax_msg"], FirstDifference(entry["pax_msg"], tree));

      absl::StatusOr<size_t> size = EncodedSize(v, *decoded->msg);
      REQUIRE_MESSAGE(size.ok(), size.status().ToString());
      CHECK(*size == entry["body_length"].get<size_t>());

      out.Clear();
      absl::StatusOr<size_t> written = AppendFrame(v, *decoded->msg, out);
      REQUIRE_MESSAGE(written.ok(), written.status().ToString());
      CHECK(*written == frame.size());
      CHECK(std::vector<std::byte>(out.data(), out.data() + out.size()) == frame);
    }
    ++checked;
  }
  CHECK(checked == 781);
}

TEST_CASE("every manifest tree encodes to the golden bytes (the xcomdump --encode path)") {
  Arena arena;
  Buffer out;
  for (const Json& entry : GoldenManifest()["messages"]) {
    const std::string file = entry["file"];
    INFO("vector ", file);
    const ProtocolVersion v = VersionOf(entry);
    arena.Reset();
    absl::StatusOr<PaxMsg*> msg = PaxMsgFromJson(entry["pax_msg"], v, arena);
    REQUIRE_MESSAGE(msg.ok(), msg.status().ToString());
    absl::StatusOr<FrameHeader> header = FrameHeaderFromJson(entry["header"]);
    REQUIRE_MESSAGE(header.ok(), header.status().ToString());
    CHECK(header->version == v);
    out.Clear();
    absl::StatusOr<size_t> written = AppendFrame(header->version, **msg, out);
    REQUIRE_MESSAGE(written.ok(), written.status().ToString());
    CHECK(std::vector<std::byte>(out.data(), out.data() + out.size()) == ReadVector(file));
  }
}

TEST_CASE("decoding each body with every version reproduces the cross-decode table") {
  // exact: decoded, every byte consumed, re-encoding with the decoder's version gives the body;
  // ok_with_trailing_bytes: decoded with bytes left over; fail: decoding failed, `consumed`
  // being where xdrmem stopped.
  Arena arena;
  int cells = 0;
  for (const Json& entry : GoldenManifest()["messages"]) {
    const std::vector<std::byte> frame = ReadVector(entry["file"].get<std::string>());
    const std::span<const std::byte> body = BodyOf(frame);
    for (const auto& [decoder_name, expected] : entry["cross_decode"].items()) {
      INFO("vector ", entry["file"].get<std::string>(), " decoded as ", decoder_name);
      const ProtocolVersion b = *ParseProtocolVersion(decoder_name);
      const std::string status = expected["status"];
      const size_t consumed = expected["consumed"];
      arena.Reset();
      absl::StatusOr<Decoded> decoded = Decode(b, body, arena);
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
          absl::StatusOr<size_t> n = EncodeTo(b, *decoded->msg, again);
          REQUIRE_MESSAGE(n.ok(), n.status().ToString());
          CHECK(again == std::vector<std::byte>(body.begin(), body.end()));
        }
      }
      ++cells;
    }
  }
  CHECK(cells == 781 * 7);
}

TEST_CASE("every negotiation frame is a bare header matching the manifest") {
  for (const Json& entry : GoldenManifest()["negotiation"]) {
    INFO("vector ", entry["file"].get<std::string>());
    const std::vector<std::byte> frame = ReadVector(entry["file"].get<std::string>());
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

}  // namespace
}  // namespace uxcom::xdr
