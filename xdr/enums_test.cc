#include "xdr/enums.h"

#include <doctest/doctest.h>

#include "xdr/pax_msg.h"

namespace uxcom::xdr {
namespace {

TEST_CASE("every enumerator's name is its xcom_vp.x name") {
  CHECK(EnumName(PaxOp::kClientMsg) == "client_msg");
  CHECK(EnumName(PaxOp::kIAmAliveOp) == "i_am_alive_op");
  CHECK(EnumName(PaxOp::kTinyLearnOp) == "tiny_learn_op");
  CHECK(EnumName(static_cast<PaxOp>(24), Profile::k8_0_18) == "LAST_OP");
  CHECK(EnumName(PaxOp::kSynodeRequest, Profile::k8_0_39) == "synode_request");
  CHECK(EnumName(static_cast<PaxOp>(26), Profile::k8_0_39) == "LAST_OP");
  CHECK(EnumName(CargoType::kAppType) == "app_type");
  CHECK(EnumName(CargoType::kXTerminateAndExit) == "x_terminate_and_exit");
  CHECK(EnumName(CargoType::kGetSynodeAppDataType) == "get_synode_app_data_type");
  CHECK(EnumName(PaxMsgType::kMultiNoOp) == "multi_no_op");
  CHECK(EnumName(ConsType::kConsNone) == "cons_none");
  CHECK(EnumName(RecoverAction::kRecSend) == "rec_send");
  CHECK(EnumName(ClientReplyCode::kRequestRetry) == "REQUEST_RETRY");
  CHECK(EnumName(StartType::kRecover) == "RECOVER");
  CHECK(EnumName(MessageType::kVersionReply) == "x_version_reply");
  CHECK(EnumName(ProtocolVersion::kX1_5) == "x_1_5");
}

TEST_CASE("each release names its own enumeration (the manifests' names)") {
  using enum Profile;
  CHECK(EnumName(CargoType::kXcomRecover, k8_0_18) == "xcom_recover");
  CHECK_FALSE(EnumName(CargoType::kXcomRecover, k8_0_39).has_value());  // dropped
  CHECK_FALSE(EnumName(CargoType::kQueryType, k8_0_39).has_value());
  CHECK_FALSE(EnumName(ConsType::kConsNone, k8_0_39).has_value());
  CHECK_FALSE(EnumName(CargoType::kConvertIntoLocalServerType, k8_0_18).has_value());
  CHECK(EnumName(CargoType::kGetLeadersType, k8_0_39) == "get_leaders_type");
  CHECK(EnumName(ClientReplyCode::kRequestRedirect, k8_0_39) == "REQUEST_REDIRECT");
  CHECK_FALSE(EnumName(ClientReplyCode::kRequestRedirect, k8_0_18).has_value());
  CHECK_FALSE(EnumName(ProtocolVersion::kX1_7, k8_0_18).has_value());
  CHECK(EnumName(ProtocolVersion::kX1_7, k8_0_39) == "x_1_7");
  CHECK(EnumName(ReplyType::kLeaderInfo, k8_0_39) == "leader_info");
  // Without a profile: the newest name, else an older one (for logs).
  CHECK(EnumName(CargoType::kXcomRecover) == "xcom_recover");
  CHECK(EnumName(PaxOp::kSynodeRequest) == "synode_request");
  CHECK(EnumFromName<PaxOp>("LAST_OP", k8_0_18) == static_cast<PaxOp>(24));
  CHECK(EnumFromName<PaxOp>("LAST_OP") == static_cast<PaxOp>(26));
  CHECK_FALSE(EnumFromName<CargoType>("set_max_leaders", k8_0_18).has_value());
}

TEST_CASE("values outside every enumeration have no name but keep their value") {
  CHECK_FALSE(EnumName(static_cast<PaxOp>(27)).has_value());
  CHECK_FALSE(EnumName(static_cast<PaxOp>(-1)).has_value());
  CHECK_FALSE(EnumName(static_cast<CargoType>(28)).has_value());
  CHECK_FALSE(EnumName(static_cast<MessageType>(3)).has_value());
  CHECK(EnumValue(static_cast<CargoType>(255)) == 255);
  CHECK(DescribeEnum(static_cast<PaxOp>(99)) == "pax_op 99");
  CHECK(DescribeEnum(PaxOp::kLearnOp) == "learn_op (7)");
}

TEST_CASE("names parse back to their values, exactly") {
  CHECK(EnumFromName<CargoType>("view_msg") == CargoType::kViewMsg);
  CHECK(EnumFromName<StartType>("BOOT") == StartType::kBoot);
  CHECK_FALSE(EnumFromName<StartType>("boot").has_value());
  CHECK_FALSE(EnumFromName<PaxOp>("").has_value());
  for (int32_t v = 0; v <= 26; ++v) {
    CHECK(EnumFromName<PaxOp>(*EnumName(static_cast<PaxOp>(v))) == static_cast<PaxOp>(v));
  }
}

TEST_CASE("cargo types arrive with the versions of spec §4.16") {
  CHECK(FirstVersionWithCargo(CargoType::kAppType) == ProtocolVersion::kX1_0);
  CHECK(FirstVersionWithCargo(CargoType::kSetCacheLimit) == ProtocolVersion::kX1_0);
  CHECK(FirstVersionWithCargo(CargoType::kGetEventHorizonType) == ProtocolVersion::kX1_4);
  CHECK(FirstVersionWithCargo(CargoType::kSetEventHorizonType) == ProtocolVersion::kX1_4);
  CHECK(FirstVersionWithCargo(CargoType::kGetSynodeAppDataType) == ProtocolVersion::kX1_6);
  CHECK(FirstVersionWithCargo(CargoType::kSetMaxLeaders) == ProtocolVersion::kX1_9);
  CHECK(FirstVersionWithCargo(CargoType::kSetLeadersType) == ProtocolVersion::kX1_9);
  // Void arms read the same at every version (8.0.39 sends them at any version), and unknown
  // discriminants decode as void at every version, so any version can carry them.
  CHECK(FirstVersionWithCargo(CargoType::kGetLeadersType) == ProtocolVersion::kX1_0);
  CHECK(FirstVersionWithCargo(CargoType::kConvertIntoLocalServerType) == ProtocolVersion::kX1_0);
  CHECK(FirstVersionWithCargo(static_cast<CargoType>(28)) == ProtocolVersion::kX1_0);
}

TEST_CASE("each cargo type selects the app_u arm of spec §3.3") {
  using enum CargoType;
  for (CargoType c : {kUnifiedBootType, kXcomBootType, kXcomSetGroup, kAddNodeType, kRemoveNodeType,
                      kForceConfigType}) {
    CHECK(ArmOf(c) == AppArm::kNodes);
  }
  CHECK(ArmOf(kXcomRecover) == AppArm::kRep);
  CHECK(ArmOf(kXcomRecover, Profile::k8_0_39) == AppArm::kVoid);  // 8.0.39 dropped the arm
  CHECK(ArmOf(kSetMaxLeaders, Profile::k8_0_39) == AppArm::kMaxLeaders);
  CHECK(ArmOf(kSetLeadersType, Profile::k8_0_39) == AppArm::kLeaders);
  CHECK(ArmOf(kSetMaxLeaders) == AppArm::kVoid);  // 8.0.18 has no arm for it
  CHECK(ArmOf(kGetLeadersType, Profile::k8_0_39) == AppArm::kVoid);
  CHECK(ArmOf(kAppType) == AppArm::kData);
  CHECK(ArmOf(kPreparedTrans) == AppArm::kTd);
  CHECK(ArmOf(kAbortTrans) == AppArm::kTd);
  CHECK(ArmOf(kViewMsg) == AppArm::kPresent);
  CHECK(ArmOf(kSetCacheLimit) == AppArm::kCacheLimit);
  CHECK(ArmOf(kSetEventHorizonType) == AppArm::kEventHorizon);
  CHECK(ArmOf(kGetSynodeAppDataType) == AppArm::kSynodes);
  for (CargoType c :
       {kQueryType, kQueryNextLog, kExitType, kResetType, kBeginTrans, kRemoveResetType,
        kEnableArbitrator, kDisableArbitrator, kXTerminateAndExit, kGetEventHorizonType,
        static_cast<CargoType>(24), static_cast<CargoType>(-7)}) {
    CHECK(ArmOf(c) == AppArm::kVoid);
  }
}

TEST_CASE("AppU's factories keep the discriminant and the arm consistent") {
  CHECK(AppU{}.kind() == ArmOf(AppU{}.c_t));  // the all-zero C value: unified_boot, no nodes
  CHECK(AppU::App("x").kind() == AppArm::kData);
  CHECK(AppU::Nodes(CargoType::kAddNodeType, {}).kind() == AppArm::kNodes);
  CHECK(AppU::Recover({}).kind() == AppArm::kRep);
  CHECK(AppU::Trans(CargoType::kAbortTrans, {}).kind() == AppArm::kTd);
  CHECK(AppU::View({}).kind() == AppArm::kPresent);
  CHECK(AppU::CacheLimit(1).kind() == AppArm::kCacheLimit);
  CHECK(AppU::SetEventHorizon(10).kind() == AppArm::kEventHorizon);
  CHECK(AppU::GetSynodeAppData({}).kind() == AppArm::kSynodes);
  CHECK(AppU::Void(CargoType::kExitType).kind() == AppArm::kVoid);
  CHECK(AppU::SetMaxLeaders(2).kind() == AppArm::kMaxLeaders);
  CHECK(*AppU::SetMaxLeaders(2).Get<AppArm::kMaxLeaders>() == 2u);
  CHECK(AppU::SetLeaders({}).kind() == AppArm::kLeaders);
  CHECK(ArmName(AppArm::kLeaders) == "leaders");
  CHECK(ArmName(AppArm::kCacheLimit) == "cache_limit");
  CHECK(ArmName(AppArm::kVoid).empty());
}

}  // namespace
}  // namespace uxcom::xdr
