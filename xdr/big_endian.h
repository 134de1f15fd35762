// Big-endian (network byte order) loads and stores on unaligned byte buffers.
//
// XDR and the XCom frame header store every integer most significant byte first. These
// helpers compile to a single load/store plus a byte swap on little-endian machines and
// never touch memory outside [p, p + sizeof(T)).
//
//   std::byte header[12];
//   uxcom::xdr::StoreBigEndian32(header, 7);            // protocol x_1_6
//   uint32_t version = uxcom::xdr::LoadBigEndian32(header);
#ifndef UXCOM_XDR_BIG_ENDIAN_H_
#define UXCOM_XDR_BIG_ENDIAN_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace uxcom::xdr {

namespace internal {

template <typename T>
constexpr T ToBigEndian(T v) {
  if constexpr (std::endian::native == std::endian::big || sizeof(T) == 1) {
    return v;
  } else if constexpr (sizeof(T) == 2) {
    return static_cast<T>(__builtin_bswap16(v));
  } else if constexpr (sizeof(T) == 4) {
    return static_cast<T>(__builtin_bswap32(v));
  } else {
    static_assert(sizeof(T) == 8);
    return static_cast<T>(__builtin_bswap64(v));
  }
}

// Always inlined: these sit in the codec's innermost loops, where GCC's size heuristics would
// otherwise leave a call around a two-instruction body.
template <typename T>
[[gnu::always_inline]] inline T Load(const void* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return ToBigEndian(v);
}

template <typename T>
[[gnu::always_inline]] inline void Store(void* p, T v) {
  v = ToBigEndian(v);
  std::memcpy(p, &v, sizeof v);
}

}  // namespace internal

[[gnu::always_inline]] inline uint16_t LoadBigEndian16(const void* p) {
  return internal::Load<uint16_t>(p);
}
[[gnu::always_inline]] inline uint32_t LoadBigEndian32(const void* p) {
  return internal::Load<uint32_t>(p);
}
[[gnu::always_inline]] inline uint64_t LoadBigEndian64(const void* p) {
  return internal::Load<uint64_t>(p);
}

[[gnu::always_inline]] inline void StoreBigEndian16(void* p, uint16_t v) { internal::Store(p, v); }
[[gnu::always_inline]] inline void StoreBigEndian32(void* p, uint32_t v) { internal::Store(p, v); }
[[gnu::always_inline]] inline void StoreBigEndian64(void* p, uint64_t v) { internal::Store(p, v); }

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_BIG_ENDIAN_H_
