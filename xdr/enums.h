// The enumerations of XCom's pax_msg (MySQL 8.0.18 and 8.0.39, wire-format specs §3 and
// x1_7-x1_9 §4) and their names.
//
// Every enum keeps its wire type as the underlying type, so a value a release's enumeration does
// not list (which XDR accepts, spec §2) survives decoding and re-encoding unchanged:
//
//   PaxOp op = static_cast<PaxOp>(99);
//   EnumName(op);                                   // nullopt: no release names it
//   EnumName(PaxOp::kLearnOp);                      // "learn_op", the name in xcom_vp.x
//   EnumName(CargoType::kXcomRecover, Profile::k8_0_39);  // nullopt: 8.0.39 dropped it
//   EnumFromName<PaxOp>("learn_op");                // PaxOp::kLearnOp
//   DescribeEnum(op);                               // "pax_op 99", for logs and errors
//
// The names are those of each release's xcom_vp.x, as printed by xcomdump and in the golden
// manifests. Without a profile, a value gets the newest release's name, or an older one's if
// the newest has none (logs: cargo 3 is still "xcom_recover").
#ifndef UXCOM_XDR_ENUMS_H_
#define UXCOM_XDR_ENUMS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "xdr/profile.h"
#include "xdr/protocol_version.h"

namespace uxcom::xdr {

// `pax_op`: what a pax_msg asks or answers.
enum class PaxOp : int32_t {
  kClientMsg = 0,
  kInitialOp = 1,
  kPrepareOp = 2,
  kAckPrepareOp = 3,
  kAckPrepareEmptyOp = 4,
  kAcceptOp = 5,
  kAckAcceptOp = 6,
  kLearnOp = 7,
  kRecoverLearnOp = 8,
  kMultiPrepareOp = 9,
  kMultiAckPrepareEmptyOp = 10,
  kMultiAcceptOp = 11,
  kMultiAckAcceptOp = 12,
  kMultiLearnOp = 13,
  kSkipOp = 14,
  kIAmAliveOp = 15,
  kAreYouAliveOp = 16,
  kNeedBootOp = 17,
  kSnapshotOp = 18,
  kDieOp = 19,
  kReadOp = 20,
  kGcsSnapshotOp = 21,
  kXcomClientReply = 22,
  kTinyLearnOp = 23,
  kSynodeRequest = 24,    // 8.0.39: a non-leader asks a leader for a message number
  kSynodeAllocated = 25,  // 8.0.39: the leader's answer, the granted synode in `synode`
  // LAST_OP, the enumeration's sentinel (never sent), is 24 in 8.0.18 and 26 in 8.0.39.
};

// `cargo_type`: the discriminant of app_data's body (the app_u union, spec §3.3 and x1_7-x1_9
// §6.1). 8.0.39 dropped 3, 5 and 6 from its enumeration (they decode as its default void arm).
enum class CargoType : int32_t {
  kUnifiedBootType = 0,
  kXcomBootType = 1,
  kXcomSetGroup = 2,
  kXcomRecover = 3,
  kAppType = 4,
  kQueryType = 5,
  kQueryNextLog = 6,
  kExitType = 7,
  kResetType = 8,
  kBeginTrans = 9,
  kPreparedTrans = 10,
  kAbortTrans = 11,
  kViewMsg = 12,
  kRemoveResetType = 13,
  kAddNodeType = 14,
  kRemoveNodeType = 15,
  kEnableArbitrator = 16,
  kDisableArbitrator = 17,
  kForceConfigType = 18,
  kXTerminateAndExit = 19,
  kSetCacheLimit = 20,
  kGetEventHorizonType = 21,         // from x_1_4
  kSetEventHorizonType = 22,         // from x_1_4
  kGetSynodeAppDataType = 23,        // from x_1_6
  kConvertIntoLocalServerType = 24,  // 8.0.39, void arm (never accepted from a remote client)
  kSetMaxLeaders = 25,               // 8.0.39, u32 arm, x_1_9
  kSetLeadersType = 26,              // 8.0.39, leader_array arm, x_1_9
  kGetLeadersType = 27,              // 8.0.39, no arm (default void)
};

// `pax_msg_type`.
enum class PaxMsgType : int32_t { kNormal = 0, kNoOp = 1, kMultiNoOp = 2 };

// `cons_type`: consensus an app_data needs (cons_none: "not used" in 8.0.18, gone in 8.0.39).
enum class ConsType : int32_t { kConsMajority = 0, kConsAll = 1, kConsNone = 2 };

// `recover_action`.
enum class RecoverAction : int32_t { kRecBlock = 0, kRecDelay = 1, kRecSend = 2 };

// `client_reply_code`: pax_msg.cli_err.
enum class ClientReplyCode : int32_t {
  kRequestOk = 0,
  kRequestFail = 1,
  kRequestRetry = 2,
  kRequestRedirect = 3,  // 8.0.39
};

// `reply_type`: the discriminant of pax_msg.rd (8.0.39, x_1_9).
enum class ReplyType : int32_t { kLeaderInfo = 0 };

// `paxos_role` bits (8.0.39): the values of node_address.services, a plain u32 on the wire.
inline constexpr uint32_t kServicePropose = 1;  // P_PROP
inline constexpr uint32_t kServiceAccept = 2;   // P_ACC
inline constexpr uint32_t kServiceLearn = 4;    // P_LEARN
inline constexpr uint32_t kAllServices = kServicePropose | kServiceAccept | kServiceLearn;

// `start_t`: pax_msg.start_type (deprecated by XCom, still on the wire).
enum class StartType : int32_t { kIdle = 0, kBoot = 1, kRecover = 2 };

// `x_msg_type`: byte 8 of the frame header (spec §1.3). Only 0-2 exist (8.0.18 and 8.0.39).
enum class MessageType : uint8_t { kNormal = 0, kVersionReq = 1, kVersionReply = 2 };

// The first protocol version whose peers know cargo `c` (spec §4.16, x1_7-x1_9 §8):
// get/set_event_horizon arrived with x_1_4, get_synode_app_data with x_1_6, set_max_leaders and
// set_leaders_type with x_1_9 (8.0.39 refuses the leader features below it); everything else
// with x_1_0: values outside an enumeration, and the void-armed convert_into_local_server and
// get_leaders_type, which every version reads as the same (void) bytes and 8.0.39 sends at any
// version.
constexpr ProtocolVersion FirstVersionWithCargo(CargoType c) {
  switch (c) {
    case CargoType::kGetEventHorizonType:
    case CargoType::kSetEventHorizonType:
      return ProtocolVersion::kX1_4;
    case CargoType::kGetSynodeAppDataType:
      return ProtocolVersion::kX1_6;
    case CargoType::kSetMaxLeaders:
    case CargoType::kSetLeadersType:
      return ProtocolVersion::kX1_9;
    default:
      return ProtocolVersion::kX1_0;
  }
}

// Name tables: EnumTraits<E>::kNames lists (value, name, releases naming it); kTypeName is the
// .x type name.
struct EnumNameEntry {
  int64_t value;
  std::string_view name;
  uint8_t profiles = 0b11;  // bit i: Profile(i) has this name
};
inline constexpr uint8_t kOnly8018 = 1 << static_cast<int>(Profile::k8_0_18);
inline constexpr uint8_t kFrom8039 = 1 << static_cast<int>(Profile::k8_0_39);

template <typename E>
struct EnumTraits;

#define UXCOM_XDR_ENUM_TRAITS(E, type_name, ...)             \
  template <>                                                \
  struct EnumTraits<E> {                                     \
    static constexpr std::string_view kTypeName = type_name; \
    static constexpr EnumNameEntry kNames[] = {__VA_ARGS__}; \
  }

UXCOM_XDR_ENUM_TRAITS(PaxOp, "pax_op", {0, "client_msg"}, {1, "initial_op"}, {2, "prepare_op"},
                      {3, "ack_prepare_op"}, {4, "ack_prepare_empty_op"}, {5, "accept_op"},
                      {6, "ack_accept_op"}, {7, "learn_op"}, {8, "recover_learn_op"},
                      {9, "multi_prepare_op"}, {10, "multi_ack_prepare_empty_op"},
                      {11, "multi_accept_op"}, {12, "multi_ack_accept_op"}, {13, "multi_learn_op"},
                      {14, "skip_op"}, {15, "i_am_alive_op"}, {16, "are_you_alive_op"},
                      {17, "need_boot_op"}, {18, "snapshot_op"}, {19, "die_op"}, {20, "read_op"},
                      {21, "gcs_snapshot_op"}, {22, "xcom_client_reply"}, {23, "tiny_learn_op"},
                      {24, "LAST_OP", kOnly8018}, {24, "synode_request", kFrom8039},
                      {25, "synode_allocated", kFrom8039}, {26, "LAST_OP", kFrom8039});
UXCOM_XDR_ENUM_TRAITS(CargoType, "cargo_type", {0, "unified_boot_type"}, {1, "xcom_boot_type"},
                      {2, "xcom_set_group"}, {3, "xcom_recover", kOnly8018}, {4, "app_type"},
                      {5, "query_type", kOnly8018}, {6, "query_next_log", kOnly8018},
                      {7, "exit_type"}, {8, "reset_type"}, {9, "begin_trans"},
                      {10, "prepared_trans"}, {11, "abort_trans"}, {12, "view_msg"},
                      {13, "remove_reset_type"}, {14, "add_node_type"}, {15, "remove_node_type"},
                      {16, "enable_arbitrator"}, {17, "disable_arbitrator"},
                      {18, "force_config_type"}, {19, "x_terminate_and_exit"},
                      {20, "set_cache_limit"}, {21, "get_event_horizon_type"},
                      {22, "set_event_horizon_type"}, {23, "get_synode_app_data_type"},
                      {24, "convert_into_local_server_type", kFrom8039},
                      {25, "set_max_leaders", kFrom8039}, {26, "set_leaders_type", kFrom8039},
                      {27, "get_leaders_type", kFrom8039});
UXCOM_XDR_ENUM_TRAITS(PaxMsgType, "pax_msg_type", {0, "normal"}, {1, "no_op"}, {2, "multi_no_op"});
UXCOM_XDR_ENUM_TRAITS(ConsType, "cons_type", {0, "cons_majority"}, {1, "cons_all"},
                      {2, "cons_none", kOnly8018});
UXCOM_XDR_ENUM_TRAITS(RecoverAction, "recover_action", {0, "rec_block"}, {1, "rec_delay"},
                      {2, "rec_send"});
UXCOM_XDR_ENUM_TRAITS(ClientReplyCode, "client_reply_code", {0, "REQUEST_OK"}, {1, "REQUEST_FAIL"},
                      {2, "REQUEST_RETRY"}, {3, "REQUEST_REDIRECT", kFrom8039});
UXCOM_XDR_ENUM_TRAITS(StartType, "start_t", {0, "IDLE"}, {1, "BOOT"}, {2, "RECOVER"});
UXCOM_XDR_ENUM_TRAITS(ReplyType, "reply_type", {0, "leader_info", kFrom8039});
UXCOM_XDR_ENUM_TRAITS(MessageType, "x_msg_type", {0, "x_normal"}, {1, "x_version_req"},
                      {2, "x_version_reply"});
UXCOM_XDR_ENUM_TRAITS(ProtocolVersion, "xcom_proto", {0, "x_unknown_proto"}, {1, "x_1_0"},
                      {2, "x_1_1"}, {3, "x_1_2"}, {4, "x_1_3"}, {5, "x_1_4"}, {6, "x_1_5"},
                      {7, "x_1_6"}, {8, "x_1_7", kFrom8039}, {9, "x_1_8", kFrom8039},
                      {10, "x_1_9", kFrom8039});

#undef UXCOM_XDR_ENUM_TRAITS

// The numeric wire value of `e`.
template <typename E>
constexpr std::underlying_type_t<E> EnumValue(E e) {
  return static_cast<std::underlying_type_t<E>>(e);
}

// The name of `e` in release `p`'s xcom_vp.x, or nullopt for a value outside its enumeration.
template <typename E>
constexpr std::optional<std::string_view> EnumName(E e, Profile p) {
  const auto v = static_cast<int64_t>(EnumValue(e));
  const uint8_t bit = static_cast<uint8_t>(1u << static_cast<int>(p));
  for (const EnumNameEntry& entry : EnumTraits<E>::kNames) {
    if (entry.value == v && (entry.profiles & bit) != 0) return entry.name;
  }
  return std::nullopt;
}

// The newest release's name of `e`, else an older release's; nullopt if none names it.
template <typename E>
constexpr std::optional<std::string_view> EnumName(E e) {
  for (int p = static_cast<int>(kNewestProfile); p >= 0; --p) {
    if (std::optional<std::string_view> name = EnumName(e, static_cast<Profile>(p))) return name;
  }
  return std::nullopt;
}

// The value named `name` in release `p` (case-sensitive, as in xcom_vp.x), or nullopt.
template <typename E>
constexpr std::optional<E> EnumFromName(std::string_view name, Profile p) {
  const uint8_t bit = static_cast<uint8_t>(1u << static_cast<int>(p));
  for (const EnumNameEntry& entry : EnumTraits<E>::kNames) {
    if (entry.name == name && (entry.profiles & bit) != 0) {
      return static_cast<E>(static_cast<std::underlying_type_t<E>>(entry.value));
    }
  }
  return std::nullopt;
}

// The value named `name` in the newest release that has the name.
template <typename E>
constexpr std::optional<E> EnumFromName(std::string_view name) {
  for (int p = static_cast<int>(kNewestProfile); p >= 0; --p) {
    if (std::optional<E> e = EnumFromName<E>(name, static_cast<Profile>(p))) return e;
  }
  return std::nullopt;
}

// "learn_op (7)" or "pax_op 99": for error messages and logs.
template <typename E>
std::string DescribeEnum(E e) {
  std::string out;
  if (std::optional<std::string_view> name = EnumName(e)) {
    out.append(*name).append(" (").append(std::to_string(EnumValue(e))).append(")");
  } else {
    out.append(EnumTraits<E>::kTypeName).append(" ").append(std::to_string(EnumValue(e)));
  }
  return out;
}

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_ENUMS_H_
