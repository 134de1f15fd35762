#include "test/io_uring_refusal.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace uxcom::testing {
namespace {

#if defined(__x86_64__)
constexpr uint32_t kNativeArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kNativeArch = AUDIT_ARCH_AARCH64;
#else
#error "RefuseIoUring: add this architecture's AUDIT_ARCH"
#endif

struct NamedErrno {
  const char* name;
  int value;
};
constexpr NamedErrno kErrnos[] = {{"EPERM", EPERM},
                                  {"EACCES", EACCES},
                                  {"ENOSYS", ENOSYS},
                                  {"ENOMEM", ENOMEM},
                                  {"EINVAL", EINVAL}};

const char* ErrnoName(int error) {
  for (const NamedErrno& e : kErrnos) {
    if (e.value == error) return e.name;
  }
  return "errno";
}

// The syscall fails with `error` now (the filter answered, not the kernel).
absl::Status ExpectRefused(const char* name, long rc, int error) {
  if (rc == -1 && errno == error) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("the seccomp filter is not in force: ", name,
                                          " returned ", rc, " errno ", errno, ", want ",
                                          ErrnoName(error)));
}

}  // namespace

std::string IoUringRefusal::ToString() const {
  std::string out;
  for (auto [on, name] : {std::pair{setup, "io_uring_setup"}, std::pair{enter, "io_uring_enter"},
                          std::pair{reg, "io_uring_register"}}) {
    if (on) absl::StrAppend(&out, out.empty() ? "" : "+", name);
  }
  return absl::StrCat(out.empty() ? "nothing" : out, " -> ", ErrnoName(error));
}

absl::Status RefuseIoUring(const IoUringRefusal& refusal) {
  const uint32_t answer = SECCOMP_RET_ERRNO | (static_cast<uint32_t>(refusal.error) & 0xffff);
  std::vector<sock_filter> program = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNativeArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),  // only native binaries run here
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
  };
  for (auto [on, nr] : {std::pair{refusal.setup, __NR_io_uring_setup},
                        std::pair{refusal.enter, __NR_io_uring_enter},
                        std::pair{refusal.reg, __NR_io_uring_register}}) {
    if (!on) continue;
    program.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1));
    program.push_back(BPF_STMT(BPF_RET | BPF_K, answer));
  }
  program.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  sock_fprog prog{static_cast<unsigned short>(program.size()), program.data()};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("prctl(PR_SET_NO_NEW_PRIVS): ", std::strerror(errno)));
  }
  if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("seccomp(SECCOMP_SET_MODE_FILTER): ", std::strerror(errno)));
  }
  // Prove the filter answers: each refused syscall, with arguments the kernel would accept
  // (setup) or answer with EBADF (enter, register on fd -1), must now fail with `error`.
  if (refusal.setup) {
    io_uring_params p{};
    long fd = syscall(__NR_io_uring_setup, 4, &p);
    if (fd >= 0) close(static_cast<int>(fd));
    if (absl::Status s = ExpectRefused("io_uring_setup", fd, refusal.error); !s.ok()) return s;
  }
  if (refusal.enter) {
    long rc = syscall(__NR_io_uring_enter, -1, 0, 0, 0, nullptr, 0);
    if (absl::Status s = ExpectRefused("io_uring_enter", rc, refusal.error); !s.ok()) return s;
  }
  if (refusal.reg) {
    long rc = syscall(__NR_io_uring_register, -1, 0, nullptr, 0);
    if (absl::Status s = ExpectRefused("io_uring_register", rc, refusal.error); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ParseErrnoName(absl::string_view name) {
  for (const NamedErrno& e : kErrnos) {
    if (name == e.name) return e.value;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown errno \"", name, "\": EPERM, EACCES, ENOSYS, ENOMEM or EINVAL"));
}

absl::Status ParseRefusedSyscalls(absl::string_view list, IoUringRefusal* refusal) {
  refusal->setup = refusal->enter = refusal->reg = false;
  for (absl::string_view name : absl::StrSplit(list, ',')) {
    if (name == "setup") {
      refusal->setup = true;
    } else if (name == "enter") {
      refusal->enter = true;
    } else if (name == "register") {
      refusal->reg = true;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown syscall \"", name, "\": setup, enter or register"));
    }
  }
  return absl::OkStatus();
}

}  // namespace uxcom::testing
