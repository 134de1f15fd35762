// The XCom message model: pax_msg and every structure reachable from it (MySQL 8.0.18 and 8.0.39,
// wire-format spec §4 and x1_7-x1_9 §5-6), as plain C++ aggregates, each followed by its schema:
// the one description (schema.h) from which every codec operation is derived. Adding a field is
// adding the member and its schema line, here and nowhere else.
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
//   node_address.proto and .services, config.event_horizon and the x_1_7/x_1_9 config fields,
//   gcs_snapshot.log_end, synode_app_data.origin) or an empty vector
//   (requested_synode_app_data); rd is a pointer, NULL when absent. Decoding never fabricates
//   them (FillDecodeDefaults gives them MySQL's decode defaults on request); encoding rules are
//   in encode.h. One in-memory shape serves every version, as in 8.0.39.
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
#include "xdr/profile.h"
#include "xdr/protocol_version.h"
#include "xdr/schema.h"

namespace uxcom::xdr {

using schema::Always;
using schema::Array;
using schema::Auto;
using schema::Bound;
using schema::Chain;
using schema::CheckedData;
using schema::Field;
using schema::FieldList;
using schema::Opaque;
using schema::Pointer;
using schema::Since;
using schema::String;

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
template <>
struct schema::Schema<SynodeNo> {
  static constexpr std::string_view kName = "synode_no";
  using Fields = FieldList<Field<"group_id", &SynodeNo::group_id>, Field<"msgno", &SynodeNo::msgno>,
                           Field<"node", &SynodeNo::node>>;
};

// ballot: a Paxos ballot, (count, node).
struct Ballot {
  int32_t cnt = 0;
  uint32_t node = 0;
  friend bool operator==(const Ballot&, const Ballot&) = default;
};
template <>
struct schema::Schema<Ballot> {
  static constexpr std::string_view kName = "ballot";
  using Fields = FieldList<Field<"cnt", &Ballot::cnt>, Field<"node", &Ballot::node>>;
};

// x_proto_range: the protocol versions a node supports.
struct XProtoRange {
  ProtocolVersion min_proto = ProtocolVersion::kUnknown;
  ProtocolVersion max_proto = ProtocolVersion::kUnknown;
  friend bool operator==(const XProtoRange&, const XProtoRange&) = default;
};
template <>
struct schema::Schema<XProtoRange> {
  static constexpr std::string_view kName = "x_proto_range";
  using Fields = FieldList<Field<"min_proto", &XProtoRange::min_proto>,
                           Field<"max_proto", &XProtoRange::max_proto>>;
};

// blob: opaque data of at most MAXBLOB bytes (the profile's: 1024 or 10 000 000).
struct Blob {
  Bytes data{};
  friend bool operator==(const Blob&, const Blob&) = default;
};
template <>
struct schema::Schema<Blob> {
  static constexpr std::string_view kName = "blob";
  using Fields = FieldList<Field<"data", &Blob::data, Opaque<Bound::kMaxBlob>>>;
};

// node_address: one member of a node_list.
struct NodeAddress {
  std::string_view address{};  // "host:port" or "[v6]:port", at most kMaxNameBytes
  Blob uuid{};                 // per-incarnation identifier from GCS
  // Carried from x_1_1. Required when encoding for x_1_1+; decoding x_1_0 leaves it empty
  // (MySQL fills in {x_1_0, x_1_0}).
  std::optional<XProtoRange> proto{};
  // paxos_role bits (kServicePropose | …), carried from x_1_9; MySQL fills in 7 (all) before.
  std::optional<uint32_t> services{};
  friend bool operator==(const NodeAddress&, const NodeAddress&) = default;
};

// The values MySQL's decoders give fields a version does not carry (spec §5.3, x1_7-x1_9 §6).
namespace decode_defaults {
inline void Proto(const NodeAddress&, XProtoRange& p) {
  p = {ProtocolVersion::kX1_0, ProtocolVersion::kX1_0};
}
inline void Services(const NodeAddress&, uint32_t& s) { s = kAllServices; }
}  // namespace decode_defaults

template <>
struct schema::Schema<NodeAddress> {
  static constexpr std::string_view kName = "node_address";
  using Fields = FieldList<Field<"address", &NodeAddress::address, String<Bound::kNodeAddress>>,
                           Field<"uuid", &NodeAddress::uuid>,
                           Field<"proto", &NodeAddress::proto, Auto, Since<ProtocolVersion::kX1_1>,
                                 &decode_defaults::Proto>,
                           Field<"services", &NodeAddress::services, Auto,
                                 Since<ProtocolVersion::kX1_9>, &decode_defaults::Services>>;
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
template <>
struct schema::Schema<BitSet> {
  static constexpr std::string_view kName = "bit_set";
  using Fields = FieldList<Field<"bits", &BitSet::bits, Array<Bound::kNServers>>>;
};

struct TransId {
  SynodeNo cfg{};
  uint32_t pc = 0;
  friend bool operator==(const TransId&, const TransId&) = default;
};
template <>
struct schema::Schema<TransId> {
  static constexpr std::string_view kName = "trans_id";
  using Fields = FieldList<Field<"cfg", &TransId::cfg>, Field<"pc", &TransId::pc>>;
};

struct XError {
  int32_t nodeid = 0;
  int32_t code = 0;
  std::string_view message{};  // at most kMaxErrorBytes
  friend bool operator==(const XError&, const XError&) = default;
};
template <>
struct schema::Schema<XError> {
  static constexpr std::string_view kName = "x_error";
  using Fields = FieldList<Field<"nodeid", &XError::nodeid>, Field<"code", &XError::code>,
                           Field<"message", &XError::message, String<Bound::kMaxError>>>;
};

struct TransData {
  TransId tid{};
  int32_t pc = 0;
  std::string_view cluster_name{};  // at most kMaxNameBytes
  XError errmsg{};
  friend bool operator==(const TransData&, const TransData&) = default;
};
template <>
struct schema::Schema<TransData> {
  static constexpr std::string_view kName = "trans_data";
  using Fields = FieldList<Field<"tid", &TransData::tid>, Field<"pc", &TransData::pc>,
                           Field<"cluster_name", &TransData::cluster_name, String<Bound::kMaxName>>,
                           Field<"errmsg", &TransData::errmsg>>;
};

struct UncommittedList {
  uint32_t active = 0;
  SynodeNoArray vers{};
  friend bool operator==(const UncommittedList&, const UncommittedList&) = default;
};
template <>
struct schema::Schema<UncommittedList> {
  static constexpr std::string_view kName = "uncommitted_list";
  using Fields = FieldList<Field<"active", &UncommittedList::active>,
                           Field<"vers", &UncommittedList::vers, Array<Bound::kMaxSynodeArray>>>;
};

// repository: the arm of cargo xcom_recover (8.0.18 only; 8.0.39 has no arm for cargo 3).
struct Repository {
  SynodeNo vers{};
  SynodeNoArray msg_list{};
  UncommittedList u_list{};
  friend bool operator==(const Repository&, const Repository&) = default;
};
template <>
struct schema::Schema<Repository> {
  static constexpr std::string_view kName = "repository";
  using Fields = FieldList<Field<"vers", &Repository::vers>,
                           Field<"msg_list", &Repository::msg_list, Array<Bound::kMaxSynodeArray>>,
                           Field<"u_list", &Repository::u_list>>;
};

// leader (8.0.39): a node allowed to lead, by address.
struct Leader {
  std::string_view address{};  // at most kMaxNameBytes
  friend bool operator==(const Leader&, const Leader&) = default;
};
template <>
struct schema::Schema<Leader> {
  static constexpr std::string_view kName = "leader";
  using Fields = FieldList<Field<"address", &Leader::address, String<Bound::kMaxName>>>;
};

// leader_array: at most kMaxNodes leaders.
using LeaderArray = std::pmr::vector<Leader>;

// Which member of app_u a cargo type selects (spec §3.3, x1_7-x1_9 §6.1). The order is that of
// AppU::Arm.
enum class AppArm : uint8_t {
  kNodes = 0,     // node_list nodes
  kRep,           // repository rep (8.0.18)
  kData,          // checked_data data
  kTd,            // trans_data td
  kPresent,       // node_set present
  kCacheLimit,    // uint64 cache_limit
  kEventHorizon,  // uint32 event_horizon
  kSynodes,       // synode_no_array synodes
  kMaxLeaders,    // uint32 max_leaders (8.0.39)
  kLeaders,       // leader_array leaders (8.0.39)
  kVoid,          // nothing on the wire (also every value outside the enumeration)
};

// The arm cargo `c` selects in release `p`'s app_u: 8.0.18 has a repository for cargo 3 and no
// arms for 25 and 26; 8.0.39 the other way round.
constexpr AppArm ArmOf(CargoType c, Profile p = kDefaultProfile) {
  switch (c) {
    case CargoType::kUnifiedBootType:
    case CargoType::kXcomBootType:
    case CargoType::kXcomSetGroup:
    case CargoType::kAddNodeType:
    case CargoType::kRemoveNodeType:
    case CargoType::kForceConfigType:
      return AppArm::kNodes;
    case CargoType::kAppType:
      return AppArm::kData;
    case CargoType::kXcomRecover:
      return RulesOf(p).xcom_recover_arm ? AppArm::kRep : AppArm::kVoid;
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
    case CargoType::kSetMaxLeaders:
      return RulesOf(p).leader_arms ? AppArm::kMaxLeaders : AppArm::kVoid;
    case CargoType::kSetLeadersType:
      return RulesOf(p).leader_arms ? AppArm::kLeaders : AppArm::kVoid;
    default:
      return AppArm::kVoid;
  }
}

// The xcom_vp.x name of an arm ("nodes", "rep", …; "" for void): field paths and JSON keys.
std::string_view ArmName(AppArm arm);

// app_u: the body of an app_data. `arm` must hold the alternative ArmOf(c_t) names; the
// factories below keep the two consistent. The default is the all-zero C value: cargo
// unified_boot_type with an empty node list. Two arms hold a uint32_t (event_horizon,
// max_leaders): reach them by index (Get<AppArm::kMaxLeaders>), not by type.
struct AppU {
  using Arm = std::variant<NodeList, Repository, Bytes, TransData, NodeSet, uint64_t, uint32_t,
                           SynodeNoArray, uint32_t, LeaderArray, std::monostate>;

  CargoType c_t = CargoType::kUnifiedBootType;
  Arm arm{};

  AppArm kind() const { return static_cast<AppArm>(arm.index()); }
  // The arm A, or nullptr if `arm` holds another.
  template <AppArm A>
  const auto* Get() const {
    return std::get_if<static_cast<size_t>(A)>(&arm);
  }

  // cargo app_type: the application payload (checked_data).
  static AppU App(Bytes data) { return Make<AppArm::kData>(CargoType::kAppType, data); }
  // unified_boot, xcom_boot, xcom_set_group, add_node, remove_node, force_config.
  static AppU Nodes(CargoType c, NodeList nodes) {
    return Make<AppArm::kNodes>(c, std::move(nodes));
  }
  // 8.0.18 only (8.0.39 has no arm for cargo 3).
  static AppU Recover(Repository rep) {
    return Make<AppArm::kRep>(CargoType::kXcomRecover, std::move(rep));
  }
  // prepared_trans, abort_trans.
  static AppU Trans(CargoType c, TransData td) { return Make<AppArm::kTd>(c, std::move(td)); }
  static AppU View(NodeSet present) {
    return Make<AppArm::kPresent>(CargoType::kViewMsg, std::move(present));
  }
  static AppU CacheLimit(uint64_t limit) {
    return Make<AppArm::kCacheLimit>(CargoType::kSetCacheLimit, limit);
  }
  static AppU SetEventHorizon(uint32_t horizon) {
    return Make<AppArm::kEventHorizon>(CargoType::kSetEventHorizonType, horizon);
  }
  static AppU GetSynodeAppData(SynodeNoArray synodes) {
    return Make<AppArm::kSynodes>(CargoType::kGetSynodeAppDataType, std::move(synodes));
  }
  // 8.0.39, x_1_9: how many nodes may lead (0: all).
  static AppU SetMaxLeaders(uint32_t max_leaders) {
    return Make<AppArm::kMaxLeaders>(CargoType::kSetMaxLeaders, max_leaders);
  }
  // 8.0.39, x_1_9: the preferred leaders.
  static AppU SetLeaders(LeaderArray leaders) {
    return Make<AppArm::kLeaders>(CargoType::kSetLeadersType, std::move(leaders));
  }
  // Any cargo whose arm is void (exit_type, get_event_horizon_type, values outside the enum…).
  static AppU Void(CargoType c) { return Make<AppArm::kVoid>(c); }

  friend bool operator==(const AppU&, const AppU&) = default;

 private:
  template <AppArm A, typename... Args>
  static AppU Make(CargoType c, Args&&... args) {
    return {c, Arm(std::in_place_index<static_cast<size_t>(A)>, std::forward<Args>(args)...)};
  }
};
template <>
struct schema::Schema<AppU> {
  static constexpr std::string_view kName = "app_u";
  using Discriminant = Field<"c_t", &AppU::c_t>;
  static constexpr auto kArms = &AppU::arm;
  using Arms =
      schema::ArmList<schema::Arm<"nodes", Array<Bound::kNServers>>, schema::Arm<"rep">,
                      schema::Arm<"data", CheckedData>, schema::Arm<"td">,
                      schema::Arm<"present", Array<Bound::kNServers>>, schema::Arm<"cache_limit">,
                      schema::Arm<"event_horizon">,
                      schema::Arm<"synodes", Array<Bound::kMaxSynodeArray>>,
                      schema::Arm<"max_leaders">, schema::Arm<"leaders", Array<Bound::kNServers>>,
                      schema::Arm<"", schema::Void>>;
  static constexpr size_t ArmIndex(CargoType c, Profile p) {
    return static_cast<size_t>(ArmOf(c, p));
  }
  static constexpr ProtocolVersion FirstVersion(CargoType c) { return FirstVersionWithCargo(c); }
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
template <>
struct schema::Schema<AppData> {
  static constexpr std::string_view kName = "app_data";
  using Fields = FieldList<
      Field<"unique_id", &AppData::unique_id>, Field<"group_id", &AppData::group_id>,
      Field<"lsn", &AppData::lsn>, Field<"app_key", &AppData::app_key>,
      Field<"consensus", &AppData::consensus>, Field<"expiry_time", &AppData::expiry_time>,
      Field<"notused", &AppData::notused>, Field<"log_it", &AppData::log_it>,
      Field<"chosen", &AppData::chosen>, Field<"recover", &AppData::recover>,
      Field<"body", &AppData::body>>;  // `next`: the Chain of the pointer that holds the list
};

// An app_data pointer with its `next` chain: element i+1 is element i's next. Empty = NULL.
// Used for pax_msg.a and for every element of snapshot.snap (an app_data_ptr_array).
using AppDataList = std::pmr::vector<AppData>;

// snapshot: the legacy pax_msg.snap (not used by MySQL in practice).
struct Snapshot {
  SynodeNo vers{};
  std::pmr::vector<AppDataList> snap{};  // at most kMaxAppPtrArray, NULL entries are empty lists
  UncommittedList u_list{};
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};
template <>
struct schema::Schema<Snapshot> {
  static constexpr std::string_view kName = "snapshot";
  using Fields = FieldList<Field<"vers", &Snapshot::vers>,
                           Field<"snap", &Snapshot::snap, Array<Bound::kMaxAppPtrArray, Chain>>,
                           Field<"u_list", &Snapshot::u_list>>;
};

// config: one site definition.
struct Config {
  SynodeNo start{};
  SynodeNo boot_key{};
  NodeList nodes{};
  // Carried from x_1_7 (and at x_1_3 by 8.0.39); MySQL fills in an empty set before.
  std::optional<NodeSet> global_node_set{};
  // Carried from x_1_4. Required when encoding for x_1_4+; decoding x_1_0…x_1_3 leaves it
  // empty (MySQL fills in EVENT_HORIZON_MIN = 10).
  std::optional<uint32_t> event_horizon{};
  // Carried from x_1_9 (8.0.39); MySQL fills in 0 (no limit) and no leaders before.
  std::optional<uint32_t> max_active_leaders{};
  std::optional<LeaderArray> leaders{};
  friend bool operator==(const Config&, const Config&) = default;
};

namespace decode_defaults {
inline constexpr uint32_t kEventHorizonMin = 10;  // EVENT_HORIZON_MIN
inline void ConfigEventHorizon(const Config&, uint32_t& e) { e = kEventHorizonMin; }
}  // namespace decode_defaults

template <>
struct schema::Schema<Config> {
  static constexpr std::string_view kName = "config";
  using Fields = FieldList<
      Field<"start", &Config::start>, Field<"boot_key", &Config::boot_key>,
      Field<"nodes", &Config::nodes, Array<Bound::kNServers>>,
      Field<"global_node_set", &Config::global_node_set, Array<Bound::kNServers>,
            Since<ProtocolVersion::kX1_7, ProtocolVersion::kX1_3, Profile::k8_0_39>>,
      Field<"event_horizon", &Config::event_horizon, Auto, Since<ProtocolVersion::kX1_4>,
            &decode_defaults::ConfigEventHorizon>,
      Field<"max_active_leaders", &Config::max_active_leaders, Auto, Since<ProtocolVersion::kX1_9>>,
      Field<"leaders", &Config::leaders, Array<Bound::kNServers>, Since<ProtocolVersion::kX1_9>>>;
};

// gcs_snapshot: the state a joining node receives with gcs_snapshot_op.
struct GcsSnapshot {
  SynodeNo log_start{};
  // Carried from x_1_7 (and at x_1_3 by 8.0.39); MySQL fills in the null synode before.
  std::optional<SynodeNo> log_end{};
  // configs: at most the profile's bound (100 or 1024), NULL entries = nullopt
  std::pmr::vector<std::optional<Config>> cfg{};
  Blob app_snap{};
  friend bool operator==(const GcsSnapshot&, const GcsSnapshot&) = default;
};
template <>
struct schema::Schema<GcsSnapshot> {
  static constexpr std::string_view kName = "gcs_snapshot";
  using Fields =
      FieldList<Field<"log_start", &GcsSnapshot::log_start>,
                Field<"log_end", &GcsSnapshot::log_end, Auto,
                      Since<ProtocolVersion::kX1_7, ProtocolVersion::kX1_3, Profile::k8_0_39>>,
                Field<"cfg", &GcsSnapshot::cfg, Array<Bound::kSiteDefs, Pointer<>>>,
                Field<"app_snap", &GcsSnapshot::app_snap>>;
};

struct SynodeAppData {
  SynodeNo synode{};
  Bytes data{};  // checked_data
  // Carried from x_1_9 (8.0.39); MySQL fills in `synode` before.
  std::optional<SynodeNo> origin{};
  friend bool operator==(const SynodeAppData&, const SynodeAppData&) = default;
};

namespace decode_defaults {
inline void Origin(const SynodeAppData& s, SynodeNo& origin) { origin = s.synode; }
}  // namespace decode_defaults

template <>
struct schema::Schema<SynodeAppData> {
  static constexpr std::string_view kName = "synode_app_data";
  using Fields = FieldList<Field<"synode", &SynodeAppData::synode>,
                           Field<"data", &SynodeAppData::data, CheckedData>,
                           Field<"origin", &SynodeAppData::origin, Auto,
                                 Since<ProtocolVersion::kX1_9>, &decode_defaults::Origin>>;
};

// leader_info_data (8.0.39): the answer to get_leaders_type.
struct LeaderInfoData {
  uint32_t max_nr_leaders = 0;
  LeaderArray preferred_leaders{};
  LeaderArray actual_leaders{};
  friend bool operator==(const LeaderInfoData&, const LeaderInfoData&) = default;
};
template <>
struct schema::Schema<LeaderInfoData> {
  static constexpr std::string_view kName = "leader_info_data";
  using Fields = FieldList<
      Field<"max_nr_leaders", &LeaderInfoData::max_nr_leaders>,
      Field<"preferred_leaders", &LeaderInfoData::preferred_leaders, Array<Bound::kNServers>>,
      Field<"actual_leaders", &LeaderInfoData::actual_leaders, Array<Bound::kNServers>>>;
};

// reply_data (8.0.39): pax_msg.rd, a union on rt. leader_info carries a LeaderInfoData; every
// other rt is the default void arm. The default is the all-zero C value.
struct ReplyData {
  using Arm = std::variant<LeaderInfoData, std::monostate>;
  ReplyType rt = ReplyType::kLeaderInfo;
  Arm arm{};

  static ReplyData LeaderInfo(LeaderInfoData leaders) {
    return {ReplyType::kLeaderInfo, Arm(std::in_place_index<0>, std::move(leaders))};
  }
  static ReplyData Void(ReplyType rt) { return {rt, Arm(std::in_place_index<1>)}; }
  friend bool operator==(const ReplyData&, const ReplyData&) = default;
};
template <>
struct schema::Schema<ReplyData> {
  static constexpr std::string_view kName = "reply_data";
  using Discriminant = Field<"rt", &ReplyData::rt>;
  static constexpr auto kArms = &ReplyData::arm;
  using Arms = schema::ArmList<schema::Arm<"leaders">, schema::Arm<"", schema::Void>>;
  static constexpr size_t ArmIndex(ReplyType rt, Profile) {
    return rt == ReplyType::kLeaderInfo ? 0 : 1;
  }
  static constexpr ProtocolVersion FirstVersion(ReplyType) { return ProtocolVersion::kX1_0; }
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
  // Carried from x_1_6; empty when decoded from an older version.
  std::pmr::vector<SynodeAppData> requested_synode_app_data{};
  // reply_data pointer, carried from x_1_9 (8.0.39); NULL when absent.
  std::optional<ReplyData> rd{};

  // Equality is field by field (a NaN expiry_time never compares equal).
  friend bool operator==(const PaxMsg&, const PaxMsg&) = default;
};
template <>
struct schema::Schema<PaxMsg> {
  static constexpr std::string_view kName = "pax_msg";
  using Fields =
      FieldList<Field<"to", &PaxMsg::to>, Field<"from", &PaxMsg::from>,
                Field<"group_id", &PaxMsg::group_id>, Field<"max_synode", &PaxMsg::max_synode>,
                Field<"start_type", &PaxMsg::start_type>, Field<"reply_to", &PaxMsg::reply_to>,
                Field<"proposal", &PaxMsg::proposal>, Field<"op", &PaxMsg::op>,
                Field<"synode", &PaxMsg::synode>, Field<"msg_type", &PaxMsg::msg_type>,
                Field<"receivers", &PaxMsg::receivers, Pointer<>>, Field<"a", &PaxMsg::a, Chain>,
                Field<"snap", &PaxMsg::snap, Pointer<>>,
                Field<"gcs_snap", &PaxMsg::gcs_snap, Pointer<>>, Field<"cli_err", &PaxMsg::cli_err>,
                Field<"force_delivery", &PaxMsg::force_delivery>, Field<"refcnt", &PaxMsg::refcnt>,
                // MySQL fills in the receiver's own last delivered synode: local state, not a
                // constant (FillDecodeDefaults uses the null synode).
                Field<"delivered_msg", &PaxMsg::delivered_msg, Auto, Since<ProtocolVersion::kX1_2>>,
                Field<"event_horizon", &PaxMsg::event_horizon, Auto, Since<ProtocolVersion::kX1_4>>,
                Field<"requested_synode_app_data", &PaxMsg::requested_synode_app_data,
                      Array<Bound::kMaxSynodeArray>, Since<ProtocolVersion::kX1_6>>,
                Field<"rd", &PaxMsg::rd, Pointer<>, Since<ProtocolVersion::kX1_9>>>;
};

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_PAX_MSG_H_
