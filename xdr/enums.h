// The enumerations of XCom's pax_msg (MySQL 8.0.18, wire-format spec §3) and their names.
//
// Every enum keeps its wire type as the underlying type, so a value the 8.0.18 enumeration does
// not list (which XDR accepts, spec §2) survives decoding and re-encoding unchanged:
//
//   PaxOp op = static_cast<PaxOp>(99);
//   EnumName(op);                      // nullopt: not a pax_op of 8.0.18
//   EnumName(PaxOp::kLearnOp);         // "learn_op", the name in xcom_vp.x
//   EnumFromName<PaxOp>("learn_op");   // PaxOp::kLearnOp
//   DescribeEnum(op);                  // "pax_op 99", for logs and errors
//
// The names are those of xcom_vp.x, as printed by xcomdump and in the golden manifest.
#ifndef UXCOM_XDR_ENUMS_H_
#define UXCOM_XDR_ENUMS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

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
  kLastOp = 24,  // sentinel of the enumeration, never sent
};

// `cargo_type`: the discriminant of app_data's body (the app_u union, spec §3.3).
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
  kGetEventHorizonType = 21,   // from x_1_4
  kSetEventHorizonType = 22,   // from x_1_4
  kGetSynodeAppDataType = 23,  // from x_1_6
};

// `pax_msg_type`.
enum class PaxMsgType : int32_t { kNormal = 0, kNoOp = 1, kMultiNoOp = 2 };

// `cons_type`: consensus an app_data needs (cons_none is declared "not used").
enum class ConsType : int32_t { kConsMajority = 0, kConsAll = 1, kConsNone = 2 };

// `recover_action`.
enum class RecoverAction : int32_t { kRecBlock = 0, kRecDelay = 1, kRecSend = 2 };

// `client_reply_code`: pax_msg.cli_err.
enum class ClientReplyCode : int32_t { kRequestOk = 0, kRequestFail = 1, kRequestRetry = 2 };

// `start_t`: pax_msg.start_type (deprecated by XCom, still on the wire).
enum class StartType : int32_t { kIdle = 0, kBoot = 1, kRecover = 2 };

// `x_msg_type`: byte 8 of the frame header (spec §1.3). Only 0-2 exist in 8.0.18.
enum class MessageType : uint8_t { kNormal = 0, kVersionReq = 1, kVersionReply = 2 };

// The first protocol version whose peers know cargo `c` (spec §4.16): get/set_event_horizon
// arrived with x_1_4, get_synode_app_data with x_1_6; everything else (including values
// outside the enumeration, which every version decodes as a void arm) with x_1_0.
constexpr ProtocolVersion FirstVersionWithCargo(CargoType c) {
  switch (c) {
    case CargoType::kGetEventHorizonType:
    case CargoType::kSetEventHorizonType:
      return ProtocolVersion::kX1_4;
    case CargoType::kGetSynodeAppDataType:
      return ProtocolVersion::kX1_6;
    default:
      return ProtocolVersion::kX1_0;
  }
}

// Name tables. EnumTraits<E>::kNames[i] is the xcom_vp.x name of value i (the values of every
// enum here are dense from 0); kTypeName is the .x type name.
template <typename E>
struct EnumTraits;

#define UXCOM_XDR_ENUM_TRAITS(E, type_name, ...)                \
  template <>                                                   \
  struct EnumTraits<E> {                                        \
    static constexpr std::string_view kTypeName = type_name;    \
    static constexpr std::string_view kNames[] = {__VA_ARGS__}; \
  }

UXCOM_XDR_ENUM_TRAITS(PaxOp, "pax_op", "client_msg", "initial_op", "prepare_op", "ack_prepare_op",
                      "ack_prepare_empty_op", "accept_op", "ack_accept_op", "learn_op",
                      "recover_learn_op", "multi_prepare_op", "multi_ack_prepare_empty_op",
                      "multi_accept_op", "multi_ack_accept_op", "multi_learn_op", "skip_op",
                      "i_am_alive_op", "are_you_alive_op", "need_boot_op", "snapshot_op", "die_op",
                      "read_op", "gcs_snapshot_op", "xcom_client_reply", "tiny_learn_op",
                      "LAST_OP");
UXCOM_XDR_ENUM_TRAITS(CargoType, "cargo_type", "unified_boot_type", "xcom_boot_type",
                      "xcom_set_group", "xcom_recover", "app_type", "query_type", "query_next_log",
                      "exit_type", "reset_type", "begin_trans", "prepared_trans", "abort_trans",
                      "view_msg", "remove_reset_type", "add_node_type", "remove_node_type",
                      "enable_arbitrator", "disable_arbitrator", "force_config_type",
                      "x_terminate_and_exit", "set_cache_limit", "get_event_horizon_type",
                      "set_event_horizon_type", "get_synode_app_data_type");
UXCOM_XDR_ENUM_TRAITS(PaxMsgType, "pax_msg_type", "normal", "no_op", "multi_no_op");
UXCOM_XDR_ENUM_TRAITS(ConsType, "cons_type", "cons_majority", "cons_all", "cons_none");
UXCOM_XDR_ENUM_TRAITS(RecoverAction, "recover_action", "rec_block", "rec_delay", "rec_send");
UXCOM_XDR_ENUM_TRAITS(ClientReplyCode, "client_reply_code", "REQUEST_OK", "REQUEST_FAIL",
                      "REQUEST_RETRY");
UXCOM_XDR_ENUM_TRAITS(StartType, "start_t", "IDLE", "BOOT", "RECOVER");
UXCOM_XDR_ENUM_TRAITS(MessageType, "x_msg_type", "x_normal", "x_version_req", "x_version_reply");
UXCOM_XDR_ENUM_TRAITS(ProtocolVersion, "xcom_proto", "x_unknown_proto", "x_1_0", "x_1_1", "x_1_2",
                      "x_1_3", "x_1_4", "x_1_5", "x_1_6");

#undef UXCOM_XDR_ENUM_TRAITS

// The xcom_vp.x name of `e`, or nullopt for a value outside the 8.0.18 enumeration.
template <typename E>
constexpr std::optional<std::string_view> EnumName(E e) {
  using U = std::underlying_type_t<E>;
  const U v = static_cast<U>(e);
  constexpr size_t n = std::size(EnumTraits<E>::kNames);
  if constexpr (std::is_signed_v<U>) {
    if (v < 0) return std::nullopt;
  }
  if (static_cast<std::make_unsigned_t<U>>(v) >= n) return std::nullopt;
  return EnumTraits<E>::kNames[static_cast<size_t>(v)];
}

// The value named `name` (case-sensitive, as in xcom_vp.x), or nullopt.
template <typename E>
constexpr std::optional<E> EnumFromName(std::string_view name) {
  constexpr size_t n = std::size(EnumTraits<E>::kNames);
  for (size_t i = 0; i < n; ++i) {
    if (EnumTraits<E>::kNames[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

// The numeric wire value of `e`.
template <typename E>
constexpr std::underlying_type_t<E> EnumValue(E e) {
  return static_cast<std::underlying_type_t<E>>(e);
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
