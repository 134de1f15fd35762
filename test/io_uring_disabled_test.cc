// kernel.io_uring_disabled=2 (kernel 6.6+: io_uring_setup fails with EPERM for every process,
// root included), the sysctl hardened hosts set: executors fall back to epoll, and a real tool
// (xcom_probe) works against a node.
//
// Root only; runs outside the sandbox, alone (tags "exclusive", "no-sandbox"; README, Tests).
// The setting is global: every process on the host loses io_uring while it is 2. So it is 2
// only while this test creates an executor and runs one xcom_probe (well under a second), and
// it is always restored: by this test, and by a guardian process that restores the original
// value as soon as the test's end of a pipe closes, even if the test is killed (SIGKILL).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/executor.h"
#include "net/stream.h"
#include "net/testing.h"
#include "test/process.h"

namespace uxcom::test {
namespace {

using namespace std::chrono_literals;
using net::testing::Need;
using net::testing::Skip;

constexpr char kSysctl[] = "/proc/sys/kernel/io_uring_disabled";

std::optional<std::string> ReadSysctl() {
  std::ifstream in(kSysctl);
  std::string value;
  if (!(in >> value)) return std::nullopt;
  return value;
}

bool WriteSysctl(const std::string& value) {
  int fd = ::open(kSysctl, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  ::close(fd);
  return ok;
}

// Sets the sysctl for its lifetime. A forked guardian holds the read end of a pipe whose
// write end only this process has: when this process ends, however it ends, the guardian
// reads EOF and writes the original value back.
class DisabledIoUring {
 public:
  explicit DisabledIoUring(std::string original) : original_(std::move(original)) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    guardian_ = ::fork();
    REQUIRE(guardian_ >= 0);
    if (guardian_ == 0) {
      ::close(fds[1]);
      char byte;
      while (::read(fds[0], &byte, 1) < 0 && errno == EINTR) {
      }
      WriteSysctl(original_);
      ::_exit(0);
    }
    ::close(fds[0]);
    guard_fd_ = fds[1];
    REQUIRE(WriteSysctl("2"));
  }
  ~DisabledIoUring() { Restore(); }

  // Restores the original value now; true when the sysctl reads it back.
  bool Restore() {
    if (guard_fd_ < 0) return ReadSysctl() == original_;
    bool written = WriteSysctl(original_);
    ::close(guard_fd_);  // the guardian restores too (idempotent) and exits
    guard_fd_ = -1;
    int status = 0;
    ::waitpid(guardian_, &status, 0);
    return written && ReadSysctl() == original_;
  }

 private:
  std::string original_;
  pid_t guardian_ = -1;
  int guard_fd_ = -1;
};

net::Task<bool> Echoes(net::Executor& ex) {
  absl::StatusOr<std::pair<net::Stream, net::Stream>> pair =
      co_await net::testing::ConnectedPair(ex);
  if (!pair.ok()) co_return false;
  const std::string ping = "ping";
  absl::Status wrote = co_await pair->first.Write(std::as_bytes(std::span(ping)));
  std::string got(ping.size(), '\0');
  absl::Status read = co_await pair->second.ReadExactly(std::as_writable_bytes(std::span(got)));
  co_return wrote.ok() && read.ok() && got == ping;
}

TEST_CASE("with kernel.io_uring_disabled=2 executors and xcom_probe run on epoll") {
  if (::geteuid() != 0) return Skip(Need::kRoot, "setting kernel.io_uring_disabled needs root");
  std::optional<std::string> original = ReadSysctl();
  if (!original) {
    return Skip(Need::kKernelFeature, "kernel.io_uring_disabled (kernel 6.6+) is missing");
  }
  // A node to probe, started first (on io_uring where the host allows it).
  uint16_t port = net::testing::ReservePort();
  const std::string address = "127.0.0.1:" + std::to_string(port);
  std::string node_binary = Runfile("xcom/tools/xcom_node");
  std::string probe_binary = Runfile("xcom/tools/xcom_probe");
  REQUIRE(!node_binary.empty());
  REQUIRE(!probe_binary.empty());
  std::string error;
  std::unique_ptr<Process> node =
      Process::Start("node", {node_binary, "--self=" + address, "--members=" + address}, &error,
                     {"UXCOM_BACKEND"});
  REQUIRE_MESSAGE(node != nullptr, error);
  std::optional<std::string> ready;
  while ((ready = node->ReadLine(Clock::now() + 20s))) {
    if (ready->find("\"event\":\"ready\"") != std::string::npos) break;
  }
  REQUIRE_MESSAGE(ready.has_value(), node->Transcript());

  std::vector<net::BackendChoice> reports;
  std::unique_ptr<Process> probe;
  std::optional<int> probe_status;
  absl::StatusOr<std::unique_ptr<net::Executor>> ex = absl::UnknownError("not created");
  {
    DisabledIoUring disabled(*original);
    CHECK(ReadSysctl() == "2");
    net::ExecutorOptions o;
    o.backend = net::BackendKind::kAuto;
    o.on_backend = [&](const net::BackendChoice& c) { reports.push_back(c); };
    unsetenv("UXCOM_BACKEND");
    ex = net::Executor::Create(o);
    probe = Process::Start("probe", {probe_binary, address, "--timeout=5s"}, &error);
    if (probe != nullptr) {
      probe->CloseStdin();
      probe_status = probe->Wait(Clock::now() + 10s);
    }
    CHECK(disabled.Restore());
  }
  CHECK(ReadSysctl() == original);
  REQUIRE_MESSAGE(probe != nullptr, error);
  REQUIRE_MESSAGE(ex.ok(), ex.status().ToString());
  CHECK((*ex)->backend() == net::BackendKind::kEpoll);
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].fell_back());
  CHECK_MESSAGE(reports[0].fallback_reason == "io_uring_setup: Operation not permitted (errno 1)",
                reports[0].fallback_reason);
  bool echoed = (*ex)->BlockOn(Echoes(**ex));
  CHECK(echoed);
  INFO(probe->Transcript());
  CHECK(DescribeStatus(probe_status) == "exit 0");
  std::optional<std::string> line = probe->ReadLine(Clock::now() + 5s);
  REQUIRE(line.has_value());
  CHECK(line->rfind(address + ": XCom protocol x_1_6 (7), negotiation round trip ", 0) == 0);
  node->Send("quit");
  std::optional<int> node_status = node->Wait(Clock::now() + 20s);
  CHECK_MESSAGE(DescribeStatus(node_status) == "exit 0", node->Transcript());
}

}  // namespace
}  // namespace uxcom::test
