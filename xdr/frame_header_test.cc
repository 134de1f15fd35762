#include "xdr/frame_header.h"

#include <doctest/doctest.h>

#include <array>
#include <vector>

namespace uxcom::xdr {
namespace {

std::array<std::byte, kFrameHeaderSize> Bytes12(std::initializer_list<int> v) {
  std::array<std::byte, kFrameHeaderSize> out{};
  size_t i = 0;
  for (int b : v) out[i++] = static_cast<std::byte>(b);
  return out;
}

TEST_CASE("a header is version, length, type, tag, unused byte: 12 bytes, big-endian") {
  const FrameHeader h = NormalFrameHeader(ProtocolVersion::kX1_6, 0x7c);
  // Spec §1.7: the minimal x_1_6 frame with a 124-byte body.
  CHECK(FrameHeaderBytes(h) == Bytes12({0, 0, 0, 7, 0, 0, 0, 0x7c, 0, 0, 0, 0}));
  CHECK(LoadFrameHeader(FrameHeaderBytes(h)) == h);
}

TEST_CASE("every byte pattern is a header, unknown values included") {
  const auto raw = Bytes12({0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff, 0xff, 9, 0xab, 0xcd, 0x5a});
  const FrameHeader h = LoadFrameHeader(raw);
  CHECK(ToWire(h.version) == 0xdeadbeef);
  CHECK(h.length == 0xffffffff);
  CHECK(static_cast<int>(h.type) == 9);
  CHECK(h.tag == 0xabcd);
  CHECK(h.unused == 0x5a);
  CHECK(FrameHeaderBytes(h) == raw);
}

TEST_CASE("only request and reply are negotiation frames") {
  CHECK_FALSE(IsNegotiation(MessageType::kNormal));
  CHECK(IsNegotiation(MessageType::kVersionReq));
  CHECK(IsNegotiation(MessageType::kVersionReply));
  CHECK_FALSE(IsNegotiation(static_cast<MessageType>(3)));
}

TEST_CASE("SetFrameTo stamps pax_msg.to, the first body word, and nothing else") {
  CHECK(kPaxMsgToOffset == 0);
  CHECK(kFrameToOffset == 12);
  std::vector<std::byte> frame(20, std::byte{0xee});
  SetFrameTo(frame, 0x01020304);
  CHECK(frame[11] == std::byte{0xee});
  CHECK(frame[12] == std::byte{1});
  CHECK(frame[15] == std::byte{4});
  CHECK(frame[16] == std::byte{0xee});
}

}  // namespace
}  // namespace uxcom::xdr
