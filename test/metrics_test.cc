// xcom_node --metrics as Prometheus scrapes it: HTTP GET /metrics, parsed strictly (our parser,
// and Python's prometheus_client reference parser when installed), values equal to the node's
// own statistics, peer state following a peer's death.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "doctest/doctest.h"
#include "net/testing.h"
#include "nlohmann/json.hpp"
#include "test/process.h"
#include "test/prometheus_parser.h"
#include "test/skip.h"

namespace uxcom::test {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

struct HttpReply {
  int status = 0;
  std::string headers;
  std::string body;
};

// One GET over a fresh connection (the server closes after answering).
HttpReply Get(const std::string& host, uint16_t port, const std::string& path) {
  HttpReply r;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  timeval tv{.tv_sec = 10, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
  REQUIRE(write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  std::string all;
  char buf[65536];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) all.append(buf, static_cast<size_t>(n));
  close(fd);
  const size_t end = all.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  r.headers = all.substr(0, end);
  r.body = all.substr(end + 4);
  r.status = std::atoi(all.c_str() + 9);
  return r;
}

std::optional<std::string> WaitForLine(Process& p, std::string_view text) {
  return p.ReadLineContaining(text, Clock::now() + 20s);
}

TEST_CASE("xcom_node --metrics: a strict Prometheus exposition of the node's statistics") {
  const uint16_t a = net::testing::ReservePort(), b = net::testing::ReservePort();
  const std::string peer_b = "127.0.0.1:" + std::to_string(b);
  const std::string members = "--members=127.0.0.1:" + std::to_string(a) + "," + peer_b;
  const std::string node = Runfile("xcom/tools/xcom_node");
  REQUIRE(!node.empty());
  std::string error;
  std::unique_ptr<Process> pa = Process::Start(
      "node_a", {node, "--self=127.0.0.1:" + std::to_string(a), members, "--metrics=127.0.0.1:0"},
      &error);
  std::unique_ptr<Process> pb =
      Process::Start("node_b", {node, "--self=" + peer_b, members}, &error);
  REQUIRE(pa != nullptr);
  REQUIRE(pb != nullptr);
  std::optional<std::string> ready = WaitForLine(*pa, "\"event\":\"ready\"");
  REQUIRE(ready);
  const std::string at = Json::parse(*ready)["metrics"];
  const uint16_t port = static_cast<uint16_t>(std::atoi(at.c_str() + at.rfind(':') + 1));
  REQUIRE(port != 0);

  pa->Send("send 5 100");
  REQUIRE(WaitForLine(*pa, "\"event\":\"peer_connected\""));
  REQUIRE(WaitForLine(*pb, "\"event\":\"ready\""));
  for (int i = 0; i < 5; ++i) REQUIRE(WaitForLine(*pb, "\"event\":\"delivered\""));
  pa->Send("stats");
  std::optional<std::string> stats_line = WaitForLine(*pa, "\"event\":\"stats\"");
  REQUIRE(stats_line);
  const Json stats = Json::parse(*stats_line)["statistics"];

  const HttpReply r = Get("127.0.0.1", port, "/metrics");
  INFO(r.headers, "\n", r.body);
  CHECK(r.status == 200);
  CHECK(r.headers.find("Content-Type: text/plain; version=0.0.4") != std::string::npos);
  absl::StatusOr<Exposition> e = ParsePrometheusText(r.body);
  REQUIRE_MESSAGE(e.ok(), e.status().ToString());
  CHECK(e->Value("uxcom_xcom_messages_sent_total", {{"op", "client_msg"}}) ==
        stats["sent"]["client_msg"]["count"].get<double>());
  CHECK(e->Value("uxcom_xcom_sent_bytes_total", {{"op", "client_msg"}}) ==
        stats["sent"]["client_msg"]["bytes"].get<double>());
  CHECK(e->Value("uxcom_xcom_self_deliveries_total") == 5);
  CHECK(e->Value("uxcom_xcom_peer_connection_state", {{"peer", peer_b}, {"state", "negotiated"}}) ==
        1);
  CHECK(e->Value("uxcom_xcom_peer_protocol_version", {{"peer", peer_b}}) == 7);
  CHECK(e->Value("uxcom_xcom_peer_messages_sent_total", {{"peer", peer_b}}) == 5);
  CHECK(e->Value("uxcom_xcom_drops_total", {{"reason", "queue_full"}}) == 0);

  // Python's reference parser, when Debian's python3-prometheus-client is installed.
  if (std::system("/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null") == 0) {
    const char* dir = std::getenv("TEST_TMPDIR");
    const std::string file = std::string(dir ? dir : "/tmp") + "/metrics.txt";
    std::ofstream(file) << r.body;
    const std::string check =
        "/usr/bin/python3 -c 'import sys; from prometheus_client.parser import "
        "text_string_to_metric_families as p; f = list(p(open(sys.argv[1]).read())); "
        "assert len(f) > 20, len(f); print(len(f), \"families\")' " +
        file;
    CHECK(std::system(check.c_str()) == 0);
  } else {
    ::uxcom::testing::Skip(::uxcom::testing::Need::kTool,
                           "Python's prometheus_client parser (python3-prometheus-client is not "
                           "installed; the strict C++ parser ran)");
  }

  CHECK(Get("127.0.0.1", port, "/").status == 404);

  // B dies: the page shows the connection gone within a few polls.
  pb->Kill(SIGKILL);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::this_thread::sleep_for(100ms);
    absl::StatusOr<Exposition> now = ParsePrometheusText(Get("127.0.0.1", port, "/metrics").body);
    REQUIRE(now.ok());
    gone = now->Value("uxcom_xcom_peer_connection_state",
                      {{"peer", peer_b}, {"state", "negotiated"}}) == 0;
  }
  CHECK(gone);
  pa->Kill(SIGTERM);
  CHECK(WaitForLine(*pa, "\"event\":\"stopped\""));
  CHECK(DescribeStatus(pa->Wait(Clock::now() + 10s)) == "exit 0");
}

}  // namespace
}  // namespace uxcom::test
