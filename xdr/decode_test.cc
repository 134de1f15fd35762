// Decoding: errors that say what failed where, 8.0.18's leniencies, the bounds, zero-copy and
// owning modes, and safety against lying lengths and counts.
#include "xdr/decode.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "xdr/big_endian.h"
#include "xdr/codec_error.h"
#include "xdr/decode_defaults.h"
#include "xdr/encode.h"
#include "xdr/internal/test_util.h"

namespace uxcom::xdr {
namespace {

using enum ProtocolVersion;

constexpr auto Complete = testing::CompleteMsg;

NodeAddress Node(std::string_view address) {
  return {.address = address, .uuid = {"uuid"}, .proto = XProtoRange{kX1_1, kX1_6}};
}

std::vector<std::byte> Encode(ProtocolVersion v, const PaxMsg& m,
                              const EncodeOptions& options = {}) {
  std::vector<std::byte> out;
  absl::StatusOr<size_t> n = AppendBody(v, m, out, options);
  REQUIRE_MESSAGE(n.ok(), n.status().ToString());
  return out;
}

// Offset of the first occurrence of `marker` in `body`.
size_t Find(const std::vector<std::byte>& body, std::string_view marker) {
  auto it = std::search(body.begin(), body.end(), marker.begin(), marker.end(),
                        [](std::byte a, char b) { return a == static_cast<std::byte>(b); });
  REQUIRE(it != body.end());
  return static_cast<size_t>(it - body.begin());
}

void Put32(std::vector<std::byte>& body, size_t offset, uint32_t v) {
  StoreBigEndian32(&body[offset], v);
}

CodecError ErrorOf(const absl::Status& s) {
  std::optional<CodecError> e = GetCodecError(s);
  REQUIRE_MESSAGE(e.has_value(), s.ToString());
  return *e;
}

TEST_CASE("an error names the field path, the reason and the byte offset") {
  PaxMsg m = Complete();
  m.a = {AppData{.body = AppU::Void(CargoType::kExitType)},
         AppData{.body = AppU::Nodes(CargoType::kAddNodeType,
                                     {Node("h:1"), Node("h:2"), Node("h:3"), Node("ADDR")})}};
  std::vector<std::byte> body = Encode(kX1_6, m);
  const size_t length_at = Find(body, "ADDR") - 4;
  Put32(body, length_at, 70000);

  Arena arena;
  absl::StatusOr<Decoded> d = Decode(kX1_6, body, arena);
  REQUIRE_FALSE(d.ok());
  CHECK(d.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(d.status().message()) ==
        "decoding pax_msg as x_1_6 (7): a.next.body.nodes[3].address: length 70000 > 1024 "
        "(MAXNAME) at offset " +
            std::to_string(length_at));
  const CodecError e = ErrorOf(d.status());
  CHECK(e.field == "a.next.body.nodes[3].address");
  CHECK(e.reason == "length 70000 > 1024 (MAXNAME)");
  CHECK(e.offset == length_at);
  CHECK(e.consumed == length_at + 4);  // xdrmem has read the length word
}

TEST_CASE("a truncated body says how many bytes were needed and how many remained") {
  PaxMsg m = Complete();
  m.a = {AppData{.body = AppU::App("0123456789")}};
  const std::vector<std::byte> body = Encode(kX1_6, m);
  Arena arena;
  SUBCASE("inside a 4-byte field") {
    absl::StatusOr<Decoded> d = Decode(kX1_6, std::span(body).first(6), arena);
    const CodecError e = ErrorOf(d.status());
    CHECK(e.field == "from");
    CHECK(e.reason == "needs 4 bytes, 2 remain");
    CHECK(e.offset == 4);
    CHECK(e.consumed == 4);
  }
  SUBCASE("inside a 64-bit field: xdrmem consumes its high word") {
    absl::StatusOr<Decoded> d = Decode(kX1_6, std::span(body).first(20), arena);
    const CodecError e = ErrorOf(d.status());
    CHECK(e.field == "max_synode.msgno");
    CHECK(e.reason == "needs 8 bytes, 4 remain");
    CHECK(e.offset == 16);
    CHECK(e.consumed == 20);
  }
  SUBCASE("inside opaque data") {
    const size_t data_at = Find(body, "0123456789");
    absl::StatusOr<Decoded> d = Decode(kX1_6, std::span(body).first(data_at + 5), arena);
    const CodecError e = ErrorOf(d.status());
    CHECK(e.field == "a.body.data");
    CHECK(e.reason == "length 10 needs 12 bytes, 5 remain");
    CHECK(e.offset == data_at - 4);
  }
  SUBCASE("an empty body (8.0.18 fails a zero-length normal frame)") {
    absl::StatusOr<Decoded> d = Decode(kX1_6, {}, arena);
    CHECK(ErrorOf(d.status()).field == "to");
  }
}

TEST_CASE("counts beyond their bound fail right after the count, before any allocation") {
  PaxMsg m = Complete();
  m.receivers = BitSet{{0xAAAAAAAA}};
  std::vector<std::byte> body = Encode(kX1_6, m);
  Put32(body, 76, 101);  // receivers.bits count
  Arena arena;
  absl::StatusOr<Decoded> d = Decode(kX1_6, body, arena);
  const CodecError e = ErrorOf(d.status());
  CHECK(e.field == "receivers.bits");
  CHECK(e.reason == "count 101 > 100 (NSERVERS)");
  CHECK(e.offset == 76);
}

TEST_CASE("x_1_0 node addresses have no XDR bound; later versions stop at 1024 (MAXNAME)") {
  const std::string long_address(5000, 'h');
  PaxMsg m = Complete();
  m.a = {AppData{.body = AppU::Nodes(CargoType::kAddNodeType, {Node(long_address)})}};
  const std::vector<std::byte> x_1_0 = Encode(kX1_0, m, EncodeOptions::Like8018());
  Arena arena;
  absl::StatusOr<Decoded> d = Decode(kX1_0, x_1_0, arena);
  REQUIRE(d.ok());
  CHECK(std::get<NodeList>(d->msg->a[0].body.arm)[0].address == long_address);

  m.a[0].body = AppU::Nodes(CargoType::kAddNodeType, {Node("ADDR")});
  std::vector<std::byte> x_1_1 = Encode(kX1_1, m);
  Put32(x_1_1, Find(x_1_1, "ADDR") - 4, 1025);
  CHECK(ErrorOf(Decode(kX1_1, x_1_1, arena).status()).reason == "length 1025 > 1024 (MAXNAME)");
}

TEST_CASE("blobs stop at max_blob_bytes: 1024 as in 8.0.18, more for later releases' peers") {
  const std::string big(2000, 'b');
  PaxMsg m = Complete();
  m.gcs_snap = GcsSnapshot{.app_snap = {big}};
  // The encoder keeps 8.0.18's bound; build the frame with a small blob, then grow it.
  m.gcs_snap->app_snap.data = "BLOB";
  const std::vector<std::byte> small = Encode(kX1_6, m);
  const size_t at = Find(small, "BLOB");
  std::vector<std::byte> body(small.begin(), small.begin() + at);
  for (char c : big) body.push_back(static_cast<std::byte>(c));
  body.insert(body.end(), small.begin() + at + 4, small.end());
  Put32(body, at - 4, 2000);
  Arena arena;
  CHECK(ErrorOf(Decode(kX1_6, body, arena).status()).reason ==
        "length 2000 > 1024 (MAXBLOB of 8.0.18)");
  absl::StatusOr<Decoded> d = Decode(kX1_6, body, arena, {.max_blob_bytes = 10'000'000});
  REQUIRE_MESSAGE(d.ok(), d.status().ToString());
  CHECK(d->msg->gcs_snap->app_snap.data == big);
  CHECK(d->trailing_bytes == 0);
}

TEST_CASE("a body above max_body_size is refused before it is read") {
  const std::vector<std::byte> body = Encode(kX1_6, Complete());
  Arena arena;
  absl::StatusOr<Decoded> d = Decode(kX1_6, body, arena, {.max_body_size = 100});
  CHECK(d.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK(ErrorOf(d.status()).reason == "body of 124 bytes exceeds max_body_size 100");
  CHECK(arena.used() == 0);
}

TEST_CASE("bytes after the pax_msg are accepted and reported, or refused on request") {
  std::vector<std::byte> body = Encode(kX1_6, Complete());
  body.resize(body.size() + 8, std::byte{0x77});
  Arena arena;
  absl::StatusOr<Decoded> d = Decode(kX1_6, body, arena);
  REQUIRE(d.ok());
  CHECK(d->consumed == 124);
  CHECK(d->trailing_bytes == 8);
  absl::StatusOr<Decoded> strict = Decode(kX1_6, body, arena, {.reject_trailing_bytes = true});
  const CodecError e = ErrorOf(strict.status());
  CHECK(e.reason == "8 trailing bytes after the pax_msg");
  CHECK(e.offset == 124);
}

TEST_CASE("lenient exactly where 8.0.18 is") {
  PaxMsg m = Complete();
  m.a = {AppData{.notused = true, .body = AppU::App("abc")}};
  std::vector<std::byte> body = Encode(kX1_6, m);
  Arena arena;

  SUBCASE("unknown enum values are kept") {
    Put32(body, 48, 99);          // op
    Put32(body, 68, 0xFFFFFFFF);  // msg_type
    absl::StatusOr<Decoded> d = Decode(kX1_6, body, arena);
    REQUIRE(d.ok());
    CHECK(EnumValue(d->msg->op) == 99);
    CHECK(EnumValue(d->msg->msg_type) == -1);
    CHECK(Encode(kX1_6, *d->msg) == body);
  }
  SUBCASE("an unknown cargo type is a void arm, and decoding goes on after it") {
    PaxMsg two = Complete();
    two.a = {AppData{.body = AppU::Void(static_cast<CargoType>(24))},
             AppData{.body = AppU::App("xyz")}};
    const std::vector<std::byte> chained = Encode(kX1_6, two);
    absl::StatusOr<Decoded> d = Decode(kX1_6, chained, arena);
    REQUIRE(d.ok());
    CHECK(d->msg->a[0].body.kind() == AppArm::kVoid);
    CHECK(std::get<Bytes>(d->msg->a[1].body.arm) == "xyz");
  }
  SUBCASE("any non-zero bool is true, any non-zero pointer flag is present") {
    Put32(body, 80 + 56, 2);      // a.notused
    Put32(body, 76, 0x80000000);  // the `a` flag
    absl::StatusOr<Decoded> d = Decode(kX1_6, body, arena);
    REQUIRE(d.ok());
    CHECK(d->msg->a.size() == 1);
    CHECK(d->msg->a[0].notused);
  }
  SUBCASE("padding bytes are not checked") {
    const size_t pad = Find(body, "abc") + 3;
    body[pad] = std::byte{0xEE};
    absl::StatusOr<Decoded> d = Decode(kX1_6, body, arena);
    REQUIRE(d.ok());
    CHECK(std::get<Bytes>(d->msg->a[0].body.arm) == "abc");
  }
}

TEST_CASE("fields a version does not carry stay absent after decoding") {
  PaxMsg m = Complete();
  m.a = {AppData{.body = AppU::Nodes(CargoType::kAddNodeType, {Node("h:1")})}};
  m.gcs_snap = GcsSnapshot{.cfg = {Config{.nodes = {Node("h:2")}, .event_horizon = 10}}};
  Arena arena;
  absl::StatusOr<Decoded> x_1_0 = Decode(kX1_0, Encode(kX1_0, m), arena);
  REQUIRE(x_1_0.ok());
  CHECK_FALSE(x_1_0->msg->delivered_msg.has_value());
  CHECK_FALSE(x_1_0->msg->event_horizon.has_value());
  CHECK_FALSE(std::get<NodeList>(x_1_0->msg->a[0].body.arm)[0].proto.has_value());
  CHECK_FALSE(x_1_0->msg->gcs_snap->cfg[0]->event_horizon.has_value());

  absl::StatusOr<Decoded> x_1_3 = Decode(kX1_3, Encode(kX1_3, m), arena);
  REQUIRE(x_1_3.ok());
  CHECK(x_1_3->msg->delivered_msg.has_value());
  CHECK_FALSE(x_1_3->msg->event_horizon.has_value());
  CHECK_FALSE(x_1_3->msg->gcs_snap->cfg[0]->event_horizon.has_value());

  m.requested_synode_app_data = {{.synode = {1, 2, 3}, .data = "r"}};
  absl::StatusOr<Decoded> x_1_6 = Decode(kX1_6, Encode(kX1_6, m), arena);
  REQUIRE(x_1_6.ok());
  CHECK(x_1_6->msg->requested_synode_app_data.size() == 1);
  CHECK(*x_1_6->msg == m);
}

TEST_CASE("zero-copy views point into the input; owning mode copies into the arena") {
  PaxMsg m = Complete();
  m.a = {AppData{.body = AppU::App("payload")}};
  m.requested_synode_app_data = {{.data = "requested"}};
  const std::vector<std::byte> body = Encode(kX1_6, m);
  auto inside = [&](std::string_view s) {
    auto* p = reinterpret_cast<const std::byte*>(s.data());
    return p >= body.data() && p + s.size() <= body.data() + body.size();
  };
  Arena arena;
  absl::StatusOr<Decoded> view = Decode(kX1_6, body, arena, {.zero_copy = true});
  REQUIRE(view.ok());
  CHECK(inside(std::get<Bytes>(view->msg->a[0].body.arm)));
  CHECK(inside(view->msg->requested_synode_app_data[0].data));

  absl::StatusOr<Decoded> copy = Decode(kX1_6, body, arena);
  REQUIRE(copy.ok());
  CHECK_FALSE(inside(std::get<Bytes>(copy->msg->a[0].body.arm)));
  CHECK(std::get<Bytes>(copy->msg->a[0].body.arm) == "payload");
}

TEST_CASE("DecodeOwned gives a message that outlives its input") {
  PaxMsg m = Complete();
  m.a = {AppData{.body = AppU::App("kept")}};
  absl::StatusOr<OwnedPaxMsg> owned = [&] {
    std::vector<std::byte> body = Encode(kX1_6, m);
    absl::StatusOr<OwnedPaxMsg> o = DecodeOwned(kX1_6, body, {.zero_copy = true});
    std::fill(body.begin(), body.end(), std::byte{0});
    return o;
  }();
  REQUIRE(owned.ok());
  CHECK(**owned == m);
}

TEST_CASE("lying lengths and counts allocate nothing they cannot fill") {
  Arena arena(64);
  SUBCASE("checked_data claiming 4 GiB") {
    PaxMsg m = Complete();
    m.a = {AppData{.body = AppU::App("DATA")}};
    std::vector<std::byte> body = Encode(kX1_6, m);
    Put32(body, Find(body, "DATA") - 4, 0xFFFFFFF0);
    absl::StatusOr<Decoded> d = Decode(kX1_6, body, arena);
    CHECK(ErrorOf(d.status()).reason.starts_with("length 4294967280 needs 4294967280 bytes"));
    CHECK(arena.capacity() < 4096);
  }
  SUBCASE("a node list claiming 100 nodes with 20 bytes left") {
    PaxMsg m = Complete();
    m.a = {AppData{.body = AppU::Nodes(CargoType::kAddNodeType, {})}};
    std::vector<std::byte> body = Encode(kX1_6, m);
    const size_t count_at = 80 + 76;
    Put32(body, count_at, 100);
    body.resize(count_at + 4 + 20);
    absl::StatusOr<Decoded> d = Decode(kX1_6, body, arena);
    CHECK(ErrorOf(d.status()).field.starts_with("a.body.nodes["));
    CHECK(arena.used() < 2048);  // at most 20 / 8 elements reserved, not 100
  }
  SUBCASE("an x_1_0 address claiming 2^32 - 2 bytes") {
    PaxMsg m;
    m.a = {AppData{.body = AppU::Nodes(CargoType::kAddNodeType, {Node("ADDR")})}};
    std::vector<std::byte> body = Encode(kX1_0, m);
    Put32(body, Find(body, "ADDR") - 4, 0xFFFFFFFE);
    CHECK_FALSE(Decode(kX1_0, body, arena).ok());
    CHECK(arena.capacity() < 4096);
  }
}

TEST_CASE("a long next chain decodes in a loop, not by recursion") {
  PaxMsg m = Complete();
  m.a = AppDataList(200'000, AppData{.body = AppU::Void(CargoType::kExitType)});
  const std::vector<std::byte> body = Encode(kX1_6, m);
  CHECK(body.size() == 124 + 200'000 * 80);
  Arena arena;
  absl::StatusOr<Decoded> d = Decode(kX1_6, body, arena, {.max_decode_overhead = SIZE_MAX});
  REQUIRE(d.ok());
  CHECK(d->msg->a.size() == 200'000);
  CHECK(Encode(kX1_6, *d->msg) == body);
  // Counted first, then allocated once: no trail of smaller copies (doubling would leave
  // one more chain's worth behind).
  CHECK(arena.used() < 200'000 * sizeof(AppData) + 64 * 1024);
}

// The memory bound of a decode: its arena takes at most the body's size + max_decode_overhead
// (2 MiB by default), so the body and its decoded form together stay within 2 x the body + 2 MiB
// whatever the body holds. Shapes whose decoded form is several times their wire size are
// refused, with the field and offset where the bound was reached.
TEST_CASE("a decode takes at most the body's size + max_decode_overhead") {
  SUBCASE("a long chain of minimal app_data (80 bytes on the wire, 200 decoded)") {
    PaxMsg m = Complete();
    m.a = AppDataList(100'000, AppData{.body = AppU::Void(CargoType::kExitType)});
    const std::vector<std::byte> body = Encode(kX1_6, m);
    Arena arena;
    absl::StatusOr<Decoded> d = Decode(kX1_6, body, arena);
    REQUIRE(d.status().code() == absl::StatusCode::kResourceExhausted);
    const CodecError e = ErrorOf(d.status());
    CHECK(e.field == "a.next.next.next.next.next.next.next.next");  // refused when counted
    CHECK(e.offset == 80 + 8 * 80);  // the ninth element: the chain starts at offset 80
    CHECK(e.reason.find("max_decode_overhead") != std::string::npos);
    CHECK(arena.used() <= body.size() + kDefaultMaxDecodeOverhead);
  }
  SUBCASE("a chain of app_data each holding 100 empty x_1_0 node addresses (7x)") {
    PaxMsg m;
    NodeList nodes(100, NodeAddress{});
    m.a = AppDataList(4'000, AppData{.body = AppU::Nodes(CargoType::kAddNodeType, nodes)});
    const std::vector<std::byte> body = Encode(kX1_0, m);
    Arena arena;
    absl::StatusOr<Decoded> d = Decode(kX1_0, body, arena);
    REQUIRE(d.status().code() == absl::StatusCode::kResourceExhausted);
    CHECK(ErrorOf(d.status()).field.starts_with("a.next(x"));
    CHECK(arena.used() <= body.size() + kDefaultMaxDecodeOverhead);
  }
  SUBCASE("a gcs_snapshot of null config pointers (4 bytes each, 200 decoded)") {
    PaxMsg m = Complete();
    m.gcs_snap = GcsSnapshot{};
    m.gcs_snap->cfg.resize(1024);
    const std::vector<std::byte> body = Encode(kX1_6, m, {.profile = Profile::k8_0_39});
    Arena arena;
    absl::StatusOr<Decoded> d =
        Decode(kX1_6, body, arena, {.profile = Profile::k8_0_39, .max_decode_overhead = 64 * 1024});
    REQUIRE(d.status().code() == absl::StatusCode::kResourceExhausted);
    CHECK(ErrorOf(d.status()).field == "gcs_snap.cfg");
    CHECK(arena.used() <= body.size() + 64 * 1024);
  }
  SUBCASE("MySQL's largest batch decodes: MAX_BATCH_APP_DATA + 1 = 5 001 empty app_type payloads") {
    PaxMsg m = Complete();
    m.a = AppDataList(5'001, AppData{.body = AppU::App("")});
    const std::vector<std::byte> body = Encode(kX1_6, m);
    Arena arena;
    absl::StatusOr<Decoded> d = Decode(kX1_6, body, arena);
    REQUIRE(d.ok());
    CHECK(d->msg->a.size() == 5'001);
  }
  SUBCASE("a large payload is no amplification: its copy is its size") {
    PaxMsg m = Complete();
    const std::string payload(8 << 20, 'x');
    m.a = {AppData{.body = AppU::App(payload)}};
    const std::vector<std::byte> body = Encode(kX1_6, m);
    Arena arena;
    absl::StatusOr<Decoded> d = Decode(kX1_6, body, arena, {.max_decode_overhead = 4096});
    REQUIRE(d.ok());
    CHECK(arena.used() <= body.size() + 4096);
  }
  SUBCASE("an abandoned decode stops with Cancelled") {
    PaxMsg m = Complete();
    m.a = AppDataList(10'000, AppData{.body = AppU::Void(CargoType::kExitType)});
    const std::vector<std::byte> body = Encode(kX1_6, m);
    std::atomic<bool> stop{true};
    Arena arena;
    absl::StatusOr<Decoded> d =
        Decode(kX1_6, body, arena, {.max_decode_overhead = SIZE_MAX, .abandon = &stop});
    CHECK(d.status().code() == absl::StatusCode::kCancelled);
  }
}

TEST_CASE("every version decodes what it encodes, and versions without a layout are refused") {
  PaxMsg m = Complete();
  m.a = {AppData{.body = AppU::CacheLimit(~0ull)}};
  Arena arena;
  FillDecodeDefaults(m);
  for (uint32_t v = 1; v <= 10; ++v) {
    const auto version = static_cast<ProtocolVersion>(v);
    absl::StatusOr<Decoded> d = Decode(version, Encode(version, m), arena);
    REQUIRE(d.ok());
    CHECK(std::get<uint64_t>(d->msg->a[0].body.arm) == ~0ull);
  }
  absl::StatusOr<Decoded> none = Decode(static_cast<ProtocolVersion>(11), {}, arena);
  CHECK(none.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(none.status().message()).starts_with("unknown protocol version 11"));
}

TEST_CASE("a Decoder reuses its message: nothing of the previous one survives") {
  PaxMsg rich = Complete();
  rich.receivers = BitSet{{1, 2}};
  rich.a = {AppData{.body = AppU::App("first")}, AppData{.body = AppU::CacheLimit(3)}};
  rich.snap = Snapshot{.snap = {AppDataList{AppData{}}}};
  rich.gcs_snap = GcsSnapshot{.cfg = {Config{.nodes = {Node("h:1")}, .event_horizon = 10}}};
  rich.requested_synode_app_data = {{.data = "r"}};
  PaxMsg bare = Complete();
  bare.op = PaxOp::kIAmAliveOp;

  Decoder decoder({.zero_copy = true});
  for (int round = 0; round < 3; ++round) {
    for (const PaxMsg* m : {&rich, &bare, &rich}) {
      const std::vector<std::byte> body = Encode(kX1_6, *m);
      absl::StatusOr<DecodeInfo> info = decoder.Decode(kX1_6, body);
      REQUIRE(info.ok());
      CHECK(info->consumed == body.size());
      CHECK(decoder.msg() == *m);
    }
  }
  // A version that does not carry a field leaves it absent, even after one that did.
  const std::vector<std::byte> x_1_0 = Encode(kX1_0, bare);
  REQUIRE(decoder.Decode(kX1_0, x_1_0).ok());
  CHECK_FALSE(decoder.msg().delivered_msg.has_value());
  CHECK_FALSE(decoder.msg().event_horizon.has_value());
}

TEST_CASE("a ReusablePaxMsg decodes into whichever arena it is given, the last one gone or not") {
  PaxMsg rich = Complete();
  rich.a = {AppData{.body = AppU::App("first")}, AppData{.body = AppU::CacheLimit(3)}};
  rich.gcs_snap = GcsSnapshot{.cfg = {Config{.nodes = {Node("h:1")}, .event_horizon = 10}}};
  rich.requested_synode_app_data = {{.data = "r"}};
  PaxMsg bare = Complete();
  bare.op = PaxOp::kIAmAliveOp;
  const std::vector<std::byte> rich_body = Encode(kX1_6, rich);
  const std::vector<std::byte> bare_body = Encode(kX1_6, bare);

  ReusablePaxMsg decoded;
  Arena kept;
  for (int round = 0; round < 3; ++round) {
    {
      // An arena destroyed before the next decode: what the message held there is never
      // touched again (ASan would see it).
      auto arena = std::make_unique<Arena>(64);
      absl::StatusOr<DecodeInfo> info = decoded.Decode(kX1_6, rich_body, *arena);
      REQUIRE(info.ok());
      CHECK(info->consumed == rich_body.size());
      CHECK(decoded.msg() == rich);
      // Copied, not viewed: the input may go.
      CHECK(std::get<Bytes>(decoded.msg().a[0].body.arm).data() !=
            reinterpret_cast<const char*>(rich_body.data()) + Find(rich_body, "first"));
    }
    kept.Reset();
    REQUIRE(decoded.Decode<kX1_6>(bare_body, kept).ok());
    CHECK(decoded.msg() == bare);
    // A version that does not carry a field leaves it absent, even after one that did.
    kept.Reset();
    REQUIRE(decoded.Decode(kX1_0, Encode(kX1_0, bare), kept).ok());
    CHECK_FALSE(decoded.msg().delivered_msg.has_value());
    CHECK(decoded.msg().requested_synode_app_data.empty());
  }
  // A failed decode reports like Decode.
  absl::StatusOr<DecodeInfo> bad =
      decoded.Decode(kX1_6, std::span(rich_body).first(10), kept, {.zero_copy = true});
  CHECK(ErrorOf(bad.status()).field == "group_id");
  CHECK(decoded.Decode(kX1_6, rich_body, kept, {.max_body_size = 100}).status().code() ==
        absl::StatusCode::kResourceExhausted);
}

TEST_CASE("a Decoder reports errors like Decode and recovers after them") {
  Decoder decoder;
  const std::vector<std::byte> good = Encode(kX1_6, Complete());
  absl::StatusOr<DecodeInfo> bad = decoder.Decode(kX1_6, std::span(good).first(10));
  CHECK(ErrorOf(bad.status()).field == "group_id");
  CHECK(decoder.Decode(static_cast<ProtocolVersion>(11), good).status().code() ==
        absl::StatusCode::kInvalidArgument);
  decoder.set_options({.max_body_size = 100});
  CHECK(decoder.Decode(kX1_6, good).status().code() == absl::StatusCode::kResourceExhausted);
  decoder.set_options({});
  REQUIRE(decoder.Decode(kX1_6, good).ok());
  CHECK(decoder.msg() == Complete());
}

}  // namespace
}  // namespace uxcom::xdr
