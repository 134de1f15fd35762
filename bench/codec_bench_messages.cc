#include "bench/codec_bench_messages.h"

namespace uxcom::bench {
namespace {

using xdr::AppData;
using xdr::AppU;
using xdr::PaxMsg;
using xdr::ProtocolVersion;
using xdr::SynodeNo;

constexpr uint32_t kGroup = 0x5eed1234;

const std::string& Payload(size_t size) {
  static const std::string small = [] {
    std::string s(100, '\0');
    for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i * 7 + 1);
    return s;
  }();
  static const std::string large = [] {
    std::string s(65536, '\0');
    for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i * 13 + 5);
    return s;
  }();
  return size == 100 ? small : large;
}

PaxMsg Base(xdr::PaxOp op) {
  return PaxMsg{
      .to = 1,
      .from = 2,
      .group_id = kGroup,
      .max_synode = {kGroup, 1'000'123, 2},
      .reply_to = {3, 2},
      .proposal = {3, 2},
      .op = op,
      .synode = {kGroup, 1'000'120, 2},
      .delivered_msg = SynodeNo{kGroup, 1'000'100, 0},
      .event_horizon = 10,
  };
}

AppData App(uint64_t lsn, const std::string& payload) {
  return AppData{
      .unique_id = {kGroup, 500'000 + lsn, 2},
      .group_id = kGroup,
      .lsn = lsn,
      .app_key = {kGroup, 1'000'120, 2},
      .expiry_time = 0.0,
      .log_it = true,
      .body = AppU::App(payload),
  };
}

}  // namespace

PaxMsg SmallAppMessage() {
  PaxMsg m = Base(xdr::PaxOp::kAcceptOp);
  m.a = {App(41, Payload(100))};
  return m;
}

PaxMsg LargeAppMessage() {
  PaxMsg m = Base(xdr::PaxOp::kAcceptOp);
  m.a = {App(42, Payload(65536))};
  return m;
}

PaxMsg GcsSnapshotMessage() {
  static const std::vector<std::string>* addresses = [] {
    auto* v = new std::vector<std::string>;
    for (int i = 0; i < 9; ++i) {
      v->push_back("mysql-" + std::to_string(i) + ".db.example.com:33061");
    }
    return v;
  }();
  static const std::string uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
  xdr::NodeList nodes;
  for (const std::string& a : *addresses) {
    nodes.push_back({.address = a,
                     .uuid = {uuid},
                     .proto = xdr::XProtoRange{ProtocolVersion::kX1_0, ProtocolVersion::kX1_9},
                     .services = xdr::kAllServices});
  }
  PaxMsg m = Base(xdr::PaxOp::kGcsSnapshotOp);
  m.gcs_snap = xdr::GcsSnapshot{.log_start = {kGroup, 990'000, 0},
                                .log_end = xdr::SynodeNo{kGroup, 1'000'100, 0},
                                .app_snap = {uuid}};
  for (uint64_t i = 0; i < 4; ++i) {
    m.gcs_snap->cfg.push_back(xdr::Config{.start = {kGroup, 1000 + i * 50'000, 0},
                                          .boot_key = {kGroup, 1, 0},
                                          .nodes = nodes,
                                          .global_node_set = xdr::NodeSet(nodes.size(), true),
                                          .event_horizon = 10,
                                          .max_active_leaders = 0,
                                          .leaders = xdr::LeaderArray{}});
  }
  return m;
}

PaxMsg ChainMessage() {
  PaxMsg m = Base(xdr::PaxOp::kLearnOp);
  m.a = {App(43, Payload(100)), App(44, Payload(100)), App(45, Payload(100))};
  return m;
}

std::vector<NamedMessage> AllCodecBenchMessages() {
  return {{"small_app", SmallAppMessage()},
          {"large_app_64k", LargeAppMessage()},
          {"gcs_snapshot_9_nodes", GcsSnapshotMessage()},
          {"chain_3", ChainMessage()}};
}

}  // namespace uxcom::bench
