// The real programs on a host that refuses io_uring: each runs under test/without_io_uring
// (a seccomp filter answering io_uring_setup/enter/register as Docker's default profile does,
// EPERM, or with ENOSYS, or refusing only enter or register after setup succeeded) and must
// work on epoll, automatically:
//   - xcom_cluster delivers every message (its banner names the backend that ran);
//   - xcom_node serves, and xcom_probe negotiates with it, under every refusal;
//   - net/stream_test's loopback echo passes, saying once on stderr that io_uring is
//     unavailable;
//   - an io_uring test variant (net/core_test with UXCOM_BACKEND=io_uring) is reported as
//     skipped (test/skip.h), never as passed on epoll.
// Each program is a data dependency, found through the runfiles; every wait has a deadline.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "net/testing.h"
#include "test/process.h"

namespace uxcom::test {
namespace {

using namespace std::chrono_literals;

struct Refusal {
  const char* errno_name;
  const char* syscalls;
};
// Every refusal: Docker's, ENOSYS, setup failing with ENOMEM/EINVAL, setup allowed and then
// enter or register refused.
constexpr Refusal kRefusals[] = {
    {"EPERM", "setup,enter,register"},
    {"ENOSYS", "setup,enter,register"},
    {"ENOMEM", "setup"},
    {"EINVAL", "setup"},
    {"EPERM", "enter,register"},
    {"EPERM", "enter"},
    {"ENOSYS", "register"},
};

std::string Describe(const Refusal& r) { return std::string(r.syscalls) + " -> " + r.errno_name; }

// What a finished child printed.
struct Run {
  std::optional<int> status;
  std::vector<std::string> lines;  // stdout
  std::string transcript;          // stdout and stderr, for failure messages
};

std::string Tool(const char* path) {
  std::string binary = Runfile(path);
  REQUIRE_MESSAGE(!binary.empty(), path, " not found in the runfiles");
  return binary;
}

// `program args` under `refusal`, with automatic backend selection (UXCOM_BACKEND unset), run
// to the end or killed at `timeout`.
Run RunRefused(const Refusal& refusal, std::vector<std::string> program,
               std::chrono::seconds timeout = 20s,
               std::vector<std::string> unset_env = {"UXCOM_BACKEND"}) {
  std::vector<std::string> argv = {Tool("test/without_io_uring"),
                                   std::string("--refuse=") + refusal.syscalls,
                                   std::string("--errno=") + refusal.errno_name, "--"};
  argv.insert(argv.end(), program.begin(), program.end());
  std::string error;
  std::unique_ptr<Process> p = Process::Start("refused", argv, &error, unset_env);
  REQUIRE_MESSAGE(p != nullptr, error);
  p->CloseStdin();
  Run run;
  Clock::time_point deadline = Clock::now() + timeout;
  while (std::optional<std::string> line = p->ReadLine(deadline)) run.lines.push_back(*line);
  run.status = p->Wait(deadline);
  run.transcript = p->Transcript();
  for (const std::string& l : run.lines) run.transcript += "  | " + l + "\n";
  return run;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

bool AnyLineStartsWith(const Run& run, const std::string& prefix) {
  for (const std::string& l : run.lines) {
    if (l.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST_CASE("xcom_cluster delivers everything on epoll where io_uring is refused") {
  // Docker's EPERM, ENOSYS, and a filter that lets setup through and refuses enter (before
  // Create() probed it, the cluster's executors spun on EPERM until the tool's timeout).
  for (const Refusal& r : {kRefusals[0], kRefusals[1], kRefusals[5]}) {
    CAPTURE(Describe(r));
    Run run = RunRefused(
        r, {Tool("xcom/tools/xcom_cluster"), "--nodes=3", "--messages=500", "--timeout=15s"});
    INFO(run.transcript);
    CHECK(DescribeStatus(run.status) == "exit 0");
    CHECK(AnyLineStartsWith(run, "uxcom xcom_cluster: 3 nodes on loopback (epoll ("));
    REQUIRE_FALSE(run.lines.empty());
    CHECK(run.lines.back() == "delivered 4500/4500");
  }
}

TEST_CASE("xcom_node serves and xcom_probe negotiates under every refusal of io_uring") {
  // The node runs under Docker's refusal for the whole test; a probe runs under each.
  uint16_t port = net::testing::ReservePort();
  const std::string address = "127.0.0.1:" + std::to_string(port);
  std::vector<std::string> argv = {Tool("test/without_io_uring"), "--unsetenv=UXCOM_BACKEND",
                                   Tool("xcom/tools/xcom_node"), "--self=" + address,
                                   "--members=" + address};
  std::string error;
  std::unique_ptr<Process> node = Process::Start("node", argv, &error);
  REQUIRE_MESSAGE(node != nullptr, error);
  std::optional<std::string> ready;
  while ((ready = node->ReadLine(Clock::now() + 20s))) {
    if (ready->find("\"event\":\"ready\"") != std::string::npos) break;
  }
  REQUIRE_MESSAGE(ready.has_value(), "xcom_node never got ready\n", node->Transcript());
  for (const Refusal& r : kRefusals) {
    CAPTURE(Describe(r));
    Run run = RunRefused(r, {Tool("xcom/tools/xcom_probe"), address, "--timeout=10s"});
    INFO(run.transcript);
    CHECK(DescribeStatus(run.status) == "exit 0");
    REQUIRE(run.lines.size() == 1);
    CHECK(run.lines[0].rfind(address + ": XCom protocol x_1_6 (7), negotiation round trip ", 0) ==
          0);
    CHECK(Count(run.transcript, "io_uring unavailable") <= 1);  // at most once, if at all
  }
  node->Send("quit");
  std::optional<int> status = node->Wait(Clock::now() + 20s);
  CHECK_MESSAGE(DescribeStatus(status) == "exit 0", node->Transcript());
}

TEST_CASE("a stream echo passes on epoll where io_uring is refused, which is said once") {
  for (const Refusal& r : {kRefusals[0], kRefusals[1], kRefusals[6]}) {
    CAPTURE(Describe(r));
    Run run = RunRefused(r, {Tool("net/stream_test"),
                             "--test-case=echo over loopback returns every message intact"});
    INFO(run.transcript);
    CHECK(DescribeStatus(run.status) == "exit 0");
    CHECK(AnyLineStartsWith(run, "[doctest] test cases:   1 |   1 passed | 0 failed |"));
    CHECK(Count(run.transcript, "uxcom/net: backend epoll (") == 1);
    CHECK(Count(run.transcript, "io_uring unavailable") == 1);
  }
}

TEST_CASE("an io_uring test variant where io_uring is refused is skipped, not passed") {
  // net/core_test as its io_uring variant runs it (UXCOM_BACKEND=io_uring), its skip recorded
  // where Bazel would collect it.
  std::filesystem::path annotations =
      std::filesystem::temp_directory_path() / ("uxcom_annotations_" + std::to_string(getpid()));
  std::filesystem::create_directories(annotations);
  setenv("UXCOM_BACKEND", "io_uring", 1);
  setenv("TEST_UNDECLARED_OUTPUTS_ANNOTATIONS_DIR", annotations.c_str(), 1);
  Run run = RunRefused(kRefusals[0], {Tool("net/core_test")}, 20s, /*unset_env=*/{});
  unsetenv("UXCOM_BACKEND");
  unsetenv("TEST_UNDECLARED_OUTPUTS_ANNOTATIONS_DIR");
  INFO(run.transcript);
  CHECK(DescribeStatus(run.status) == "exit 0");
  CHECK(Count(run.transcript, "[uxcom] SKIPPED (io_uring): ") == 1);
  CHECK(Count(run.transcript, "passed") == 0);  // doctest never ran a test case
  std::ifstream in(annotations / "uxcom_skip.part");
  std::stringstream recorded;
  recorded << in.rdbuf();
  CHECK(recorded.str().rfind("uxcom-skip io_uring ", 0) == 0);
  CHECK(Count(recorded.str(), "io_uring_setup: Operation not permitted") == 1);
  std::filesystem::remove_all(annotations);
}

}  // namespace
}  // namespace uxcom::test
