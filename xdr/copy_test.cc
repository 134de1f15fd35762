#include "xdr/copy.h"

#include <doctest/doctest.h>

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "test/vectors/golden_vectors.h"
#include "xdr/buffer.h"
#include "xdr/decode.h"
#include "xdr/encode.h"
#include "xdr/frame_header.h"

namespace uxcom::xdr {
namespace {

std::span<const std::byte> BodyOf(const std::vector<std::byte>& frame) {
  return std::span<const std::byte>(frame).subspan(kFrameHeaderSize);
}

TEST_CASE("a copy re-encodes to the original bytes for every golden message of every version") {
  int checked = 0;
  for (const auto& m : testing::GoldenManifest()["messages"]) {
    std::vector<std::byte> frame = testing::ReadVector(m["file"].get<std::string>());
    auto version = static_cast<ProtocolVersion>(m["version"]["value"].get<uint32_t>());
    CAPTURE(m["file"].get<std::string>());
    Arena arena;
    PaxMsg* copy = nullptr;
    {
      // The source lives in its own arena and dies before the copy is used.
      absl::StatusOr<OwnedPaxMsg> source = DecodeOwned(version, BodyOf(frame));
      REQUIRE(source.ok());
      copy = CopyToArena(**source, arena);
    }
    Buffer out;
    absl::StatusOr<size_t> n = AppendBody(version, *copy, out);
    REQUIRE(n.ok());
    CHECK(std::vector<std::byte>(out.data(), out.data() + out.size()) ==
          std::vector<std::byte>(BodyOf(frame).begin(), BodyOf(frame).end()));
    ++checked;
  }
  CHECK(checked == 781);
}

TEST_CASE("copying into an arena that has grown to the message size allocates nothing") {
  std::vector<std::byte> frame = testing::ReadVector("v1_6/117_full_combo_gcs.bin");
  absl::StatusOr<OwnedPaxMsg> source = DecodeOwned(ProtocolVersion::kX1_6, BodyOf(frame));
  REQUIRE(source.ok());
  Arena arena;
  CopyToArena(**source, arena);
  arena.Reset();
  CopyToArena(**source, arena);  // the first Reset may merge blocks
  size_t blocks = arena.block_allocations();
  for (int i = 0; i < 10; ++i) {
    arena.Reset();
    CopyToArena(**source, arena);
  }
  CHECK(arena.block_allocations() == blocks);
}

TEST_CASE("a copy does not share bytes with the message it was copied from") {
  std::string payload = "payload bytes";
  PaxMsg msg{.a = {{.body = AppU::App(payload)}}};
  Arena arena;
  PaxMsg* copy = CopyToArena(msg, arena);
  payload.assign(payload.size(), 'x');
  REQUIRE(copy->a.size() == 1);
  CHECK(std::get<Bytes>(copy->a[0].body.arm) == "payload bytes");
}

}  // namespace
}  // namespace uxcom::xdr
