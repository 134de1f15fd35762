// errno -> absl::Status with a message naming the operation, the socket and the error text.
//
//   ECONNRESET, ECONNREFUSED, EPIPE, ECONNABORTED, ENETUNREACH, EHOSTUNREACH, ENETDOWN,
//   EHOSTDOWN, ENOTCONN, ESHUTDOWN                        -> kUnavailable
//   ETIMEDOUT                                           -> kDeadlineExceeded
//   ECANCELED                                           -> kCancelled
//   EMFILE, ENFILE, ENOMEM, ENOBUFS                     -> kResourceExhausted
//   EACCES, EPERM                                       -> kPermissionDenied
//   EADDRINUSE, EADDRNOTAVAIL, EALREADY, EISCONN        -> kFailedPrecondition
//   EINVAL, EBADF, ENOTSOCK, EAFNOSUPPORT, EOPNOTSUPP   -> kInvalidArgument
//   anything else                                       -> kInternal
#ifndef UXCOM_NET_DETAIL_ERRNO_STATUS_H_
#define UXCOM_NET_DETAIL_ERRNO_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace uxcom::net::detail {

absl::StatusCode ErrnoToCode(int error);
// E.g. "recv fd 7 peer 127.0.0.1:4000: Connection reset by peer (errno 104)".
absl::Status ErrnoStatus(int error, absl::string_view what);

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_ERRNO_STATUS_H_
