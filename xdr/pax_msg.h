// The XCom message model: pax_msg and every structure reachable from it (MySQL 8.0.18,
// wire-format spec §4), as plain C++ aggregates.
//
// Field names are those of xcom_vp.x (they are also the JSON keys of xcomdump and the golden
// manifest). The differences from the C structs are deliberate:
//
// * Optional pointers are std::optional. The one recursive pointer, app_data.next, is not a
//   pointer: pax_msg.a is an AppDataList, the `a` pointer and its `next` chain in order (empty
//   when `a` is NULL; a[1] is a[0].next). Chains are therefore built, walked and decoded
//   without recursion.
// * The app_u union is AppU: the discriminant c_t plus a std::variant holding the arm that
//   c_t selects (ArmOf). Several cargo types share an arm, so c_t is kept separately.
// * Fields a protocol version does not carry are std::optional (delivered_msg, event_horizon,
//   node_address.proto, config.event_horizon) or an empty vector (requested_synode_app_data).
//   Decoding never fabricates them; encoding rules are in encode.h.
// * Strings and opaque data (Bytes) are views. Decode points them into the input buffer
//   (zero-copy) or into its Arena (copies); a message you build points wherever you like.
//   Either way the bytes must outlive the message.
// * Containers are std::pmr::vector: a message you build uses the default (heap) resource, a
//   decoded one lives entirely in the Arena it was decoded into.
//
//   std::string payload = "...";
//   uxcom::xdr::PaxMsg msg{
//       .from = 2,
//       .group_id = 0x1234,
//       .op = PaxOp::kClientMsg,
//       .synode = {.group_id = 0x1234, .msgno = 17, .node = 2},
//       .a = {{.group_id = 0x1234, .body = AppU::App(payload)}},
//       .delivered_msg = SynodeNo{.group_id = 0x1234, .msgno = 16},
//       .event_horizon = 10,
//   };
#ifndef UXCOM_XDR_PAX_MSG_H_
#define UXCOM_XDR_PAX_MSG_H_

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "xdr/enums.h"
#include "xdr/protocol_version.h"

namespace uxcom::xdr {

// Opaque bytes (checked_data, blob.data): a view, not text.
using Bytes = std::string_view;

inline Bytes AsBytes(std::span<const std::byte> s) {
  return Bytes(reinterpret_cast<const char*>(s.data()), s.size());
}
inline Bytes AsBytes(std::span<const uint8_t> s) {
  return Bytes(reinterpret_cast<const char*>(s.data()), s.size());
}
inline std::span<const std::byte> AsByteSpan(Bytes b) {
  return {reinterpret_cast<const std::byte*>(b.data()), b.size()};
}

// synode_no: a consensus slot. The all-zero value is XCom's null synode.
struct SynodeNo {
  uint32_t group_id = 0;
  uint64_t msgno = 0;
  uint32_t node = 0;
  friend bool operator==(const SynodeNo&, const SynodeNo&) = default;
};

// ballot: a Paxos ballot, (count, node).
struct Ballot {
  int32_t cnt = 0;
  uint32_t node = 0;
  friend bool operator==(const Ballot&, const Ballot&) = default;
};

// x_proto_range: the protocol versions a node supports.
struct XProtoRange {
  ProtocolVersion min_proto = ProtocolVersion::kUnknown;
  ProtocolVersion max_proto = ProtocolVersion::kUnknown;
  friend bool operator==(const XProtoRange&, const XProtoRange&) = default;
};

// blob: opaque data of at most kMaxBlobBytes.
struct Blob {
  Bytes data{};
  friend bool operator==(const Blob&, const Blob&) = default;
};

// node_address: one member of a node_list.
struct NodeAddress {
  std::string_view address{};  // "host:port" or "[v6]:port", at most kMaxNameBytes
  Blob uuid{};                 // per-incarnation identifier from GCS
  // Carried from x_1_1. Required when encoding for x_1_1+; decoding x_1_0 leaves it empty
  // (8.0.18 fills in {x_1_0, x_1_0}).
  std::optional<XProtoRange> proto{};
  friend bool operator==(const NodeAddress&, const NodeAddress&) = default;
};

// node_list: at most kMaxNodes addresses.
using NodeList = std::pmr::vector<NodeAddress>;
// node_set: at most kMaxNodes booleans, element i for node i.
using NodeSet = std::pmr::vector<bool>;
// synode_no_array: at most kMaxSynodeArray synodes.
using SynodeNoArray = std::pmr::vector<SynodeNo>;

// bit_set: at most kMaxBitSetWords words; node n is bit n % 32 of word n / 32.
struct BitSet {
  std::pmr::vector<uint32_t> bits{};
  friend bool operator==(const BitSet&, const BitSet&) = default;
};

struct TransId {
  SynodeNo cfg{};
  uint32_t pc = 0;
  friend bool operator==(const TransId&, const TransId&) = default;
};

struct XError {
  int32_t nodeid = 0;
  int32_t code = 0;
  std::string_view message{};  // at most kMaxErrorBytes
  friend bool operator==(const XError&, const XError&) = default;
};

struct TransData {
  TransId tid{};
  int32_t pc = 0;
  std::string_view cluster_name{};  // at most kMaxNameBytes
  XError errmsg{};
  friend bool operator==(const TransData&, const TransData&) = default;
};

struct UncommittedList {
  uint32_t active = 0;
  SynodeNoArray vers{};
  friend bool operator==(const UncommittedList&, const UncommittedList&) = default;
};

// repository: the arm of cargo xcom_recover.
struct Repository {
  SynodeNo vers{};
  SynodeNoArray msg_list{};
  UncommittedList u_list{};
  friend bool operator==(const Repository&, const Repository&) = default;
};

// Which member of app_u a cargo type selects (spec §3.3). The order is that of AppU::Arm.
enum class AppArm : uint8_t {
  kNodes = 0,     // node_list nodes
  kRep,           // repository rep
  kData,          // checked_data data
  kTd,            // trans_data td
  kPresent,       // node_set present
  kCacheLimit,    // uint64 cache_limit
  kEventHorizon,  // uint32 event_horizon
  kSynodes,       // synode_no_array synodes
  kVoid,          // nothing on the wire (also every value outside the enumeration)
};

constexpr AppArm ArmOf(CargoType c) {
  switch (c) {
    case CargoType::kUnifiedBootType:
    case CargoType::kXcomBootType:
    case CargoType::kXcomSetGroup:
    case CargoType::kAddNodeType:
    case CargoType::kRemoveNodeType:
    case CargoType::kForceConfigType:
      return AppArm::kNodes;
    case CargoType::kXcomRecover:
      return AppArm::kRep;
    case CargoType::kAppType:
      return AppArm::kData;
    case CargoType::kPreparedTrans:
    case CargoType::kAbortTrans:
      return AppArm::kTd;
    case CargoType::kViewMsg:
      return AppArm::kPresent;
    case CargoType::kSetCacheLimit:
      return AppArm::kCacheLimit;
    case CargoType::kSetEventHorizonType:
      return AppArm::kEventHorizon;
    case CargoType::kGetSynodeAppDataType:
      return AppArm::kSynodes;
    default:
      return AppArm::kVoid;
  }
}

// The xcom_vp.x name of an arm ("nodes", "rep", …; "" for void): field paths and JSON keys.
std::string_view ArmName(AppArm arm);

// app_u: the body of an app_data. `arm` must hold the alternative ArmOf(c_t) names; the
// factories below keep the two consistent. The default is the all-zero C value: cargo
// unified_boot_type with an empty node list.
struct AppU {
  using Arm = std::variant<NodeList, Repository, Bytes, TransData, NodeSet, uint64_t, uint32_t,
                           SynodeNoArray, std::monostate>;

  CargoType c_t = CargoType::kUnifiedBootType;
  Arm arm{};

  AppArm kind() const { return static_cast<AppArm>(arm.index()); }

  // cargo app_type: the application payload (checked_data).
  static AppU App(Bytes data) { return {CargoType::kAppType, Arm(std::in_place_index<2>, data)}; }
  // unified_boot, xcom_boot, xcom_set_group, add_node, remove_node, force_config.
  static AppU Nodes(CargoType c, NodeList nodes) {
    return {c, Arm(std::in_place_index<0>, std::move(nodes))};
  }
  static AppU Recover(Repository rep) {
    return {CargoType::kXcomRecover, Arm(std::in_place_index<1>, std::move(rep))};
  }
  // prepared_trans, abort_trans.
  static AppU Trans(CargoType c, TransData td) {
    return {c, Arm(std::in_place_index<3>, std::move(td))};
  }
  static AppU View(NodeSet present) {
    return {CargoType::kViewMsg, Arm(std::in_place_index<4>, std::move(present))};
  }
  static AppU CacheLimit(uint64_t limit) {
    return {CargoType::kSetCacheLimit, Arm(std::in_place_index<5>, limit)};
  }
  static AppU SetEventHorizon(uint32_t horizon) {
    return {CargoType::kSetEventHorizonType, Arm(std::in_place_index<6>, horizon)};
  }
  static AppU GetSynodeAppData(SynodeNoArray synodes) {
    return {CargoType::kGetSynodeAppDataType, Arm(std::in_place_index<7>, std::move(synodes))};
  }
  // Any cargo whose arm is void (exit_type, get_event_horizon_type, values outside the enum…).
  static AppU Void(CargoType c) { return {c, Arm(std::in_place_index<8>)}; }

  friend bool operator==(const AppU&, const AppU&) = default;
};

// app_data, without its `next` pointer (see AppDataList).
struct AppData {
  SynodeNo unique_id{};
  uint32_t group_id = 0;
  uint64_t lsn = 0;
  SynodeNo app_key{};
  ConsType consensus = ConsType::kConsMajority;
  double expiry_time = 0;  // bit-exact: NaN payloads survive a round trip
  bool notused = false;
  bool log_it = false;
  bool chosen = false;
  RecoverAction recover = RecoverAction::kRecBlock;
  AppU body{};
  friend bool operator==(const AppData&, const AppData&) = default;
};

// An app_data pointer with its `next` chain: element i+1 is element i's next. Empty = NULL.
// Used for pax_msg.a and for every element of snapshot.snap (an app_data_ptr_array).
using AppDataList = std::pmr::vector<AppData>;

// snapshot: the legacy pax_msg.snap (not used by 8.0.18 in practice).
struct Snapshot {
  SynodeNo vers{};
  std::pmr::vector<AppDataList> snap{};  // at most kMaxAppPtrArray, NULL entries are empty lists
  UncommittedList u_list{};
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

// config: one site definition.
struct Config {
  SynodeNo start{};
  SynodeNo boot_key{};
  NodeList nodes{};
  // Carried from x_1_4. Required when encoding for x_1_4+; decoding x_1_0…x_1_3 leaves it
  // empty (8.0.18 fills in EVENT_HORIZON_MIN = 10).
  std::optional<uint32_t> event_horizon{};
  friend bool operator==(const Config&, const Config&) = default;
};

// gcs_snapshot: the state a joining node receives with gcs_snapshot_op.
struct GcsSnapshot {
  SynodeNo log_start{};
  std::pmr::vector<std::optional<Config>> cfg{};  // configs: at most kMaxConfigs, NULL = nullopt
  Blob app_snap{};
  friend bool operator==(const GcsSnapshot&, const GcsSnapshot&) = default;
};

struct SynodeAppData {
  SynodeNo synode{};
  Bytes data{};  // checked_data
  friend bool operator==(const SynodeAppData&, const SynodeAppData&) = default;
};

// pax_msg: the body of every normal frame.
struct PaxMsg {
  uint32_t to = 0;  // stamped per destination by the transport, see kPaxMsgToOffset
  uint32_t from = 0;
  uint32_t group_id = 0;
  SynodeNo max_synode{};
  StartType start_type = StartType::kIdle;
  Ballot reply_to{};
  Ballot proposal{};
  PaxOp op = PaxOp::kClientMsg;
  SynodeNo synode{};
  PaxMsgType msg_type = PaxMsgType::kNormal;
  std::optional<BitSet> receivers{};
  AppDataList a{};  // the `a` pointer and its next chain; empty = NULL
  std::optional<Snapshot> snap{};
  std::optional<GcsSnapshot> gcs_snap{};
  ClientReplyCode cli_err = ClientReplyCode::kRequestOk;
  bool force_delivery = false;
  int32_t refcnt = 0;
  std::optional<SynodeNo> delivered_msg{};  // carried from x_1_2
  std::optional<uint32_t> event_horizon{};  // carried from x_1_4
  // Carried by x_1_6 only; empty when decoded from an older version.
  std::pmr::vector<SynodeAppData> requested_synode_app_data{};

  // Equality is field by field (a NaN expiry_time never compares equal).
  friend bool operator==(const PaxMsg&, const PaxMsg&) = default;
};

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_PAX_MSG_H_
