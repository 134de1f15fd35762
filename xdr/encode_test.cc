// Encoding: the hand-worked examples of the wire-format spec byte for byte, and every rule by
// which an encode refuses a message its protocol version cannot carry.
#include "xdr/encode.h"

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "xdr/buffer.h"
#include "xdr/codec_error.h"
#include "xdr/frame_header.h"
#include "xdr/internal/test_util.h"

namespace uxcom::xdr {
namespace {

using enum ProtocolVersion;
using testing::HexBytes;
constexpr auto Complete = testing::CompleteMsg;

template <ProtocolVersion V>
std::vector<std::byte> EncodeBody(const PaxMsg& m, const EncodeOptions& options = {}) {
  std::vector<std::byte> out;
  absl::StatusOr<size_t> n = AppendBody<V>(m, out, options);
  REQUIRE_MESSAGE(n.ok(), n.status().ToString());
  return out;
}

std::vector<std::byte> Slice(const std::vector<std::byte>& v, size_t offset, size_t n) {
  REQUIRE(offset + n <= v.size());
  return {v.begin() + offset, v.begin() + offset + n};
}

// The error an encode at v reports, as "field: reason".
std::string Refusal(ProtocolVersion v, const PaxMsg& m, const EncodeOptions& options = {}) {
  absl::StatusOr<size_t> size = EncodedSize(v, m, options);
  if (size.ok()) return "(accepted)";
  CHECK(size.status().code() == absl::StatusCode::kInvalidArgument);
  std::optional<CodecError> e = GetCodecError(size.status());
  REQUIRE(e.has_value());
  return e->field + ": " + e->reason;
}

NodeAddress Node(std::string_view address) {
  return {.address = address, .uuid = {"\x01\x02\x03\x04"}, .proto = XProtoRange{kX1_0, kX1_6}};
}

TEST_CASE("spec §1.7: the minimal i_am_alive_op frame at x_1_6") {
  const PaxMsg m{
      .to = 1,
      .from = 0,
      .group_id = 0x12345678,
      .max_synode = {0x12345678, 100, 0},
      .op = PaxOp::kIAmAliveOp,
      .synode = {0x12345678, 101, 0},
      .delivered_msg = SynodeNo{0x12345678, 99, 0},
      .event_horizon = 10,
  };
  Buffer frame;
  absl::StatusOr<size_t> n = AppendFrame<kX1_6>(m, frame);
  REQUIRE(n.ok());
  CHECK(*n == 12 + 124);
  CHECK(std::vector<std::byte>(frame.data(), frame.data() + frame.size()) ==
        HexBytes("00 00 00 07 00 00 00 7c 00 00 00 00 00 00 00 01"
                 "00 00 00 00 12 34 56 78 12 34 56 78 00 00 00 00"
                 "00 00 00 64 00 00 00 00 00 00 00 00 00 00 00 00"
                 "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 0f"
                 "12 34 56 78 00 00 00 00 00 00 00 65 00 00 00 00"
                 "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                 "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                 "12 34 56 78 00 00 00 00 00 00 00 63 00 00 00 00"
                 "00 00 00 0a 00 00 00 00"));
}

TEST_CASE("the smallest body of each version (spec §4.25)") {
  CHECK(*EncodedSize<kX1_0>(PaxMsg{}) == 100);
  CHECK(*EncodedSize<kX1_1>(PaxMsg{}) == 100);
  CHECK(*EncodedSize<kX1_2>(Complete()) == 116);
  CHECK(*EncodedSize<kX1_3>(Complete()) == 116);
  CHECK(*EncodedSize<kX1_4>(Complete()) == 120);
  CHECK(*EncodedSize<kX1_5>(Complete()) == 120);
  CHECK(*EncodedSize<kX1_6>(Complete()) == 124);
}

TEST_CASE("spec §4.6: a one-node list, without the proto range at x_1_0 and with it after") {
  PaxMsg m = Complete();
  m.a = {AppData{.body = AppU::Nodes(CargoType::kUnifiedBootType, {Node("h1:33061")})}};
  // The node list is the arm of the first app_data: after the 72-byte prefix, the receivers
  // and `a` flags, and 76 bytes of app_data.
  const size_t arm = 72 + 4 + 4 + 76;
  const auto x_1_0 =
      HexBytes("00 00 00 01 | 00 00 00 08 68 31 3a 33 33 30 36 31 | 00 00 00 04 01 02 03 04");
  CHECK(Slice(EncodeBody<kX1_0>(m), arm, 24) == x_1_0);
  auto x_1_1 = x_1_0;
  for (std::byte b : HexBytes("00 00 00 01 00 00 00 07")) x_1_1.push_back(b);
  CHECK(Slice(EncodeBody<kX1_1>(m), arm, 32) == x_1_1);
  CHECK(Slice(EncodeBody<kX1_6>(m), arm, 32) == x_1_1);
}

TEST_CASE("spec §4.17: one app_data with an app_type payload \"abc\" and no next") {
  PaxMsg m = Complete();
  m.a = {AppData{
      .unique_id = {0x12345678, 5, 1},
      .group_id = 0x12345678,
      .lsn = 7,
      .log_it = true,
      .body = AppU::App("abc"),
  }};
  CHECK(Slice(EncodeBody<kX1_6>(m), 80, 88) ==
        HexBytes("12 34 56 78 00 00 00 00 00 00 00 05 00 00 00 01"
                 "12 34 56 78 00 00 00 00 00 00 00 07 00 00 00 00"
                 "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                 "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01"
                 "00 00 00 00 00 00 00 00 00 00 00 04 00 00 00 03"
                 "61 62 63 00 00 00 00 00"));
}

TEST_CASE("spec §4.22: a gcs_snapshot with one config at x_1_6") {
  PaxMsg m = Complete();
  m.op = PaxOp::kGcsSnapshotOp;
  NodeAddress node = Node("h1:33061");
  node.proto = XProtoRange{kX1_0, kX1_6};
  m.gcs_snap = GcsSnapshot{
      .log_start = {1, 10, 0},
      .cfg = {Config{
          .start = {1, 10, 0}, .boot_key = {1, 1, 0}, .nodes = {node}, .event_horizon = 10}},
  };
  CHECK(Slice(EncodeBody<kX1_6>(m), 88, 96) ==
        HexBytes("00 00 00 01 00 00 00 00 00 00 00 0a 00 00 00 00"
                 "00 00 00 01 00 00 00 01 00 00 00 01 00 00 00 00"
                 "00 00 00 0a 00 00 00 00 00 00 00 01 00 00 00 00"
                 "00 00 00 01 00 00 00 00 00 00 00 01 00 00 00 08"
                 "68 31 3a 33 33 30 36 31 00 00 00 04 01 02 03 04"
                 "00 00 00 01 00 00 00 07 00 00 00 0a 00 00 00 00"));
}

TEST_CASE("an app_data chain is nested pointers: 1 / app_data / 1 / app_data / 0") {
  PaxMsg m = Complete();
  m.a = {AppData{.body = AppU::Void(CargoType::kExitType)},
         AppData{.body = AppU::Void(CargoType::kResetType)}};
  const std::vector<std::byte> body = EncodeBody<kX1_6>(m);
  CHECK(body.size() == 124 + 2 * 80);
  CHECK(Slice(body, 76, 4) == HexBytes("00 00 00 01"));        // a
  CHECK(Slice(body, 80 + 72, 4) == HexBytes("00 00 00 07"));   // a.body.c_t
  CHECK(Slice(body, 80 + 76, 4) == HexBytes("00 00 00 01"));   // a.next
  CHECK(Slice(body, 160 + 72, 4) == HexBytes("00 00 00 08"));  // a.next.body.c_t
  CHECK(Slice(body, 160 + 76, 4) == HexBytes("00 00 00 00"));  // a.next.next
}

TEST_CASE("EncodedSize is exactly what every encode writes") {
  PaxMsg m = Complete();
  m.receivers = BitSet{{1, 2, 3}};
  m.a = {AppData{.body = AppU::App("payload!!")},
         AppData{.body = AppU::Trans(CargoType::kAbortTrans,
                                     {.cluster_name = "g", .errmsg = {.message = "oops"}})},
         AppData{.body = AppU::View({true, false, true})}};
  m.snap = Snapshot{.snap = {AppDataList{}, AppDataList{AppData{}}}};
  m.requested_synode_app_data = {{.synode = {1, 2, 3}, .data = "xyz"}};
  const size_t size = *EncodedSize<kX1_6>(m);
  std::vector<std::byte> exact(size);
  CHECK(*EncodeTo<kX1_6>(m, exact) == size);
  std::vector<std::byte> small(size - 1);
  absl::StatusOr<size_t> refused = EncodeTo<kX1_6>(m, small);
  CHECK(refused.status().code() == absl::StatusCode::kOutOfRange);
}

TEST_CASE("one encoding serves every peer: stamp `to` at kFrameToOffset") {
  PaxMsg m = Complete();
  m.a = {AppData{.body = AppU::App("hello")}};
  Buffer once;
  REQUIRE(AppendFrame<kX1_6>(m, once).ok());
  for (uint32_t to : {0u, 3u, 0xFFFFFFFFu}) {
    SetFrameTo(once.span(), to);
    m.to = to;
    Buffer fresh;
    REQUIRE(AppendFrame<kX1_6>(m, fresh).ok());
    CHECK(std::memcmp(once.data(), fresh.data(), fresh.size()) == 0);
  }
}

TEST_CASE("frames append into any byte container, and nothing is appended on error") {
  PaxMsg m = Complete();
  std::string s = "prefix";
  REQUIRE(AppendFrame(kX1_6, m, s).ok());
  CHECK(s.size() == 6 + 12 + 124);
  CHECK(s.starts_with("prefix"));
  std::vector<uint8_t> v;
  REQUIRE(AppendFrame<kX1_6>(m, v).ok());
  CHECK(v.size() == 136);
  CHECK(v[3] == 7);
  m.event_horizon.reset();
  CHECK_FALSE(AppendFrame(kX1_6, m, s).ok());
  CHECK(s.size() == 6 + 12 + 124);
  CHECK_FALSE(AppendFrame(static_cast<ProtocolVersion>(11), Complete(), s).ok());
  CHECK(s.size() == 6 + 12 + 124);
}

TEST_CASE("the runtime-version API refuses versions without a layout") {
  for (uint32_t v : {0u, 11u}) {
    absl::StatusOr<size_t> size = EncodedSize(static_cast<ProtocolVersion>(v), Complete());
    CHECK(size.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("every bound is enforced at its limit + 1, naming the field") {
  PaxMsg m = Complete();
  const std::string name_max(1024, 'n'), name_over(1025, 'n');
  const std::string blob_over(1025, 'b'), error_over(10241, 'e');

  SUBCASE("node_list: 100 nodes, not 101 (NSERVERS)") {
    NodeList nodes(100, Node("h:1"));
    m.a = {AppData{.body = AppU::Nodes(CargoType::kAddNodeType, nodes)}};
    CHECK(Refusal(kX1_6, m) == "(accepted)");
    std::get<NodeList>(m.a[0].body.arm).push_back(Node("h:1"));
    CHECK(Refusal(kX1_6, m) == "a.body.nodes: count 101 > 100 (NSERVERS)");
  }
  SUBCASE("node address: 1024 bytes, not 1025 (MAXNAME), x_1_0 included") {
    m.a = {AppData{.body = AppU::Nodes(CargoType::kAddNodeType,
                                       {Node("a"), Node("b"), Node(name_max), Node("c")})}};
    CHECK(Refusal(kX1_6, m) == "(accepted)");
    std::get<NodeList>(m.a[0].body.arm)[3].address = name_over;
    CHECK(Refusal(kX1_6, m) == "a.body.nodes[3].address: length 1025 > 1024 (MAXNAME)");
    CHECK(Refusal(kX1_0, m) == "a.body.nodes[3].address: length 1025 > 1024 (MAXNAME)");
    CHECK(Refusal(kX1_0, m, EncodeOptions::Like8018()) == "(accepted)");
  }
  SUBCASE("uuid and app_snap blobs: 1024 bytes (MAXBLOB of 8.0.18)") {
    NodeAddress n = Node("h:1");
    n.uuid.data = blob_over;
    m.a = {AppData{.body = AppU::Nodes(CargoType::kXcomBootType, {n})}};
    CHECK(Refusal(kX1_6, m) == "a.body.nodes[0].uuid.data: length 1025 > 1024 (MAXBLOB of 8.0.18)");
    m.a.clear();
    m.gcs_snap = GcsSnapshot{.app_snap = {blob_over}};
    CHECK(Refusal(kX1_6, m) == "gcs_snap.app_snap.data: length 1025 > 1024 (MAXBLOB of 8.0.18)");
  }
  SUBCASE("trans_data strings: cluster_name 1024 (MAXNAME), message 10240 (MAXERROR)") {
    m.a = {AppData{.body = AppU::Trans(CargoType::kPreparedTrans, {.cluster_name = name_over})}};
    CHECK(Refusal(kX1_6, m) == "a.body.td.cluster_name: length 1025 > 1024 (MAXNAME)");
    m.a = {AppData{
        .body = AppU::Trans(CargoType::kPreparedTrans, {.errmsg = {.message = error_over}})}};
    CHECK(Refusal(kX1_6, m) == "a.body.td.errmsg.message: length 10241 > 10240 (MAXERROR)");
  }
  SUBCASE("node_set and bit_set: 100 entries (NSERVERS)") {
    m.a = {AppData{.body = AppU::View(NodeSet(101, true))}};
    CHECK(Refusal(kX1_6, m) == "a.body.present: count 101 > 100 (NSERVERS)");
    m.a.clear();
    m.receivers = BitSet{std::pmr::vector<uint32_t>(101)};
    CHECK(Refusal(kX1_6, m) == "receivers.bits: count 101 > 100 (NSERVERS)");
  }
  SUBCASE("synode arrays: 1024 entries (MAX_SYNODE_ARRAY)") {
    m.a = {AppData{}, AppData{.body = AppU::GetSynodeAppData(SynodeNoArray(1025))}};
    CHECK(Refusal(kX1_6, m) == "a.next.body.synodes: count 1025 > 1024 (MAX_SYNODE_ARRAY)");
    m.a = {AppData{.body = AppU::Recover({.u_list = {.vers = SynodeNoArray(1025)}})}};
    CHECK(Refusal(kX1_6, m) == "a.body.rep.u_list.vers: count 1025 > 1024 (MAX_SYNODE_ARRAY)");
    m.a.clear();
    m.requested_synode_app_data.resize(1025);
    CHECK(Refusal(kX1_6, m) == "requested_synode_app_data: count 1025 > 1024 (MAX_SYNODE_ARRAY)");
  }
  SUBCASE("configs: 100 (NSERVERS); snapshot entries: 1024 (MAX_APP_PTR_ARRAY)") {
    m.gcs_snap = GcsSnapshot{.cfg = std::pmr::vector<std::optional<Config>>(101)};
    CHECK(Refusal(kX1_6, m) == "gcs_snap.cfg: count 101 > 100 (NSERVERS of 8.0.18)");
    m.gcs_snap.reset();
    m.snap = Snapshot{.snap = std::pmr::vector<AppDataList>(1025)};
    CHECK(Refusal(kX1_6, m) == "snap.snap: count 1025 > 1024 (MAX_APP_PTR_ARRAY)");
  }
}

TEST_CASE("the union arm must be the one the cargo type selects") {
  PaxMsg m = Complete();
  m.a = {AppData{.body = {.c_t = CargoType::kAppType, .arm = NodeList{}}}};
  CHECK(Refusal(kX1_6, m) ==
        "a.body: cargo app_type (4) selects the data arm, but the value holds the nodes arm");
  m.a = {AppData{.body = {.c_t = static_cast<CargoType>(99), .arm = uint64_t{1}}}};
  CHECK(Refusal(kX1_6, m) ==
        "a.body: cargo cargo_type 99 selects the void arm, but the value holds the cache_limit "
        "arm");
  m.a = {AppData{.body = AppU::Void(static_cast<CargoType>(99))}};
  CHECK(Refusal(kX1_6, m) == "(accepted)");  // an unknown cargo travels as a void arm
}

TEST_CASE("cargo types newer than the version are refused (spec §4.16), unless like 8.0.18") {
  PaxMsg m = Complete();
  m.a = {AppData{.body = AppU::SetEventHorizon(20)}};
  CHECK(Refusal(kX1_4, m) == "(accepted)");
  CHECK(Refusal(kX1_3, m) ==
        "a.body.c_t: cargo set_event_horizon_type (22) is not known before x_1_4 (5); a peer at "
        "x_1_3 (4) would misparse the frame");
  m.a = {AppData{}, AppData{.body = AppU::GetSynodeAppData({})}};
  CHECK(Refusal(kX1_6, m) == "(accepted)");
  CHECK(Refusal(kX1_5, m).starts_with("a.next.body.c_t: cargo get_synode_app_data_type (23)"));
  CHECK(Refusal(kX1_5, m, EncodeOptions::Like8018()) == "(accepted)");
}

TEST_CASE("fields the version carries must be present") {
  PaxMsg m;
  CHECK(Refusal(kX1_1, m) == "(accepted)");
  CHECK(Refusal(kX1_2, m) ==
        "delivered_msg: absent, but x_1_2 (3) carries it (x_1_2 (3) and later)");
  m.delivered_msg = SynodeNo{};
  CHECK(Refusal(kX1_3, m) == "(accepted)");
  CHECK(Refusal(kX1_4, m) ==
        "event_horizon: absent, but x_1_4 (5) carries it (x_1_4 (5) and later)");
  m.event_horizon = 1;
  m.gcs_snap = GcsSnapshot{.cfg = {Config{}}};
  CHECK(Refusal(kX1_3, m) == "(accepted)");
  CHECK(Refusal(kX1_4, m) ==
        "gcs_snap.cfg[0].event_horizon: absent, but x_1_4 (5) carries it "
        "(x_1_4 (5) and later)");
  m.gcs_snap.reset();
  m.a = {AppData{.body = AppU::Nodes(CargoType::kForceConfigType, {NodeAddress{.address = "x"}})}};
  CHECK(Refusal(kX1_0, m) == "(accepted)");
  CHECK(Refusal(kX1_1, m) ==
        "a.body.nodes[0].proto: absent, but x_1_1 (2) carries it (x_1_1 (2) and later)");
}

TEST_CASE("fields the version does not carry are ignored, as 8.0.18 does, or refused on request") {
  PaxMsg m = Complete();  // delivered_msg and event_horizon set
  m.a = {AppData{.body = AppU::Nodes(CargoType::kAddNodeType, {Node("h:1")})}};
  CHECK(*EncodedSize<kX1_0>(m) == *EncodedSize<kX1_0>([&] {
    PaxMsg bare = m;
    bare.delivered_msg.reset();
    bare.event_horizon.reset();
    std::get<NodeList>(bare.a[0].body.arm)[0].proto.reset();
    return bare;
  }()));
  // Strict: the first field (in wire order) the version does not carry is named.
  const EncodeOptions strict{.reject_fields_absent_in_version = true};
  CHECK(Refusal(kX1_0, m, strict) ==
        "a.body.nodes[0].proto: present, but x_1_0 (1) does not carry it (only x_1_1 (2) and "
        "later)");
  m.a.clear();
  CHECK(Refusal(kX1_0, m, strict) ==
        "delivered_msg: present, but x_1_0 (1) does not carry it (only x_1_2 (3) and later)");
  CHECK(Refusal(kX1_3, m, strict) ==
        "event_horizon: present, but x_1_3 (4) does not carry it (only x_1_4 (5) and later)");
  m.gcs_snap = GcsSnapshot{.cfg = {Config{.event_horizon = 10}}};
  m.event_horizon.reset();
  CHECK(Refusal(kX1_3, m, strict) ==
        "gcs_snap.cfg[0].event_horizon: present, but x_1_3 (4) does "
        "not carry it (only x_1_4 (5) and later)");
  CHECK(Refusal(kX1_3, m) == "(accepted)");
}

TEST_CASE("requested_synode_app_data below x_1_6 is refused: it would be lost") {
  PaxMsg m = Complete();
  m.requested_synode_app_data = {{.synode = {1, 2, 3}, .data = "d"}};
  CHECK(Refusal(kX1_6, m) == "(accepted)");
  CHECK(Refusal(kX1_5, m) ==
        "requested_synode_app_data: 1 entries, but x_1_5 (6) cannot carry "
        "them (x_1_6 (7) and later only)");
  CHECK(Refusal(kX1_5, m, EncodeOptions::Like8018()).starts_with("requested_synode_app_data"));
}

TEST_CASE("booleans go out as 0/1 and doubles bit for bit") {
  PaxMsg m = Complete();
  const double nan_with_payload = std::bit_cast<double>(0x7ff4000000000123ull);
  m.a = {AppData{.expiry_time = nan_with_payload, .chosen = true, .body = AppU::App("")}};
  const std::vector<std::byte> body = EncodeBody<kX1_6>(m);
  CHECK(Slice(body, 80 + 48, 8) == HexBytes("7f f4 00 00 00 00 01 23"));
  CHECK(Slice(body, 80 + 64, 4) == HexBytes("00 00 00 01"));
}

}  // namespace
}  // namespace uxcom::xdr
