// CRC-32C (Castagnoli), as XCom's transport provides it (wire-format spec §8).
//
// Reflected polynomial 0x82F63B78, initial value 0xFFFFFFFF, final inversion: the standard
// CRC-32C, check value Crc32c("123456789") == 0xE3069283. 8.0.18 sends no checksum on the wire;
// the function is here because the original exports it. Computed with the SSE4.2 crc32
// instruction when the CPU has it, with a 256-entry table otherwise (same results).
//
//   uint32_t c = Crc32c(payload);
//   c = ExtendCrc32c(c, more);   // == Crc32c(payload + more)
#ifndef UXCOM_XDR_CRC32C_H_
#define UXCOM_XDR_CRC32C_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace uxcom::xdr {

// The CRC of `data` given the CRC of what preceded it (0 for nothing).
uint32_t ExtendCrc32c(uint32_t crc, std::span<const std::byte> data);

inline uint32_t Crc32c(std::span<const std::byte> data) { return ExtendCrc32c(0, data); }
inline uint32_t Crc32c(std::string_view data) {
  return Crc32c({reinterpret_cast<const std::byte*>(data.data()), data.size()});
}

namespace internal {

// table[i]: i shifted through 8 rounds of the reflected polynomial.
const std::array<uint32_t, 256>& Crc32cTable();

// Both paths work on the raw register (no initial or final inversion).
uint32_t Crc32cUpdatePortable(uint32_t state, const std::byte* data, size_t n);
// Only valid when Crc32cHardwareAvailable().
uint32_t Crc32cUpdateSse42(uint32_t state, const std::byte* data, size_t n);
bool Crc32cHardwareAvailable();

}  // namespace internal
}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_CRC32C_H_
