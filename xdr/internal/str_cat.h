// String concatenation for error messages over std::string_view.
//
// Debian's Abseil is built with its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0),
// so absl::StrCat does not take std::string_view; the codec uses this instead.
#ifndef UXCOM_XDR_INTERNAL_STR_CAT_H_
#define UXCOM_XDR_INTERNAL_STR_CAT_H_

#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>

namespace uxcom::xdr::internal {

template <typename T>
void AppendPiece(std::string& out, const T& piece) {
  if constexpr (std::is_same_v<T, bool>) {
    out.append(piece ? "true" : "false");
  } else if constexpr (std::is_integral_v<T>) {
    out.append(std::to_string(piece));
  } else {
    out.append(std::string_view(piece));
  }
}

template <typename... Pieces>
std::string StrCat(const Pieces&... pieces) {
  std::string out;
  (AppendPiece(out, pieces), ...);
  return out;
}

template <typename... Pieces>
void StrAppend(std::string& out, const Pieces&... pieces) {
  (AppendPiece(out, pieces), ...);
}

}  // namespace uxcom::xdr::internal

#endif  // UXCOM_XDR_INTERNAL_STR_CAT_H_
