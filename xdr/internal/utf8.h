// UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
#ifndef UXCOM_XDR_INTERNAL_UTF8_H_
#define UXCOM_XDR_INTERNAL_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace uxcom::xdr::internal {

inline bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  auto cont = [&](size_t k) { return k < n && (static_cast<uint8_t>(s[k]) & 0xC0) == 0x80; };
  while (i < n) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
    } else if (c >= 0xC2 && c <= 0xDF) {
      if (!cont(i + 1)) return false;
      i += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      if (!cont(i + 1) || !cont(i + 2)) return false;
      const uint8_t c1 = static_cast<uint8_t>(s[i + 1]);
      if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F)) return false;
      i += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return false;
      const uint8_t c1 = static_cast<uint8_t>(s[i + 1]);
      if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F)) return false;
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace uxcom::xdr::internal

#endif  // UXCOM_XDR_INTERNAL_UTF8_H_
