// Automatic backend selection where io_uring is refused, for every way hosts refuse it.
//
// Each case forks a child that installs a seccomp filter refusing io_uring's syscalls the way
// a container runtime does (test/io_uring_refusal.h: Docker answers EPERM, other sandboxes
// ENOSYS; setup may also fail with ENOMEM or EINVAL; a filter may let io_uring_setup through
// and refuse io_uring_register or io_uring_enter only) and then creates executors there. The
// child reports what it saw through a pipe; the parent checks it and kills a child that hangs.
// (test/io_uring_refused_test.cc runs the real tools the same way.)
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/executor.h"
#include "net/stream.h"
#include "net/testing.h"
#include "net/timer.h"
#include "test/io_uring_refusal.h"

namespace uxcom::net {
namespace {

using namespace std::chrono_literals;
using uxcom::testing::IoUringRefusal;

struct ChildResult {
  std::string status;  // "exit 0", "signal 9", "timed out"
  std::string report;  // what the child wrote: empty when everything held
};

// Runs `body` in a forked child under `refusal`, with UXCOM_BACKEND unset (automatic
// selection). `body` returns "" when every expectation held, else what did not. A child still
// running after `timeout` is killed: a hang fails this test instead of the whole suite.
ChildResult RunRefused(const IoUringRefusal& refusal, const std::function<std::string()>& body,
                       std::chrono::seconds timeout = 20s) {
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  std::fflush(nullptr);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    unsetenv("UXCOM_BACKEND");
    absl::Status s = uxcom::testing::RefuseIoUring(refusal);
    std::string report = s.ok() ? body() : absl::StrCat("RefuseIoUring: ", s.message());
    ssize_t written = write(fds[1], report.data(), report.size());
    (void)written;
    _exit(report.empty() ? 0 : 1);
  }
  close(fds[1]);
  ChildResult result;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;  // EOF: the child is gone
    result.report.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.status = "timed out";
      return result;
    }
    std::this_thread::sleep_for(5ms);
  }
  result.status = WIFEXITED(status) ? absl::StrCat("exit ", WEXITSTATUS(status))
                                    : absl::StrCat("signal ", WTERMSIG(status));
  return result;
}

// The executor works: a loopback echo and a timer.
Task<std::string> EchoAndSleep(Executor& ex) {
  absl::StatusOr<std::pair<Stream, Stream>> pair = co_await testing::ConnectedPair(ex);
  if (!pair.ok()) co_return absl::StrCat("ConnectedPair: ", pair.status().ToString());
  const std::string ping = "ping over epoll";
  absl::Status wrote = co_await pair->first.Write(std::as_bytes(std::span(ping)));
  if (!wrote.ok()) co_return absl::StrCat("Write: ", wrote.ToString());
  std::string got(ping.size(), '\0');
  absl::Status read = co_await pair->second.ReadExactly(std::as_writable_bytes(std::span(got)));
  if (!read.ok()) co_return absl::StrCat("ReadExactly: ", read.ToString());
  if (got != ping) co_return "the echo came back altered: " + got;
  absl::Status slept = co_await Sleep(5ms);
  if (!slept.ok()) co_return absl::StrCat("Sleep: ", slept.ToString());
  co_return "";
}

// kAuto under the refusal: epoll runs, Create() reports one fallback whose reason names
// `syscall` and `error_text`, and the executor works.
std::string FallsBackToEpoll(const std::string& syscall, const std::string& error_text) {
  std::vector<BackendChoice> reports;
  ExecutorOptions o;
  o.on_backend = [&](const BackendChoice& c) { reports.push_back(c); };
  absl::StatusOr<std::unique_ptr<Executor>> ex = Executor::Create(o);
  if (!ex.ok()) return absl::StrCat("Create(kAuto) failed: ", ex.status().ToString());
  if ((*ex)->backend() != BackendKind::kEpoll) {
    return absl::StrCat("kAuto chose ", (*ex)->backend_description());
  }
  if (reports.size() != 1) return absl::StrCat(reports.size(), " backend reports, want 1");
  const BackendChoice& c = reports[0];
  if (!c.fell_back() || c.kind != BackendKind::kEpoll) return "not reported as a fallback";
  if (c.fallback_reason.find(syscall) == std::string::npos ||
      c.fallback_reason.find(error_text) == std::string::npos) {
    return absl::StrCat("fallback reason \"", c.fallback_reason, "\" does not name ", syscall,
                        " and \"", error_text, "\"");
  }
  if (c.ToString().find("backend epoll (") != 0) return "report: " + c.ToString();
  return (*ex)->BlockOn(EchoAndSleep(**ex));
}

// An explicit io_uring request (options, then UXCOM_BACKEND) fails cleanly: kUnavailable
// naming `syscall`, no executor, no crash.
std::string ExplicitUringFails(const std::string& syscall) {
  ExecutorOptions o;
  o.backend = BackendKind::kIoUring;
  absl::StatusOr<std::unique_ptr<Executor>> pinned = Executor::Create(o);
  setenv("UXCOM_BACKEND", "io_uring", 1);
  absl::StatusOr<std::unique_ptr<Executor>> by_env = Executor::Create();
  unsetenv("UXCOM_BACKEND");
  for (const auto* ex : {&pinned, &by_env}) {
    if (ex->ok()) return "io_uring was requested and Create() succeeded";
    if (!absl::IsUnavailable(ex->status()) ||
        ex->status().message().find(syscall) == std::string::npos) {
      return absl::StrCat("want kUnavailable naming ", syscall, ", got ", ex->status().ToString());
    }
  }
  return "";
}

std::string Both(const std::string& syscall, const std::string& error_text) {
  std::string fallback = FallsBackToEpoll(syscall, error_text);
  if (!fallback.empty()) return fallback;
  return ExplicitUringFails(syscall);
}

void CheckChild(const IoUringRefusal& refusal, const std::function<std::string()>& body) {
  ChildResult r = RunRefused(refusal, body);
  INFO("refused: ", refusal.ToString(), "; child: ", r.status, "; report: ", r.report);
  CHECK(r.status == "exit 0");
  CHECK(r.report.empty());
}

TEST_CASE("io_uring refused as Docker refuses it (EPERM from all three syscalls): epoll runs") {
  CheckChild({.error = EPERM}, [] { return Both("io_uring_setup", "Operation not permitted"); });
}

TEST_CASE("io_uring refused with ENOSYS (no such syscall, as gVisor answers): epoll runs") {
  CheckChild({.error = ENOSYS}, [] { return Both("io_uring_setup", "not implemented"); });
}

TEST_CASE("io_uring_setup failing with ENOMEM or EINVAL: epoll runs") {
  CheckChild({.error = ENOMEM, .enter = false, .reg = false},
             [] { return Both("io_uring_setup", "Cannot allocate memory"); });
  // EINVAL is also what a kernel answers to unknown setup flags: every set of flags is tried
  // in turn, and the last refusal is the one reported.
  CheckChild({.error = EINVAL, .enter = false, .reg = false},
             [] { return Both("io_uring_setup", "Invalid argument"); });
}

TEST_CASE("io_uring_setup allowed but io_uring_enter refused: found at Create, epoll runs") {
  // Before the probe, Create() succeeded here and the first Poll() spun on EPERM forever.
  CheckChild({.error = EPERM, .setup = false, .reg = false},
             [] { return Both("io_uring_enter", "Operation not permitted"); });
  CheckChild({.error = ENOSYS, .setup = false},  // enter and register refused
             [] { return Both("io_uring_enter", "not implemented"); });
}

TEST_CASE("io_uring_setup allowed but io_uring_register refused: found at Create, epoll runs") {
  CheckChild({.error = EPERM, .setup = false, .enter = false},
             [] { return Both("io_uring_register", "Operation not permitted"); });
}

// What `fn` writes to stderr (fd 2); `fn` returns "" or a problem, which goes to *problem.
std::string CaptureStderr(const std::function<std::string()>& fn, std::string* problem) {
  char path[] = "/tmp/uxcom_stderr_XXXXXX";
  int log = mkstemp(path);
  if (log < 0) {
    *problem = "mkstemp failed";
    return "";
  }
  unlink(path);
  std::fflush(stderr);
  int saved = dup(2);
  dup2(log, 2);
  *problem = fn();
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  std::string text(8192, '\0');
  ssize_t n = pread(log, text.data(), text.size(), 0);
  close(log);
  text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return text;
}

// Creates `n` executors with default options (no on_backend).
std::string CreateDefault(int n) {
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<std::unique_ptr<Executor>> ex = Executor::Create();
    if (!ex.ok()) return ex.status().ToString();
  }
  return "";
}

TEST_CASE("by default a fallback is said once per process, on one stderr line") {
  CheckChild({.error = EPERM}, [] {
    std::string problem;
    std::string text = CaptureStderr([] { return CreateDefault(3); }, &problem);
    if (!problem.empty()) return problem;
    // One line: "uxcom/net: backend epoll (...); io_uring unavailable: <reason>".
    const std::string reason =
        "; io_uring unavailable: io_uring_setup: Operation not permitted (errno 1)\n";
    const bool one_line = text.find('\n') == text.size() - 1;
    if (text.rfind("uxcom/net: backend epoll (", 0) != 0 || !one_line || !text.ends_with(reason)) {
      return absl::StrCat("stderr was \"", text, "\", want one line ending \"", reason, "\"");
    }
    return std::string();
  });
}

TEST_CASE("by default a routine choice of io_uring says nothing") {
  std::vector<BackendChoice> reports;
  ExecutorOptions o;
  o.on_backend = [&](const BackendChoice& c) { reports.push_back(c); };
  absl::StatusOr<std::unique_ptr<Executor>> probe = Executor::Create(o);
  REQUIRE(probe.ok());
  REQUIRE(reports.size() == 1);
  if (reports[0].fell_back()) {
    return testing::Skip(testing::Need::kIoUring,
                         "the silent io_uring choice: io_uring is refused here (" +
                             reports[0].fallback_reason + ")");
  }
  std::string problem;
  std::string text = CaptureStderr([] { return CreateDefault(2); }, &problem);
  CHECK(problem.empty());
  CHECK_MESSAGE(text.empty(), text);
}

TEST_CASE("an executor that fails half-built is destroyed cleanly (no descriptor for epoll)") {
  // io_uring refused, and no file descriptor left for epoll_create1: Create() fails with the
  // reason, destroying an executor that never got a backend.
  CheckChild({.error = EPERM}, [] {
    rlimit none{0, 0};
    if (setrlimit(RLIMIT_NOFILE, &none) != 0) return std::string("setrlimit failed");
    absl::StatusOr<std::unique_ptr<Executor>> ex = Executor::Create();
    if (ex.ok()) return std::string("Create() succeeded without a descriptor");
    if (ex.status().message().find("epoll_create1") == std::string::npos) {
      return absl::StrCat("error does not name epoll_create1: ", ex.status().ToString());
    }
    return std::string();
  });
}

}  // namespace
}  // namespace uxcom::net
