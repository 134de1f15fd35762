// The JSON form of messages: the manifest's conventions on output, strict input with errors
// that name the JSON path, and lossless round trips.
#include "xdr/json.h"

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <string>

#include "xdr/encode.h"
#include "xdr/internal/test_util.h"

namespace uxcom::xdr {
namespace {

using enum ProtocolVersion;
using namespace std::string_view_literals;

constexpr auto Complete = testing::CompleteMsg;

Json RoundTrip(const PaxMsg& m, ProtocolVersion v) {
  Arena arena;
  absl::StatusOr<PaxMsg*> back = PaxMsgFromJson(PaxMsgToJson(m, v), v, arena);
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  return PaxMsgToJson(**back, v);
}

std::string FromJsonError(const Json& j, ProtocolVersion v) {
  Arena arena;
  absl::StatusOr<PaxMsg*> m = PaxMsgFromJson(j, v, arena);
  REQUIRE_FALSE(m.ok());
  CHECK(m.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(m.status().message());
}

TEST_CASE("64-bit integers are decimal strings, 32-bit ones numbers, opaque data lowercase hex") {
  PaxMsg m = Complete();
  m.synode = {.group_id = 0xFFFFFFFF, .msgno = ~0ull, .node = 3};
  m.a = {AppData{.lsn = 1ull << 63, .body = AppU::App("\x00\xab\xff"sv)}};
  const Json j = PaxMsgToJson(m, kX1_6);
  CHECK(j["synode"]["group_id"] == 4294967295u);
  CHECK(j["synode"]["msgno"] == "18446744073709551615");
  CHECK(j["a"]["lsn"] == "9223372036854775808");
  CHECK(j["a"]["body"]["data"] == "00abff");
}

TEST_CASE("doubles are their bits in hex plus %.17g, with NaN and infinities spelled out") {
  CHECK(DoubleToJson(1.5) == Json::parse(R"({"hex":"3ff8000000000000","decimal":"1.5"})"));
  CHECK(DoubleToJson(-0.0)["hex"] == "8000000000000000");
  CHECK(DoubleToJson(0.1)["decimal"] == "0.10000000000000001");
  CHECK(DoubleToJson(std::numeric_limits<double>::quiet_NaN())["decimal"] == "NaN");
  CHECK(DoubleToJson(HUGE_VAL)["decimal"] == "Infinity");
  CHECK(DoubleToJson(-HUGE_VAL)["decimal"] == "-Infinity");
  PaxMsg m = Complete();
  m.a = {AppData{.expiry_time = std::bit_cast<double>(0x7ff0000000000abcull),
                 .body = AppU::Void(CargoType::kExitType)}};
  Arena arena;
  absl::StatusOr<PaxMsg*> back = PaxMsgFromJson(PaxMsgToJson(m, kX1_6), kX1_6, arena);
  REQUIRE(back.ok());
  CHECK(std::bit_cast<uint64_t>((*back)->a[0].expiry_time) == 0x7ff0000000000abcull);
}

TEST_CASE("enums are {name, value}, the name null outside the 8.0.18 enumeration") {
  PaxMsg m = Complete();
  m.op = static_cast<PaxOp>(99);
  const Json j = PaxMsgToJson(m, kX1_6);
  CHECK(j["op"] == Json::parse(R"({"name":null,"value":99})"));
  CHECK(j["msg_type"] == Json::parse(R"({"name":"normal","value":0})"));
  CHECK(RoundTrip(m, kX1_6) == j);
}

TEST_CASE("only the fields the version carries appear, in wire order") {
  PaxMsg m = Complete();
  m.a = {AppData{.body = AppU::Nodes(CargoType::kAddNodeType,
                                     {{.address = "h:1", .proto = XProtoRange{kX1_0, kX1_6}}})}};
  const Json x_1_0 = PaxMsgToJson(m, kX1_0);
  CHECK_FALSE(x_1_0.contains("delivered_msg"));
  CHECK_FALSE(x_1_0.contains("event_horizon"));
  CHECK_FALSE(x_1_0["a"]["body"]["nodes"][0].contains("proto"));
  const Json x_1_6 = PaxMsgToJson(m, kX1_6);
  CHECK(x_1_6["a"]["body"]["nodes"][0]["proto"]["max_proto"]["name"] == "x_1_6");
  CHECK(x_1_6["requested_synode_app_data"] == Json::array());
  std::string keys;
  for (const auto& [k, v] : x_1_6.items()) keys += k + " ";
  CHECK(keys ==
        "to from group_id max_synode start_type reply_to proposal op synode msg_type receivers a "
        "snap gcs_snap cli_err force_delivery refcnt delivered_msg event_horizon "
        "requested_synode_app_data ");
}

TEST_CASE("an app_data chain nests through next; absent pointers are null") {
  PaxMsg m = Complete();
  m.a = {AppData{.body = AppU::CacheLimit(5)}, AppData{.body = AppU::SetEventHorizon(7)}};
  const Json j = PaxMsgToJson(m, kX1_6);
  CHECK(j["a"]["body"]["cache_limit"] == "5");
  CHECK(j["a"]["next"]["body"]["event_horizon"] == 7);
  CHECK(j["a"]["next"]["next"].is_null());
  CHECK(j["receivers"].is_null());
  CHECK(j["gcs_snap"].is_null());
  CHECK(RoundTrip(m, kX1_6) == j);
}

TEST_CASE("a string that is not UTF-8 becomes {\"hex\": …} and survives the round trip") {
  PaxMsg m = Complete();
  m.a = {AppData{.body = AppU::Trans(CargoType::kAbortTrans,
                                     {.cluster_name = "caf\xe9", .errmsg = {.message = "ok"}})}};
  const Json j = PaxMsgToJson(m, kX1_6);
  CHECK(j["a"]["body"]["td"]["cluster_name"] == Json::parse(R"({"hex":"636166e9"})"));
  CHECK(j["a"]["body"]["td"]["errmsg"]["message"] == "ok");
  CHECK(RoundTrip(m, kX1_6) == j);
  CHECK_NOTHROW((void)j.dump());
}

TEST_CASE("every kind of value survives PaxMsg -> JSON -> PaxMsg") {
  PaxMsg m = Complete();
  m.receivers = BitSet{{1, 0xFFFFFFFF}};
  m.a = {AppData{.body = AppU::Recover({.vers = {1, 2, 3},
                                        .msg_list = {{4, 5, 6}},
                                        .u_list = {.active = 1, .vers = {{7, 8, 9}}}})},
         AppData{.body = AppU::View({true, false})},
         AppData{.body = AppU::GetSynodeAppData({{1, 1, 1}})}};
  m.snap = Snapshot{.snap = {AppDataList{}, AppDataList{AppData{.body = AppU::App("s")}}}};
  m.gcs_snap = GcsSnapshot{.cfg = {std::nullopt, Config{.event_horizon = 3}}, .app_snap = {"blob"}};
  m.requested_synode_app_data = {{.synode = {9, 9, 9}, .data = "r"}};
  for (uint32_t v = 1; v <= 7; ++v) {
    const auto version = static_cast<ProtocolVersion>(v);
    INFO("version ", v);
    CHECK(RoundTrip(m, version) == PaxMsgToJson(m, version));
  }
}

TEST_CASE("reading is strict and names the JSON path of the problem") {
  const Json good = PaxMsgToJson(Complete(), kX1_6);
  Json j = good;
  j.erase("refcnt");
  CHECK(FromJsonError(j, kX1_6) == "pax_msg: missing field 'refcnt'");
  j = good;
  j["colour"] = "blue";
  CHECK(FromJsonError(j, kX1_6) == "pax_msg: unknown field 'colour'");
  CHECK(FromJsonError(good, kX1_0) == "pax_msg: field 'delivered_msg' is not carried by x_1_0 (1)");
  j = good;
  j["synode"]["msgno"] = "12x";
  CHECK(FromJsonError(j, kX1_6) ==
        "pax_msg: synode.msgno: expected a decimal 64-bit unsigned integer, found \"12x\"");
  j = good;
  j["to"] = -1;
  CHECK(FromJsonError(j, kX1_6) == "pax_msg: to: expected an integer in 0..4294967295, found -1");
  j = good;
  j["op"] = Json::parse(R"({"name":"learn_op","value":5})");
  CHECK(FromJsonError(j, kX1_6) == "pax_msg: op: name \"learn_op\" does not match value 5");

  PaxMsg m = Complete();
  m.a = {AppData{}, AppData{.body = AppU::App("ab")}};
  j = PaxMsgToJson(m, kX1_6);
  j["a"]["next"]["body"]["data"] = "abc";
  CHECK(FromJsonError(j, kX1_6) == "pax_msg: a.next.body.data: odd number of hex digits");
  j["a"]["next"]["body"] = Json::parse(R"({"c_t":{"name":"app_type","value":4},"nodes":[]})");
  CHECK(FromJsonError(j, kX1_6) == "pax_msg: a.next.body: unknown field 'nodes'");
  CHECK(FromJsonError(Json::array(), kX1_6) == "pax_msg: expected an object, found an array");
}

TEST_CASE("hand-written input may use bare enum names or numbers and plain numbers") {
  Json j = PaxMsgToJson(Complete(), kX1_6);
  j["op"] = "learn_op";
  j["msg_type"] = 2;
  j["max_synode"]["msgno"] = 12;
  Arena arena;
  absl::StatusOr<PaxMsg*> m = PaxMsgFromJson(j, kX1_6, arena);
  REQUIRE_MESSAGE(m.ok(), m.status().ToString());
  CHECK((*m)->op == PaxOp::kLearnOp);
  CHECK((*m)->msg_type == PaxMsgType::kMultiNoOp);
  CHECK((*m)->max_synode.msgno == 12);
  j["op"] = "learn";
  CHECK(FromJsonError(j, kX1_6) == "pax_msg: op: unknown pax_op name \"learn\"");
}

TEST_CASE("headers: version and length as numbers, x_type as an enum") {
  const FrameHeader h{.version = kX1_6, .length = 124, .type = MessageType::kNormal};
  const Json j = FrameHeaderToJson(h);
  CHECK(j == Json::parse(R"({"version":7,"length":124,"x_type":{"name":"x_normal","value":0},
                             "tag":0,"unused_byte":0})"));
  CHECK(*FrameHeaderFromJson(j) == h);
  Json bad = j;
  bad["tag"] = 70000;
  CHECK(std::string(FrameHeaderFromJson(bad).status().message()) ==
        "header: tag: tag 70000 does not fit 16 bits");
}

TEST_CASE("versions without a layout cannot be read") {
  Arena arena;
  CHECK_FALSE(PaxMsgFromJson(PaxMsgToJson(Complete(), kX1_6), kUnknown, arena).ok());
}

}  // namespace
}  // namespace uxcom::xdr
