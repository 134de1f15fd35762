#include "xdr/crc32c.h"

#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace uxcom::xdr {
namespace internal {
namespace {

constexpr uint32_t kPolynomial = 0x82F63B78;  // 0x1EDC6F41 reflected

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int round = 0; round < 8; ++round) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = MakeTable();

}  // namespace

const std::array<uint32_t, 256>& Crc32cTable() { return kTable; }

uint32_t Crc32cUpdatePortable(uint32_t state, const std::byte* data, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    state = kTable[(state ^ static_cast<uint8_t>(data[i])) & 0xFF] ^ (state >> 8);
  }
  return state;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t Crc32cUpdateSse42(uint32_t state, const std::byte* data,
                                                             size_t n) {
  uint64_t c = state;
  for (; n >= 8; n -= 8, data += 8) {
    uint64_t word;
    std::memcpy(&word, data, 8);
    c = _mm_crc32_u64(c, word);
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; n > 0; --n, ++data) c32 = _mm_crc32_u8(c32, static_cast<uint8_t>(*data));
  return c32;
}

bool Crc32cHardwareAvailable() {
  static const bool available = __builtin_cpu_supports("sse4.2");
  return available;
}
#else
uint32_t Crc32cUpdateSse42(uint32_t state, const std::byte* data, size_t n) {
  return Crc32cUpdatePortable(state, data, n);
}
bool Crc32cHardwareAvailable() { return false; }
#endif

}  // namespace internal

uint32_t ExtendCrc32c(uint32_t crc, std::span<const std::byte> data) {
  // Chosen once: the CPU does not change under a running process.
  static const auto update = internal::Crc32cHardwareAvailable() ? &internal::Crc32cUpdateSse42
                                                                 : &internal::Crc32cUpdatePortable;
  return ~update(~crc, data.data(), data.size());
}

}  // namespace uxcom::xdr
