#include "net/detail/errno_status.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace uxcom::net::detail {

absl::StatusCode ErrnoToCode(int error) {
  switch (error) {
    case ECONNRESET:
    case ECONNREFUSED:
    case EPIPE:
    case ECONNABORTED:
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
    case ENOTCONN:
    case ESHUTDOWN:
      return absl::StatusCode::kUnavailable;
    case ETIMEDOUT:
      return absl::StatusCode::kDeadlineExceeded;
    case ECANCELED:
      return absl::StatusCode::kCancelled;
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case ENOBUFS:
      return absl::StatusCode::kResourceExhausted;
    case EACCES:
    case EPERM:
      return absl::StatusCode::kPermissionDenied;
    case EADDRINUSE:
    case EADDRNOTAVAIL:
    case EALREADY:
    case EISCONN:
      return absl::StatusCode::kFailedPrecondition;
    case EINVAL:
    case EBADF:
    case ENOTSOCK:
    case EAFNOSUPPORT:
    case EOPNOTSUPP:
      return absl::StatusCode::kInvalidArgument;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::Status ErrnoStatus(int error, absl::string_view what) {
  char buf[128];
  const char* text = strerror_r(error, buf, sizeof buf);  // GNU variant
  return absl::Status(ErrnoToCode(error), absl::StrCat(what, ": ", text, " (errno ", error, ")"));
}

}  // namespace uxcom::net::detail
