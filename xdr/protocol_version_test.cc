#include "xdr/protocol_version.h"

#include <doctest/doctest.h>

#include <string>

#include "absl/status/statusor.h"
#include "xdr/profile.h"

namespace uxcom::xdr {
namespace {

TEST_CASE("the enumeration has MySQL 8.0.39's values: 0 unknown, x_1_0 = 1 … x_1_9 = 10") {
  CHECK(ToWire(ProtocolVersion::kUnknown) == 0);
  CHECK(ToWire(ProtocolVersion::kX1_0) == 1);
  CHECK(ToWire(ProtocolVersion::kX1_3) == 4);
  CHECK(ToWire(ProtocolVersion::kX1_6) == 7);
  CHECK(ToWire(ProtocolVersion::kX1_7) == 8);
  CHECK(ToWire(ProtocolVersion::kX1_9) == 10);
  CHECK(kMinProtocolVersion == ProtocolVersion::kX1_0);
  CHECK(kNewestProtocolVersion == ProtocolVersion::kX1_9);
  // MySQL 8.0.18's maximum stays the default of what behaves like a member.
  CHECK(kMaxProtocolVersion == ProtocolVersion::kX1_6);
}

TEST_CASE("only x_1_0 … x_1_9 have a body layout") {
  CHECK_FALSE(IsSupported(ProtocolVersion::kUnknown));
  for (uint32_t v = 1; v <= 10; ++v) CHECK(IsSupported(static_cast<ProtocolVersion>(v)));
  CHECK_FALSE(IsSupported(static_cast<ProtocolVersion>(11)));
  CHECK_FALSE(IsSupported(static_cast<ProtocolVersion>(0xFFFFFFFF)));
}

TEST_CASE("the version matrix of spec §5.2") {
  using enum ProtocolVersion;
  CHECK_FALSE(CarriesNodeProtoRange(kX1_0));
  CHECK(CarriesNodeProtoRange(kX1_1));
  CHECK_FALSE(CarriesDeliveredMsg(kX1_1));
  CHECK(CarriesDeliveredMsg(kX1_2));
  CHECK(CarriesDeliveredMsg(kX1_3));
  CHECK_FALSE(CarriesEventHorizon(kX1_3));
  CHECK(CarriesEventHorizon(kX1_4));
  CHECK(CarriesEventHorizon(kX1_5));
  CHECK_FALSE(CarriesRequestedSynodeAppData(kX1_5));
  CHECK(CarriesRequestedSynodeAppData(kX1_6));
  CHECK_FALSE(CarriesLeaders(kX1_8));
  CHECK(CarriesLeaders(kX1_9));
}

TEST_CASE("names are those of xcom_vp.x; other values have none") {
  CHECK(ProtocolVersionName(ProtocolVersion::kUnknown) == "x_unknown_proto");
  CHECK(ProtocolVersionName(ProtocolVersion::kX1_4) == "x_1_4");
  CHECK(ProtocolVersionName(ProtocolVersion::kX1_9) == "x_1_9");
  CHECK_FALSE(ProtocolVersionName(static_cast<ProtocolVersion>(11)).has_value());
  CHECK(DescribeProtocolVersion(ProtocolVersion::kX1_6) == "x_1_6 (7)");
  CHECK(DescribeProtocolVersion(ProtocolVersion::kX1_8) == "x_1_8 (9)");
  CHECK(DescribeProtocolVersion(static_cast<ProtocolVersion>(11)) == "unknown protocol version 11");
}

TEST_CASE("a version parses from its name or its number") {
  CHECK(ParseProtocolVersion("x_1_2") == ProtocolVersion::kX1_2);
  CHECK(ParseProtocolVersion("7") == ProtocolVersion::kX1_6);
  CHECK(ParseProtocolVersion("12") == static_cast<ProtocolVersion>(12));
  CHECK_FALSE(ParseProtocolVersion("").has_value());
  CHECK(ParseProtocolVersion("x_1_9") == ProtocolVersion::kX1_9);
  CHECK_FALSE(ParseProtocolVersion("x_1_10").has_value());
  CHECK_FALSE(ParseProtocolVersion("7a").has_value());
  CHECK_FALSE(ParseProtocolVersion("-1").has_value());
}

TEST_CASE("runtime dispatch hands the compile-time version to the callable") {
  for (uint32_t v = 1; v <= 10; ++v) {
    absl::StatusOr<uint32_t> seen = DispatchProtocolVersion(
        static_cast<ProtocolVersion>(v),
        [](auto version) -> absl::StatusOr<uint32_t> { return ToWire(version.value); });
    REQUIRE(seen.ok());
    CHECK(*seen == v);
  }
}

TEST_CASE("runtime dispatch refuses versions without a layout, naming them") {
  for (uint32_t v : {0u, 11u, 0xFFFFFFFFu}) {
    bool called = false;
    absl::Status s = DispatchProtocolVersion(static_cast<ProtocolVersion>(v), [&](auto) {
      called = true;
      return absl::OkStatus();
    });
    CHECK_FALSE(called);
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(s.message()).find("x_1_0 (1) through x_1_9 (10)") != std::string::npos);
  }
  CHECK(std::string(UnsupportedVersionError(static_cast<ProtocolVersion>(11)).message())
            .starts_with("unknown protocol version 11"));
}

TEST_CASE("profiles: 8.0.18's and 8.0.39's rules, and newer versions get the newer rules") {
  using enum ProtocolVersion;
  CHECK(RulesOf(Profile::k8_0_18).max_blob_bytes == 1024);
  CHECK(RulesOf(Profile::k8_0_39).max_blob_bytes == 10'000'000);
  CHECK(RulesOf(Profile::k8_0_18).max_configs == 100);
  CHECK(RulesOf(Profile::k8_0_39).max_configs == 1024);
  CHECK(RulesOf(Profile::k8_0_18).normal_frame_tag == 0);
  CHECK(RulesOf(Profile::k8_0_39).normal_frame_tag == 666);
  CHECK(EffectiveProfile(Profile::k8_0_18, kX1_6) == Profile::k8_0_18);
  CHECK(EffectiveProfile(Profile::k8_0_18, kX1_7) == Profile::k8_0_39);
  CHECK(EffectiveProfile(Profile::k8_0_39, kX1_0) == Profile::k8_0_39);
  CHECK(ProfileMatters(kX1_6));
  CHECK_FALSE(ProfileMatters(kX1_7));
  CHECK(ParseProfile("8.0.39") == Profile::k8_0_39);
  CHECK(ProfileName(Profile::k8_0_18) == "8.0.18");
  CHECK_FALSE(ParseProfile("8.0").has_value());
  CHECK(kDefaultProfile == Profile::k8_0_18);
}

}  // namespace
}  // namespace uxcom::xdr
