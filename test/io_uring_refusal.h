// Refusing io_uring the way hardened hosts do, for tests (testonly): a seccomp filter.
//
// Docker (>= 25) and containerd's default seccomp profiles answer io_uring_setup,
// io_uring_enter and io_uring_register with EPERM; other sandboxes answer ENOSYS; a kernel
// may also refuse setup with ENOMEM or EINVAL. A filter can also judge each syscall on its
// own, letting setup through and refusing the rest. RefuseIoUring() installs such a filter in
// the calling process (every thread, and every child it starts from then on), the way those
// hosts do: PR_SET_NO_NEW_PRIVS, then a BPF program returning SECCOMP_RET_ERRNO. It cannot be
// undone, so tests run it in a child process (test/without_io_uring.cc execs a program
// under it; net/backend_fallback_test.cc forks).
//
//   IoUringRefusal r{.error = ENOSYS};
//   absl::Status s = RefuseIoUring(r);   // then verified: each refused syscall fails so
#ifndef UXCOM_TEST_IO_URING_REFUSAL_H_
#define UXCOM_TEST_IO_URING_REFUSAL_H_

#include <cerrno>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace uxcom::testing {

struct IoUringRefusal {
  int error = EPERM;  // what each refused syscall fails with
  bool setup = true;  // io_uring_setup (425)
  bool enter = true;  // io_uring_enter (426)
  bool reg = true;    // io_uring_register (427)

  // "io_uring_setup+io_uring_enter+io_uring_register -> EPERM"
  std::string ToString() const;
};

// Installs the filter, then checks that each refused syscall now fails with `error`.
// kFailedPrecondition when seccomp is unavailable, kInternal when the check fails.
absl::Status RefuseIoUring(const IoUringRefusal& refusal);

// "EPERM" -> EPERM, for EPERM, EACCES, ENOSYS, ENOMEM, EINVAL; kInvalidArgument otherwise.
absl::StatusOr<int> ParseErrnoName(absl::string_view name);
// "setup,enter,register" (any subset, at least one) into `refusal`'s switches.
absl::Status ParseRefusedSyscalls(absl::string_view list, IoUringRefusal* refusal);

}  // namespace uxcom::testing

#endif  // UXCOM_TEST_IO_URING_REFUSAL_H_
