// Helpers shared by the codec's tests.
#ifndef UXCOM_XDR_INTERNAL_TEST_UTIL_H_
#define UXCOM_XDR_INTERNAL_TEST_UTIL_H_

#include <cstddef>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "xdr/pax_msg.h"

namespace uxcom::xdr::testing {

// {0, 0, 0, 7} as bytes.
inline std::vector<std::byte> ByteVector(std::initializer_list<int> bytes) {
  std::vector<std::byte> out;
  for (int b : bytes) out.push_back(static_cast<std::byte>(b));
  return out;
}

// "00 00 00 7c | 12 34" as bytes: pairs of lowercase hex digits, anything else ignored.
inline std::vector<std::byte> HexBytes(std::string_view hex) {
  std::vector<std::byte> out;
  int nibbles = 0, value = 0;
  for (char c : hex) {
    const int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) continue;
    value = value * 16 + d;
    if (++nibbles == 2) {
      out.push_back(static_cast<std::byte>(value));
      nibbles = value = 0;
    }
  }
  return out;
}

// A message with every field some version requires (delivered_msg, event_horizon), so that it
// encodes at every version; tests change one thing at a time.
inline PaxMsg CompleteMsg() { return PaxMsg{.delivered_msg = SynodeNo{}, .event_horizon = 10}; }

}  // namespace uxcom::xdr::testing

#endif  // UXCOM_XDR_INTERNAL_TEST_UTIL_H_
