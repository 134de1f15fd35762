#include "xdr/big_endian.h"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>

namespace uxcom::xdr {
namespace {

TEST_CASE("a 32-bit store writes the most significant byte first") {
  std::array<unsigned char, 4> buf{};
  StoreBigEndian32(buf.data(), 0x01020304u);
  CHECK(buf == std::array<unsigned char, 4>{0x01, 0x02, 0x03, 0x04});
}

TEST_CASE("the XCom negotiation request for x_1_6 with tag 313 has the documented bytes") {
  // wire-format spec §1.7: 00 00 00 07 | 00 00 00 00 | 01 | 01 39 | 00
  std::array<unsigned char, 12> header{};
  StoreBigEndian32(&header[0], 7);
  StoreBigEndian32(&header[4], 0);
  header[8] = 1;
  StoreBigEndian16(&header[9], 313);
  CHECK(header == std::array<unsigned char, 12>{0, 0, 0, 7, 0, 0, 0, 0, 1, 0x01, 0x39, 0});
}

TEST_CASE("a 64-bit store is the high 32-bit word then the low word, each big-endian") {
  std::array<unsigned char, 8> buf{};
  StoreBigEndian64(buf.data(), 0x0011223344556677ull);
  CHECK(buf == std::array<unsigned char, 8>{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77});
  CHECK(LoadBigEndian32(&buf[0]) == 0x00112233u);
  CHECK(LoadBigEndian32(&buf[4]) == 0x44556677u);
}

TEST_CASE("loads invert stores at every alignment") {
  std::array<unsigned char, 16> buf{};
  for (std::size_t offset = 0; offset < 8; ++offset) {
    StoreBigEndian16(&buf[offset], 0xbeef);
    CHECK(LoadBigEndian16(&buf[offset]) == 0xbeef);
    StoreBigEndian32(&buf[offset], 0xdeadbeefu);
    CHECK(LoadBigEndian32(&buf[offset]) == 0xdeadbeefu);
    StoreBigEndian64(&buf[offset], 0xfedcba9876543210ull);
    CHECK(LoadBigEndian64(&buf[offset]) == 0xfedcba9876543210ull);
  }
}

TEST_CASE("stores touch exactly sizeof(T) bytes") {
  std::array<unsigned char, 10> buf;
  buf.fill(0xaa);
  StoreBigEndian64(&buf[1], 0);
  CHECK(buf[0] == 0xaa);
  CHECK(buf[9] == 0xaa);
  StoreBigEndian16(&buf[1], 0x0102);
  CHECK(buf[3] == 0);
}

}  // namespace
}  // namespace uxcom::xdr
