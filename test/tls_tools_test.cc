// The tools over TLS, as real processes: an xcom_node with --ssl_mode=VERIFY_IDENTITY answers
// xcom_probe with the same flags (and says which TLS it negotiated); a plaintext probe learns
// that the node speaks TLS (exit 5, speaks_tls) instead of blaming an allowlist; a TLS probe at a
// plaintext node is told the node probably has TLS off; xcom_cluster --tls delivers everything over
// TLS. Certificates come from a throwaway CA made here (net/throwaway_pki.h).
#include <sys/wait.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "doctest/doctest.h"
#include "net/testing.h"
#include "net/throwaway_pki.h"
#include "nlohmann/json.hpp"
#include "test/process.h"

namespace uxcom::test {
namespace {

using namespace std::chrono_literals;

struct Pki {
  net::TempDirectory dir;
  std::string ca, cert, key;
};

Pki MakePki() {
  absl::StatusOr<net::ThrowawayCa> ca = net::ThrowawayCa::Create("tls_tools_test CA");
  REQUIRE(ca.ok());
  absl::StatusOr<net::TempDirectory> dir = net::TempDirectory::Create("tls_tools_test");
  REQUIRE(dir.ok());
  absl::StatusOr<net::PemPair> node =
      ca->Issue({.common_name = "node0", .ip_addresses = {"127.0.0.1"}});
  REQUIRE(node.ok());
  Pki pki{*std::move(dir), "", "", ""};
  pki.ca = *pki.dir.Write("ca.pem", ca->certificate_pem());
  pki.cert = *pki.dir.Write("node0.pem", node->certificate);
  pki.key = *pki.dir.Write("node0-key.pem", node->private_key);
  return pki;
}

// An xcom_node alone in its group on `port`, with `flags`; waits for "ready".
std::unique_ptr<Process> StartNode(uint16_t port, const std::vector<std::string>& flags) {
  std::string binary = Runfile("xcom/tools/xcom_node");
  REQUIRE_MESSAGE(!binary.empty(), "xcom/tools/xcom_node not found in the runfiles");
  std::string self = "127.0.0.1:" + std::to_string(port);
  std::vector<std::string> argv = {binary, "--self=" + self, "--members=" + self,
                                   "--print_deliveries=false"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  std::string error;
  std::unique_ptr<Process> p = Process::Start("node", argv, &error);
  REQUIRE_MESSAGE(p != nullptr, error);
  std::optional<std::string> ready = p->ReadLine(Clock::now() + 20s);
  REQUIRE_MESSAGE(ready.has_value(), p->Transcript());
  REQUIRE_MESSAGE(ready->find("\"event\":\"ready\"") != std::string::npos, *ready);
  return p;
}

struct ProbeRun {
  int exit_code = -1;
  std::string out;         // stdout
  std::string transcript;  // stdout and stderr, for messages and failures
};

ProbeRun Probe(uint16_t port, const std::vector<std::string>& flags) {
  std::string binary = Runfile("xcom/tools/xcom_probe");
  REQUIRE_MESSAGE(!binary.empty(), "xcom/tools/xcom_probe not found in the runfiles");
  std::vector<std::string> argv = {binary, "--timeout=5s"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back("127.0.0.1:" + std::to_string(port));
  std::string error;
  std::unique_ptr<Process> p = Process::Start("probe", argv, &error);
  REQUIRE_MESSAGE(p != nullptr, error);
  p->CloseStdin();
  ProbeRun run;
  Clock::time_point deadline = Clock::now() + 20s;
  while (std::optional<std::string> line = p->ReadLine(deadline)) run.out += *line + "\n";
  std::optional<int> status = p->Wait(deadline);
  run.transcript = p->Transcript();
  if (status && WIFEXITED(*status)) run.exit_code = WEXITSTATUS(*status);
  return run;
}

TEST_CASE("xcom_probe and xcom_node speak TLS with Group Replication's flags") {
  Pki pki = MakePki();
  uint16_t port = net::testing::ReservePort();
  std::unique_ptr<Process> node =
      StartNode(port, {"--ssl-mode=VERIFY_IDENTITY", "--ssl-cert=" + pki.cert,
                       "--ssl-key=" + pki.key, "--ssl-ca=" + pki.ca});

  ProbeRun tls = Probe(port, {"--ssl-mode=VERIFY_IDENTITY", "--ssl-ca=" + pki.ca});
  INFO(tls.transcript);
  CHECK(tls.exit_code == 0);
  CHECK(tls.out.find(": ok: ") != std::string::npos);
  CHECK(tls.out.find(" agreed over TLSv1.3 (TLS_AES_256_GCM_SHA384); ") != std::string::npos);

  ProbeRun json = Probe(port, {"--json", "--ssl-mode=VERIFY_IDENTITY", "--ssl-ca=" + pki.ca});
  INFO(json.transcript);
  REQUIRE(json.exit_code == 0);
  nlohmann::json record = nlohmann::json::parse(json.out);
  CHECK(record["outcome"] == "ok");
  CHECK(record["tls"]["version"] == "TLSv1.3");
  CHECK(record["tls"]["cipher"] == "TLS_AES_256_GCM_SHA384");

  ProbeRun plain = Probe(port, {});
  INFO(plain.transcript);
  CHECK(plain.exit_code == 5);
  CHECK(plain.out.find(": speaks_tls: ") != std::string::npos);
  CHECK(plain.transcript.find("the peer speaks TLS") != std::string::npos);
  CHECK(plain.transcript.find("--ssl_mode") != std::string::npos);
  CHECK(plain.transcript.find("allowlist") == std::string::npos);

  ProbeRun untrusted = Probe(port, {"--ssl_mode=VERIFY_CA", "--ssl_ca=" + pki.cert});
  INFO(untrusted.transcript);
  CHECK(untrusted.exit_code == 6);
  CHECK(untrusted.out.find(": tls_failed: ") != std::string::npos);
  CHECK(untrusted.transcript.find("certificate verify failed") != std::string::npos);

  ProbeRun bad_flag = Probe(port, {"--ssl_mode=PREFERRED"});
  CHECK(bad_flag.exit_code == 64);
}

TEST_CASE("a TLS probe at a plaintext node is told the node probably has TLS off") {
  uint16_t port = net::testing::ReservePort();
  std::unique_ptr<Process> node = StartNode(port, {});
  ProbeRun run = Probe(port, {"--ssl_mode=REQUIRED"});
  INFO(run.transcript);
  CHECK(run.exit_code == 6);
  CHECK(run.transcript.find("is its ssl_mode DISABLED?") != std::string::npos);
  // The node names the ClientHello it got where a version request was expected.
  node->Send("quit");
  std::optional<int> status = node->Wait(Clock::now() + 20s);
  CHECK(DescribeStatus(status) == "exit 0");
  CHECK(node->Transcript().find("a TLS ClientHello where a version request was expected") !=
        std::string::npos);
}

TEST_CASE("xcom_cluster --tls delivers everything over TLS with a throwaway CA") {
  std::string binary = Runfile("xcom/tools/xcom_cluster");
  REQUIRE_MESSAGE(!binary.empty(), "xcom/tools/xcom_cluster not found in the runfiles");
  std::string error;
  std::unique_ptr<Process> p = Process::Start(
      "xcom_cluster",
      {binary, "--timeout=15s", "--tls", "--nodes=3", "--messages=1000", "--rate_fraction=0"},
      &error);
  REQUIRE_MESSAGE(p != nullptr, error);
  p->CloseStdin();
  std::vector<std::string> lines;
  Clock::time_point deadline = Clock::now() + 30s;
  while (std::optional<std::string> line = p->ReadLine(deadline)) lines.push_back(*line);
  std::optional<int> status = p->Wait(deadline);
  INFO(p->Transcript());
  CHECK(DescribeStatus(status) == "exit 0");
  REQUIRE(!lines.empty());
  CHECK(lines.back() == "delivered 9000/9000");
  bool tls_line = false;
  for (const std::string& l : lines) {
    if (l ==
        "TLS: 12 handshakes, 0 failed; outbound connections: 6 x TLSv1.3 "
        "TLS_AES_256_GCM_SHA384;") {
      tls_line = true;
    }
  }
  CHECK(tls_line);
}

}  // namespace
}  // namespace uxcom::test
