#include "xdr/negotiation.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "test/vectors/golden_vectors.h"

namespace uxcom::xdr {
namespace {

std::vector<std::byte> AsVector(const std::array<std::byte, kFrameHeaderSize>& a) {
  return {a.begin(), a.end()};
}

TEST_CASE("requests and replies are the golden negotiation frames of every version") {
  for (uint32_t v = 1; v <= 7; ++v) {
    const ProtocolVersion version = static_cast<ProtocolVersion>(v);
    const std::string dir = "v1_" + std::to_string(v - 1) + "/";
    INFO("version ", v);
    CHECK(AsVector(FrameHeaderBytes(VersionRequest(version, kFirstNegotiationTag))) ==
          testing::ReadVector(dir + "neg_version_req_tag313.bin"));
    CHECK(AsVector(FrameHeaderBytes(
              VersionRequest(version, NextNegotiationTag(kFirstNegotiationTag)))) ==
          testing::ReadVector(dir + "neg_version_req_tag314.bin"));
    CHECK(AsVector(FrameHeaderBytes(VersionReply(version, kFirstNegotiationTag))) ==
          testing::ReadVector(dir + "neg_version_reply_tag313.bin"));
  }
}

TEST_CASE("tags start at 313 and wrap at 2^16") {
  CHECK(kFirstNegotiationTag == 313);
  CHECK(NextNegotiationTag(313) == 314);
  CHECK(NextNegotiationTag(65535) == 0);
}

TEST_CASE("the responder answers min(requested, own maximum), and 0 for 0") {
  using enum ProtocolVersion;
  CHECK(ChooseVersion(kUnknown) == kUnknown);
  CHECK(ChooseVersion(kX1_0) == kX1_0);
  CHECK(ChooseVersion(kX1_4) == kX1_4);
  CHECK(ChooseVersion(kX1_6) == kX1_6);
  CHECK(ChooseVersion(static_cast<ProtocolVersion>(9)) == kX1_6);
  CHECK(ChooseVersion(static_cast<ProtocolVersion>(0xFFFFFFFF)) == kX1_6);
  CHECK(ChooseVersion(kX1_6, /*own_max=*/kX1_4) == kX1_4);
}

TEST_CASE("the initiator accepts a matching reply, ignores another tag, fails on 0 or too high") {
  using enum ProtocolVersion;
  CHECK(EvaluateVersionReply(VersionReply(kX1_5, 400), 400) ==
        ReplyDecision{ReplyVerdict::kAccept, kX1_5});
  CHECK(EvaluateVersionReply(VersionReply(kX1_5, 399), 400).verdict == ReplyVerdict::kIgnore);
  CHECK(EvaluateVersionReply(VersionReply(kUnknown, 400), 400).verdict == ReplyVerdict::kFail);
  CHECK(EvaluateVersionReply(VersionReply(static_cast<ProtocolVersion>(8), 400), 400).verdict ==
        ReplyVerdict::kFail);
  CHECK(EvaluateVersionReply(VersionReply(kX1_6, 400), 400, /*own_max=*/kX1_5).verdict ==
        ReplyVerdict::kFail);
}

}  // namespace
}  // namespace uxcom::xdr
