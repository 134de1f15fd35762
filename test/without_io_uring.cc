// without_io_uring: runs a program with io_uring refused, as Docker's default seccomp profile
// refuses it (test/io_uring_refusal.h), to test the automatic fallback to epoll for real.
//
//   without_io_uring [--refuse=setup,enter,register] [--errno=EPERM] [--unsetenv=NAME]...
//                    [--] PROGRAM [ARGS...]
//
//   --refuse    the syscalls refused (default: all three, as Docker does)
//   --errno     their error: EPERM (Docker, default), ENOSYS (gVisor-like), EACCES, ENOMEM, EINVAL
//   --unsetenv  removes a variable from the program's environment (e.g. UXCOM_BACKEND)
//
// Options end at "--" or at the first argument not starting with "--", so it also works as
// `bazel test --run_under=//test:without_io_uring //net:core_test`. The filter is verified
// before PROGRAM runs. Exit status: PROGRAM's; 64 usage, 70 the filter could not be installed,
// 127 PROGRAM could not be started.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "test/io_uring_refusal.h"

namespace {

// What follows the '=' of "--name=value".
absl::string_view Value(std::string_view arg) {
  std::string_view value = arg.substr(arg.find('=') + 1);
  return absl::string_view(value.data(), value.size());
}

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "without_io_uring: %s\n"
               "usage: without_io_uring [--refuse=setup,enter,register] [--errno=EPERM]\n"
               "                        [--unsetenv=NAME]... [--] PROGRAM [ARGS...]\n",
               why.c_str());
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  uxcom::testing::IoUringRefusal refusal;
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (!arg.starts_with("--")) break;
    if (arg.starts_with("--refuse=")) {
      absl::Status s = uxcom::testing::ParseRefusedSyscalls(Value(arg), &refusal);
      if (!s.ok()) return Usage(std::string(s.message()));
    } else if (arg.starts_with("--errno=")) {
      absl::StatusOr<int> e = uxcom::testing::ParseErrnoName(Value(arg));
      if (!e.ok()) return Usage(std::string(e.status().message()));
      refusal.error = *e;
    } else if (arg.starts_with("--unsetenv=")) {
      ::unsetenv(std::string(Value(arg)).c_str());
    } else {
      return Usage("unknown option " + std::string(arg));
    }
  }
  if (i >= argc) return Usage("no PROGRAM");
  absl::Status s = uxcom::testing::RefuseIoUring(refusal);
  if (!s.ok()) {
    std::fprintf(stderr, "without_io_uring: %s\n", std::string(s.message()).c_str());
    return 70;
  }
  ::execvp(argv[i], argv + i);
  std::fprintf(stderr, "without_io_uring: cannot run %s: %s\n", argv[i], std::strerror(errno));
  return 127;
}
