#include "net/detail/accept_errors.h"

#include <cerrno>

namespace uxcom::net::detail {

AcceptErrorKind ClassifyAcceptError(int error) {
  switch (error) {
    case EINTR:
      return AcceptErrorKind::kRetry;
    // The connection was taken off the queue and is gone: reset or aborted before we got
    // it, or a network error already pending on it (accept(2) lists these for TCP/IP).
    case ECONNABORTED:
    case ECONNRESET:
    case ETIMEDOUT:
    case EPROTO:
    case ENOPROTOOPT:
    case ENETDOWN:
    case ENETUNREACH:
    case EHOSTDOWN:
    case EHOSTUNREACH:
    case ENONET:
    case EOPNOTSUPP:
    case EPERM:  // "firewall rules forbid connection"; see kMaxRefusalsInARow
      return AcceptErrorKind::kConnectionLost;
    case EMFILE:
    case ENFILE:
      return AcceptErrorKind::kOutOfDescriptors;
    default:  // ENOBUFS, ENOMEM, EACCES (an LSM), EBADF, EINVAL, ENOTSOCK, ECANCELED, ...
      return AcceptErrorKind::kListener;
  }
}

}  // namespace uxcom::net::detail
