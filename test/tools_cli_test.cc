// The command-line manners of every tool, run as real processes: --help on stdout with exit 0,
// usage errors naming the flag with exit 64, SIGINT/SIGTERM ending in a final "stopped" record,
// xcom_node without stdin, and xcom_probe's one exit status per outcome (the worst winning).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "doctest/doctest.h"
#include "net/testing.h"
#include "nlohmann/json.hpp"
#include "test/process.h"

namespace uxcom::test {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

struct Result {
  std::string status;  // "exit 0", "signal 9", "running"
  std::vector<std::string> lines;
  std::string transcript;  // stdout and stderr, for messages
  bool has(std::string_view text) const { return transcript.find(text) != std::string::npos; }
};

std::string Tool(const char* path) {
  std::string binary = Runfile(path);
  REQUIRE_MESSAGE(!binary.empty(), path, " not found in the runfiles");
  return binary;
}

// Runs a tool to its end with stdin closed at once (or kept open with `keep_stdin`).
Result RunTool(std::vector<std::string> argv, std::chrono::seconds limit = 20s) {
  std::string error;
  std::unique_ptr<Process> p = Process::Start("tool", argv, &error);
  REQUIRE_MESSAGE(p != nullptr, error);
  p->CloseStdin();
  Result r;
  const Clock::time_point deadline = Clock::now() + limit;
  while (std::optional<std::string> line = p->ReadLine(deadline)) r.lines.push_back(*line);
  r.status = DescribeStatus(p->Wait(deadline));
  std::this_thread::sleep_for(100ms);  // the reader thread drains stderr after stdout's end
  r.transcript = p->Transcript();
  return r;
}

// Reads lines until one contains `text`; the line, or nullopt at the deadline.
std::optional<std::string> WaitForLine(Process& p, std::string_view text,
                                       std::chrono::seconds limit = 20s) {
  return p.ReadLineContaining(text, Clock::now() + limit);
}

// Waits until `p` blocks SIGINT and SIGTERM (its StopSignals is installed: a signal now asks
// it to stop rather than killing it). Startup may be slow (sanitizers, a loaded machine).
bool WaitUntilStoppable(Process& p, std::chrono::seconds limit = 20s) {
  const Clock::time_point deadline = Clock::now() + limit;
  const uint64_t wanted = (uint64_t{1} << (SIGINT - 1)) | (uint64_t{1} << (SIGTERM - 1));
  while (Clock::now() < deadline) {
    std::ifstream status("/proc/" + std::to_string(p.pid()) + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.starts_with("SigBlk:") &&
          (std::stoull(line.substr(7), nullptr, 16) & wanted) == wanted) {
        return true;
      }
    }
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

const char* kTools[] = {"xcom/tools/xcom_node", "xcom/tools/xcom_probe", "xcom/tools/xcom_cluster",
                        "xdr/tools/xcomdump"};

TEST_CASE("--help: usage on stdout, exit 0, for every tool") {
  for (const char* path : kTools) {
    INFO(path);
    Result r = RunTool({Tool(path), "--help"});
    CHECK(r.status == "exit 0");
    REQUIRE_FALSE(r.lines.empty());
    CHECK(r.lines[0].starts_with("usage: "));
    CHECK(r.has("Exit status"));
  }
}

TEST_CASE("a bad flag: the flag and the problem on stderr, exit 64, for every tool") {
  for (const char* path : kTools) {
    INFO(path);
    Result r = RunTool({Tool(path), "--bogus"});
    CHECK(r.status == "exit 64");
    CHECK(r.lines.empty());
    CHECK(r.has("--bogus: unknown flag"));
  }
  struct Case {
    const char* tool;
    std::vector<std::string> args;
    const char* message;
  };
  const Case cases[] = {
      {"xcom/tools/xcom_probe",
       {"--timeout=abc", "127.0.0.1:1"},
       "--timeout: 'abc' is not a duration"},
      {"xcom/tools/xcom_probe", {"127.0.0.1:0"}, "target: '127.0.0.1:0' is not HOST:PORT"},
      {"xcom/tools/xcom_probe", {"127.0.0.1:99999"}, "target: '127.0.0.1:99999'"},
      {"xcom/tools/xcom_probe", {"bare"}, "target: 'bare' is not HOST:PORT"},
      {"xcom/tools/xcom_probe", {""}, "target: '' is not HOST:PORT"},
      {"xcom/tools/xcom_probe", {}, "no target given"},
      {"xcom/tools/xcom_probe", {"--max_version=x_9_9", "a:1"}, "--max_version: 'x_9_9'"},
      {"xcom/tools/xcom_node",
       {"--self=127.0.0.1:1", "--members=127.0.0.1:1,nonsense"},
       "--members: 'nonsense' is not HOST:PORT"},
      {"xcom/tools/xcom_node",
       {"--self=127.0.0.1:1", "--members=127.0.0.1:2"},
       "--self: '127.0.0.1:1' is not one of --members"},
      {"xcom/tools/xcom_node",
       {"--self=127.0.0.1:1", "--members=127.0.0.1:1,127.0.0.1:1"},
       "is listed twice"},
      {"xcom/tools/xcom_node", {"--members=127.0.0.1:1"}, "--self: is required"},
      {"xcom/tools/xcom_node",
       {"--self=127.0.0.1:1", "--members=127.0.0.1:1", "--metrics=localhost:9464"},
       "--metrics: 'localhost:9464': the host must be a numeric IP address"},
      {"xcom/tools/xcom_cluster", {"--nodes=0"}, "--nodes: '0' is out of range [1, 100]"},
      {"xcom/tools/xcom_cluster", {"--payload=3"}, "--payload: '3' is out of range"},
      {"xcom/tools/xcom_cluster", {"--backend=dpdk"}, "--backend: 'dpdk' is not auto"},
      {"xcom/tools/xcom_cluster", {"--rate_fraction=2"}, "--rate_fraction: '2' is not a number"},
      {"xdr/tools/xcomdump", {"--op=nope"}, "--op: 'nope' is not one of"},
      {"xdr/tools/xcomdump", {"-i"}, "-i: needs a value"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {Tool(c.tool)};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    Result r = RunTool(argv);
    INFO(std::string(c.tool), " ", std::string(c.message), "\n", r.transcript);
    CHECK(r.status == "exit 64");
    CHECK(r.has(c.message));
  }
}

// --- xcom_node -----------------------------------------------------------------------------

struct NodeProcess {
  std::unique_ptr<Process> p;
  uint16_t port = 0;
};

NodeProcess StartNode(const std::vector<std::string>& extra = {}) {
  NodeProcess n;
  n.port = net::testing::ReservePort();
  const std::string self = "127.0.0.1:" + std::to_string(n.port);
  std::vector<std::string> argv = {Tool("xcom/tools/xcom_node"), "--self=" + self,
                                   "--members=" + self};
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::string error;
  n.p = Process::Start("xcom_node", argv, &error);
  REQUIRE_MESSAGE(n.p != nullptr, error);
  REQUIRE_MESSAGE(WaitForLine(*n.p, "\"event\":\"ready\""), n.p->Transcript());
  return n;
}

TEST_CASE("xcom_node: stdin closed (not a terminal) keeps it running; SIGTERM stops it") {
  NodeProcess n = StartNode();
  n.p->Send("help");
  std::optional<std::string> help = WaitForLine(*n.p, "\"event\":\"help\"");
  REQUIRE(help);
  CHECK(Json::parse(*help)["commands"].size() == 7);
  n.p->Send("send 2");
  REQUIRE(WaitForLine(*n.p, "\"event\":\"sent\""));
  n.p->CloseStdin();
  REQUIRE_MESSAGE(WaitForLine(*n.p, "\"event\":\"stdin_closed\""), n.p->Transcript());
  std::this_thread::sleep_for(300ms);
  CHECK_FALSE(n.p->Exited());  // still serving
  n.p->Kill(SIGTERM);
  std::optional<std::string> stopped = WaitForLine(*n.p, "\"event\":\"stopped\"");
  REQUIRE_MESSAGE(stopped, n.p->Transcript());
  const Json j = Json::parse(*stopped);
  CHECK(j["reason"] == "SIGTERM");
  CHECK(j["sent"] == 2);
  CHECK(j["delivered"] == 2);
  CHECK(DescribeStatus(n.p->Wait(Clock::now() + 10s)) == "exit 0");
}

TEST_CASE("xcom_node --stdin=false runs as a service; SIGINT stops it gracefully") {
  NodeProcess n = StartNode({"--stdin=false"});
  n.p->Send("quit");  // never read
  std::this_thread::sleep_for(300ms);
  CHECK_FALSE(n.p->Exited());
  n.p->Kill(SIGINT);
  std::optional<std::string> stopped = WaitForLine(*n.p, "\"event\":\"stopped\"");
  REQUIRE(stopped);
  CHECK(Json::parse(*stopped)["reason"] == "SIGINT");
  CHECK(DescribeStatus(n.p->Wait(Clock::now() + 10s)) == "exit 0");
}

TEST_CASE("xcom_node: one event per send command, even a bad one") {
  NodeProcess n = StartNode();
  n.p->Send("sendto 5 3");
  n.p->Send("sendto 0 2");
  n.p->Send("send x");
  n.p->Send("quit");
  std::vector<Json> events;
  while (std::optional<std::string> line = n.p->ReadLine(Clock::now() + 20s)) {
    events.push_back(Json::parse(*line));
  }
  std::vector<std::string> kinds;
  for (const Json& e : events) {
    if (e["event"] != "delivered" && !std::string(e["event"]).starts_with("peer")) {
      kinds.push_back(e["event"]);
    }
  }
  CHECK(kinds == std::vector<std::string>{"send_error", "sent", "error", "stopped"});
  CHECK(events[0]["message"] == "no node 5: the site has 1 nodes (0 … 0)");
  CHECK(DescribeStatus(n.p->Wait(Clock::now() + 10s)) == "exit 0");
}

TEST_CASE("xcom_node reports a lost peer without --verbose") {
  const uint16_t a = net::testing::ReservePort(), b = net::testing::ReservePort();
  const std::string members =
      "--members=127.0.0.1:" + std::to_string(a) + ",127.0.0.1:" + std::to_string(b);
  std::string error;
  std::unique_ptr<Process> pa = Process::Start(
      "node_a", {Tool("xcom/tools/xcom_node"), "--self=127.0.0.1:" + std::to_string(a), members},
      &error);
  std::unique_ptr<Process> pb = Process::Start(
      "node_b", {Tool("xcom/tools/xcom_node"), "--self=127.0.0.1:" + std::to_string(b), members},
      &error);
  REQUIRE(pa != nullptr);
  REQUIRE(pb != nullptr);
  pa->Send("send 1");  // makes A dial B
  REQUIRE_MESSAGE(WaitForLine(*pa, "\"event\":\"peer_connected\""), pa->Transcript());
  pb->Kill(SIGKILL);
  std::optional<std::string> lost = WaitForLine(*pa, "\"event\":\"peer_lost\"");
  REQUIRE_MESSAGE(lost, pa->Transcript());
  CHECK(Json::parse(*lost)["peer"] == "127.0.0.1:" + std::to_string(b));
  pa->Send("quit");
  CHECK(DescribeStatus(pa->Wait(Clock::now() + 10s)) == "exit 0");
}

// --- xcom_probe -----------------------------------------------------------------------------

// A TCP listener on loopback that does `what` with each connection, on its own thread.
class FakeServer {
 public:
  enum Behaviour { kCloseAtOnce, kGarbage, kSilent };
  explicit FakeServer(Behaviour b) : behaviour_(b) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    REQUIRE(listen(fd_, 8) == 0);
    thread_ = std::thread([this] {
      for (;;) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        if (behaviour_ == kGarbage) {
          (void)!write(c, "SSH-2.0-OpenSSH_9.2\r\n", 21);
        }
        if (behaviour_ == kSilent) {
          held_.push_back(c);
          continue;
        }
        close(c);
      }
    });
  }
  ~FakeServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    for (int c : held_) close(c);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  Behaviour behaviour_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::vector<int> held_;
};

TEST_CASE("xcom_probe: one exit status per outcome, the worst of several targets wins") {
  NodeProcess node = StartNode({"--stdin=false", "--max_version=x_1_9"});
  NodeProcess old = StartNode({"--stdin=false", "--max_version=x_1_4"});
  const std::string ok = "127.0.0.1:" + std::to_string(node.port);
  const std::string older = "127.0.0.1:" + std::to_string(old.port);
  const std::string refused = "127.0.0.1:" + std::to_string(net::testing::ReservePort());
  FakeServer closing(FakeServer::kCloseAtOnce), garbage(FakeServer::kGarbage),
      silent(FakeServer::kSilent);
  const std::string probe = Tool("xcom/tools/xcom_probe");

  Result r = RunTool({probe, "--json", ok, older});
  INFO(r.transcript);
  CHECK(r.status == "exit 0");
  REQUIRE(r.lines.size() == 2);
  const Json a = Json::parse(r.lines[0]), b = Json::parse(r.lines[1]);
  CHECK(a["outcome"] == "ok");
  CHECK(a["agreed"] == "x_1_9");
  CHECK(a["peer_max"].is_null());  // x_1_9 or newer: we offered our newest
  CHECK(b["agreed"] == "x_1_4");
  CHECK(b["peer_max"] == "x_1_4");
  CHECK(b["peer_speaks"] == "the peer's highest version is x_1_4");
  CHECK(b["round_trip_ms"]["count"] == 1);

  struct Case {
    std::vector<std::string> targets;
    std::vector<std::string> flags;
    const char* status;
  };
  const Case cases[] = {
      {{refused}, {}, "exit 1"},
      {{silent.address()}, {"--timeout=300ms"}, "exit 2"},
      {{closing.address()}, {}, "exit 3"},
      {{garbage.address()}, {}, "exit 3"},
      {{older}, {"--min_version=x_1_5"}, "exit 4"},
      {{ok, refused, closing.address()}, {}, "exit 3"},  // the worst wins
      {{ok, silent.address(), refused}, {"--timeout=300ms"}, "exit 2"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {probe};
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    argv.insert(argv.end(), c.targets.begin(), c.targets.end());
    Result run = RunTool(argv);
    INFO(run.transcript);
    CHECK(run.status == c.status);
    CHECK(run.lines.size() == c.targets.size());
  }
  node.p->Kill(SIGTERM);
  old.p->Kill(SIGTERM);
}

TEST_CASE("xcom_probe: SIGINT while a target hangs prints what answered and exits 130") {
  FakeServer silent(FakeServer::kSilent);
  std::string error;
  std::unique_ptr<Process> p = Process::Start(
      "xcom_probe", {Tool("xcom/tools/xcom_probe"), "--timeout=60s", silent.address()}, &error);
  REQUIRE(p != nullptr);
  REQUIRE(WaitUntilStoppable(*p));
  std::this_thread::sleep_for(300ms);  // connected, waiting for the answer
  p->Kill(SIGINT);
  std::optional<std::string> stopped = WaitForLine(*p, "stopped by SIGINT");
  CHECK_MESSAGE(stopped, p->Transcript());
  CHECK(DescribeStatus(p->Wait(Clock::now() + 10s)) == "exit 130");
}

// --- the executor backend line -------------------------------------------------------------

size_t Count(const std::string& text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_CASE("the backend chosen is printed only with --verbose (a fallback is said once)") {
  NodeProcess node = StartNode({"--stdin=false"});
  const std::string target = "127.0.0.1:" + std::to_string(node.port);
  const std::string probe = Tool("xcom/tools/xcom_probe");
  const std::string cluster = Tool("xcom/tools/xcom_cluster");
  // A routine choice prints nothing; where io_uring is refused here, the fallback to epoll is
  // the one line printed without --verbose.
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{probe, target},
        std::vector<std::string>{cluster, "--nodes=2", "--messages=50", "--paced_seconds=200ms"}}) {
    Result r = RunTool(argv);
    INFO(r.transcript);
    CHECK(r.status == "exit 0");
    CHECK(Count(r.transcript, "uxcom/net: backend io_uring") == 0);
    CHECK(Count(r.transcript, "uxcom/net: ") == Count(r.transcript, "io_uring unavailable"));
    CHECK(Count(r.transcript, "uxcom/net: ") <= 1);
  }
  // --verbose: the choice, on stderr (stdout keeps only the tool's records).
  Result r = RunTool({probe, "--verbose", "--json", target});
  INFO(r.transcript);
  CHECK(r.status == "exit 0");
  CHECK(Count(r.transcript, "uxcom/net: backend ") == 1);
  REQUIRE(r.lines.size() == 1);
  CHECK(Json::parse(r.lines[0])["outcome"] == "ok");
  NodeProcess verbose = StartNode({"--verbose"});
  verbose.p->Send("quit");
  CHECK(DescribeStatus(verbose.p->Wait(Clock::now() + 10s)) == "exit 0");
  std::this_thread::sleep_for(100ms);  // stderr drained
  CHECK_MESSAGE(Count(verbose.p->Transcript(), "uxcom/net: backend ") == 1,
                verbose.p->Transcript());
  node.p->Kill(SIGTERM);
}

// --- xcom_cluster and xcomdump ------------------------------------------------------------

TEST_CASE("xcom_cluster: SIGTERM stops the run, prints the totals, exits 143") {
  std::string error;
  std::unique_ptr<Process> p = Process::Start(
      "xcom_cluster", {Tool("xcom/tools/xcom_cluster"), "--messages=100000000", "--timeout=60s"},
      &error);
  REQUIRE(p != nullptr);
  REQUIRE(WaitForLine(*p, "uxcom xcom_cluster:"));
  std::this_thread::sleep_for(500ms);
  p->Kill(SIGTERM);
  CHECK_MESSAGE(WaitForLine(*p, "stopped by SIGTERM: delivered"), p->Transcript());
  CHECK(DescribeStatus(p->Wait(Clock::now() + 20s)) == "exit 143");
}

TEST_CASE("xcomdump: SIGINT while it waits on a silent pipe ends with a stopped record") {
  std::string error;
  std::unique_ptr<Process> p = Process::Start("xcomdump", {Tool("xdr/tools/xcomdump")}, &error);
  REQUIRE(p != nullptr);
  REQUIRE(WaitUntilStoppable(*p));
  std::this_thread::sleep_for(100ms);  // and blocked reading its silent stdin
  p->Kill(SIGINT);
  std::optional<std::string> stopped = WaitForLine(*p, "\"stopped\"", 10s);
  REQUIRE_MESSAGE(stopped, p->Transcript());
  CHECK(Json::parse(*stopped)["stopped"]["signal"] == "SIGINT");
  CHECK(DescribeStatus(p->Wait(Clock::now() + 10s)) == "exit 0");
}

}  // namespace
}  // namespace uxcom::test
