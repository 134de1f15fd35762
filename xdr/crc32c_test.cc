#include "xdr/crc32c.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

namespace uxcom::xdr {
namespace {

TEST_CASE("the standard check value: CRC-32C(\"123456789\") = 0xE3069283") {
  CHECK(Crc32c("123456789") == 0xE3069283u);
  CHECK(Crc32c("") == 0);
}

TEST_CASE("the table has the spot values of spec §8") {
  const auto& table = internal::Crc32cTable();
  CHECK(table[0] == 0);
  CHECK(table[1] == 0xF26B8303u);
  CHECK(table[128] == 0x82F63B78u);
  CHECK(table[255] == 0xAD7D5351u);
}

TEST_CASE("known vectors (RFC 3720 B.4): 32 zero bytes, 32 0xff bytes, 0..31") {
  std::string zeros(32, '\0'), ones(32, '\xff'), ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  CHECK(Crc32c(zeros) == 0x8A9136AAu);
  CHECK(Crc32c(ones) == 0x62A8AB43u);
  CHECK(Crc32c(ascending) == 0x46DD794Eu);
}

TEST_CASE("extending equals hashing the concatenation") {
  const std::string a = "hello, ", b = "world";
  const uint32_t whole = Crc32c(a + b);
  CHECK(ExtendCrc32c(Crc32c(a), {reinterpret_cast<const std::byte*>(b.data()), b.size()}) == whole);
}

TEST_CASE("the SSE4.2 and table paths agree on random inputs of every length and alignment") {
  if (!internal::Crc32cHardwareAvailable()) {
    MESSAGE("no SSE4.2 on this CPU: only the table path runs");
    return;
  }
  std::mt19937_64 rng(20191014);
  std::vector<std::byte> data(4096 + 16);
  for (auto& b : data) b = static_cast<std::byte>(rng());
  for (int trial = 0; trial < 2000; ++trial) {
    const size_t offset = rng() % 16;
    const size_t n = rng() % 4096;
    const uint32_t seed = static_cast<uint32_t>(rng());
    CHECK(internal::Crc32cUpdateSse42(seed, data.data() + offset, n) ==
          internal::Crc32cUpdatePortable(seed, data.data() + offset, n));
  }
}

}  // namespace
}  // namespace uxcom::xdr
