// What an accept error costs: one connection, or the listener until something changes.
//
// Linux hands a connection to accept() once the kernel finished its handshake; whatever goes
// wrong with that one connection afterwards (the peer reset it, a filter refused it, a network
// error was pending on it) must cost only that connection, and the next one is accepted at
// once. Errors of the listening socket itself, or of the process (out of descriptors, out of
// memory), are different: retrying at once would spin. Kept apart from the I/O so that it can
// be tested without sockets (listener_test.cc).
#ifndef UXCOM_NET_DETAIL_ACCEPT_ERRORS_H_
#define UXCOM_NET_DETAIL_ACCEPT_ERRORS_H_

namespace uxcom::net::detail {

enum class AcceptErrorKind {
  kRetry,           // EINTR: nothing happened, try again
  kConnectionLost,  // that connection is gone (accept(2)'s "network errors"), the next may be fine
  kOutOfDescriptors,  // EMFILE/ENFILE: the connection is still queued, shed it
  kListener,          // the listener or the process: report it, do not retry at once
};

// `error` is a positive errno returned by accept4 or an io_uring accept. (An error of the
// getpeername or setsockopt calls that follow on the new socket concerns that connection only.)
AcceptErrorKind ClassifyAcceptError(int error);

// EPERM may come from a filter refusing one connection (accept(2)) or from one refusing every
// accept (a seccomp policy, an LSM), which leaves the connection queued. This many in a row
// are taken for the latter and reported as a listener error instead of spinning.
inline constexpr int kMaxRefusalsInARow = 64;

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_ACCEPT_ERRORS_H_
