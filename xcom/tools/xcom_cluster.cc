// xcom_cluster: a local XCom group on loopback, every node broadcasting, everything checked.
//
// Starts N nodes in this process (by default each on its own thread and executor, like N
// XCom processes), installs one site on each, and has every node broadcast M messages with
// send_to_all (itself included). Every node checks that it receives every message of every
// sender exactly once and in that sender's order. It then prints the protocol version each
// node negotiated with each other node, the throughput, the send-to-delivery latency
// percentiles and the transport's drop counters, and ends with `delivered X/Y`. Exit status 0
// only if X == Y with no duplicate, gap or reordering.
//
//   xcom_cluster                                   3 nodes, 20 000 messages each, 100 B
//   xcom_cluster --nodes=5 --max_versions=7,7,5,3,1 --messages=5000 --payload=1024
//   xcom_cluster --tls                              the same over TLS (VERIFY_IDENTITY)
//
// --tls makes a throwaway CA and one certificate per node (CN nodeI, IP 127.0.0.1) in a
// temporary directory removed on exit (nothing is written elsewhere), and runs every connection
// over TLS in --ssl_mode (VERIFY_IDENTITY unless given). Without --tls, --ssl_mode with
// --ssl_cert/--ssl_key/--ssl_ca (tls_flags.h) runs every node with that one key pair.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "net/executor.h"
#include "net/listener.h"
#include "net/throwaway_pki.h"
#include "net/timer.h"
#include "xcom/tools/tls_flags.h"
#include "xcom/transport.h"

ABSL_FLAG(int, nodes, 3, "group size (1 to 9 is typical; at most 100)");
ABSL_FLAG(int, messages, 20000, "messages each node broadcasts");
ABSL_FLAG(int, payload, 100, "payload bytes per message (at least 24)");
ABSL_FLAG(std::string, max_versions, "",
          "per-node highest protocol versions, wire values or names: 7,5,1 = x_1_6,x_1_4,x_1_0 "
          "(the last one repeats; default x_1_6)");
ABSL_FLAG(bool, single_thread, false, "run every node on one executor thread");
ABSL_FLAG(std::string, backend, "auto", "executor backend: auto, io_uring or epoll");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(60), "give up after this long");
ABSL_FLAG(bool, verbose, false, "print the transports' INFO log lines");
ABSL_FLAG(bool, tls, false,
          "TLS with a throwaway CA and per-node certificates made in a temporary directory");

namespace uxcom::xcom {
namespace {

using Clock = std::chrono::steady_clock;

// Payload: sender (u32), sequence (u64), send time (i64 ns), then padding.
constexpr size_t kHeaderBytes = 4 + 8 + 8;

struct Shared {
  int n = 0;
  int messages = 0;
  int payload = 0;
  std::atomic<int> listening{0};
  std::atomic<int> received_all{0};
  std::atomic<int> reported{0};
  std::atomic<bool> give_up{false};
  Clock::time_point start;
};

struct NodeReport {
  uint64_t delivered = 0;
  uint64_t violations = 0;  // duplicates, gaps, reordering
  std::vector<uint32_t> latencies_us;
  std::vector<xdr::ProtocolVersion> versions;  // of this node's connection to each node
  std::vector<std::string> tls;                // "TLSv1.3 TLS_AES_256_GCM_SHA384", or empty
  TransportStatistics::Snapshot stats;
  Clock::time_point finished;
  std::string error;
};

net::Task<void> WaitFor(Shared& shared, std::atomic<int>& counter) {
  // Awaited results go into variables, never straight into a condition: GCC 12 miscompiled
  // `if (!(co_await Sleep(…)).ok()) co_return;` in this very loop (the coroutine never ran).
  while (counter.load() < shared.n && !shared.give_up.load()) {
    absl::Status slept = co_await net::Sleep(std::chrono::milliseconds(1));
    if (!slept.ok()) co_return;
  }
}

net::Task<void> Receive(Shared& shared, Transport& t, NodeReport& report) {
  std::vector<uint64_t> next(shared.n, 0);
  uint64_t expected = static_cast<uint64_t>(shared.n) * shared.messages;
  report.latencies_us.reserve(expected);
  while (report.delivered < expected) {
    absl::StatusOr<IncomingMessage> in = co_await t.Receive();
    if (!in.ok()) co_return;
    const xdr::PaxMsg& m = in->msg();
    if (m.a.empty() || m.a[0].body.kind() != xdr::AppArm::kData) {
      ++report.violations;
      continue;
    }
    xdr::Bytes p = std::get<xdr::Bytes>(m.a[0].body.arm);
    uint32_t sender;
    uint64_t seq;
    int64_t sent_ns;
    std::memcpy(&sender, p.data(), 4);
    std::memcpy(&seq, p.data() + 4, 8);
    std::memcpy(&sent_ns, p.data() + 12, 8);
    if (sender >= next.size() || seq != next[sender] || sender != m.from) {
      ++report.violations;
    } else {
      ++next[sender];
    }
    ++report.delivered;
    auto now = Clock::now().time_since_epoch().count();
    report.latencies_us.push_back(static_cast<uint32_t>((now - sent_ns) / 1000));
  }
  report.finished = Clock::now();
}

net::Task<void> RunNode(Shared& shared, int self, Transport& t, SiteId site, NodeReport& report) {
  shared.listening.fetch_add(1);
  co_await WaitFor(shared, shared.listening);
  net::Executor& executor = co_await net::CurrentExecutor();
  net::Scope receiver(executor);
  receiver.Spawn(Receive(shared, t, report));
  std::string payload(shared.payload, '.');
  uint32_t me = static_cast<uint32_t>(self);
  std::memcpy(payload.data(), &me, 4);
  for (uint64_t seq = 0; seq < static_cast<uint64_t>(shared.messages) && !shared.give_up; ++seq) {
    int64_t now = Clock::now().time_since_epoch().count();
    std::memcpy(payload.data() + 4, &seq, 8);
    std::memcpy(payload.data() + 12, &now, 8);
    xdr::PaxMsg msg{.op = xdr::PaxOp::kClientMsg, .a = {{.body = xdr::AppU::App(payload)}}};
    SendReport r = co_await t.SendToAll(site, msg);
    if (!r.status.ok() && report.error.empty()) report.error = std::string(r.status.message());
  }
  co_await receiver.Join();
  shared.received_all.fetch_add(1);
  co_await WaitFor(shared, shared.received_all);  // keep serving until every node is done
  for (int j = 0; j < shared.n; ++j) {
    std::optional<PeerInfo> p = t.peer(t.site(site)->nodes[j].address);
    report.versions.push_back(p ? p->version : xdr::ProtocolVersion::kUnknown);
    if (p && !p->tls_version.empty()) report.tls.push_back(p->tls_version + " " + p->tls_cipher);
  }
  report.stats = t.statistics();
  shared.reported.fetch_add(1);
  co_await WaitFor(shared, shared.reported);
  co_await receiver.Close();
  co_await t.Stop();
}

std::vector<int> ParseVersions(const std::string& text, int n) {
  std::vector<int> out;
  for (absl::string_view piece : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::optional<xdr::ProtocolVersion> v = xdr::ParseProtocolVersion(std::string(piece));
    if (!v || !xdr::IsSupported(*v)) return {};
    out.push_back(static_cast<int>(*v));
  }
  if (out.empty()) out.push_back(static_cast<int>(xdr::kMaxProtocolVersion));
  while (static_cast<int>(out.size()) < n) out.push_back(out.back());
  out.resize(n);
  return out;
}

// --tls: a CA and one certificate per node, in a directory that lives as long as the run.
struct ThrowawayTls {
  net::TempDirectory directory;
  std::vector<TlsOptions> nodes;
};

absl::StatusOr<ThrowawayTls> MakeThrowawayTls(int n, SslMode mode) {
  absl::StatusOr<net::ThrowawayCa> ca = net::ThrowawayCa::Create("xcom_cluster throwaway CA");
  if (!ca.ok()) return ca.status();
  absl::StatusOr<net::TempDirectory> dir = net::TempDirectory::Create("xcom_cluster-tls");
  if (!dir.ok()) return dir.status();
  ThrowawayTls out{*std::move(dir), {}};
  absl::StatusOr<std::string> ca_file = out.directory.Write("ca.pem", ca->certificate_pem());
  if (!ca_file.ok()) return ca_file.status();
  for (int i = 0; i < n; ++i) {
    std::string name = absl::StrCat("node", i);
    absl::StatusOr<net::PemPair> pem =
        ca->Issue({.common_name = name, .dns_names = {name}, .ip_addresses = {"127.0.0.1"}});
    if (!pem.ok()) return pem.status();
    absl::StatusOr<std::string> cert = out.directory.Write(name + ".pem", pem->certificate);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = out.directory.Write(name + "-key.pem", pem->private_key);
    if (!key.ok()) return key.status();
    out.nodes.push_back({.mode = mode, .cert_file = *cert, .key_file = *key, .ca_file = *ca_file});
  }
  return out;
}

double Percentile(std::vector<uint32_t>& v, double q) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

int Run() {
  Shared shared;
  shared.n = absl::GetFlag(FLAGS_nodes);
  shared.messages = absl::GetFlag(FLAGS_messages);
  shared.payload = absl::GetFlag(FLAGS_payload);
  std::vector<int> max_versions = ParseVersions(absl::GetFlag(FLAGS_max_versions), shared.n);
  net::BackendKind backend = net::BackendKind::kAuto;
  std::string backend_flag = absl::GetFlag(FLAGS_backend);
  if (backend_flag == "io_uring") backend = net::BackendKind::kIoUring;
  if (backend_flag == "epoll") backend = net::BackendKind::kEpoll;
  if (shared.n < 1 || shared.n > 100 || shared.messages < 0 ||
      shared.payload < static_cast<int>(kHeaderBytes) || max_versions.empty() ||
      (backend_flag != "auto" && backend_flag != "io_uring" && backend_flag != "epoll")) {
    std::fprintf(stderr, "xcom_cluster: bad flags (see --help)\n");
    return 64;
  }
  absl::StatusOr<TlsOptions> tls_flags = TlsOptionsFromFlags();
  if (!tls_flags.ok()) {
    std::fprintf(stderr, "xcom_cluster: %s\n", std::string(tls_flags.status().message()).c_str());
    return 64;
  }
  std::vector<TlsOptions> tls(shared.n, *tls_flags);
  std::optional<ThrowawayTls> throwaway;
  if (absl::GetFlag(FLAGS_tls)) {
    SslMode mode = tls_flags->enabled() ? tls_flags->mode : SslMode::kVerifyIdentity;
    absl::StatusOr<ThrowawayTls> made = MakeThrowawayTls(shared.n, mode);
    if (!made.ok()) {
      std::fprintf(stderr, "xcom_cluster: --tls: %s\n",
                   std::string(made.status().message()).c_str());
      return 1;
    }
    throwaway.emplace(*std::move(made));
    for (int i = 0; i < shared.n; ++i) {
      TlsOptions& t = tls[static_cast<size_t>(i)];
      t.mode = mode;
      t.cert_file = throwaway->nodes[static_cast<size_t>(i)].cert_file;
      t.key_file = throwaway->nodes[static_cast<size_t>(i)].key_file;
      t.ca_file = throwaway->nodes[static_cast<size_t>(i)].ca_file;
    }
  }
  bool single = absl::GetFlag(FLAGS_single_thread);
  bool verbose = absl::GetFlag(FLAGS_verbose);
  int executors = single ? 1 : shared.n;

  std::vector<std::unique_ptr<net::Executor>> ex;
  for (int i = 0; i < executors; ++i) {
    absl::StatusOr<std::unique_ptr<net::Executor>> e = net::Executor::Create({.backend = backend});
    if (!e.ok()) {
      std::fprintf(stderr, "xcom_cluster: %s\n", e.status().ToString().c_str());
      return 1;
    }
    ex.push_back(*std::move(e));
  }
  // Every node listens on an ephemeral port first; then every node learns every address.
  std::vector<std::unique_ptr<Transport>> nodes;
  std::vector<std::string> addresses;
  for (int i = 0; i < shared.n; ++i) {
    TransportOptions o;
    o.self_address = "127.0.0.1:1";  // replaced below, once the port is known
    o.listen_address = net::SocketAddress::Loopback4(0);
    o.listen_port = 1;
    o.max_version = static_cast<xdr::ProtocolVersion>(max_versions[i]);
    o.overflow_policy = QueueOverflowPolicy::kWait;  // every message must arrive
    o.tls = tls[static_cast<size_t>(i)];
    o.log = [verbose, i](LogLevel level, std::string_view line) {
      if (level >= LogLevel::kWarning || (verbose && level >= LogLevel::kInfo)) {
        std::fprintf(stderr, "node%d %s: %.*s\n", i, LogLevelName(level),
                     static_cast<int>(line.size()), line.data());
      }
    };
    // Bind first to learn the port, then create the node on it.
    absl::StatusOr<net::Listener> probe =
        net::Listener::Listen(*ex[single ? 0 : i], {.address = net::SocketAddress::Loopback4(0)});
    if (!probe.ok()) {
      std::fprintf(stderr, "xcom_cluster: %s\n", probe.status().ToString().c_str());
      return 1;
    }
    uint16_t port = probe->local_address().port();
    probe->Close();
    o.self_address = absl::StrCat("127.0.0.1:", port);
    o.listen_port = port;
    o.listen_address = net::SocketAddress::Loopback4(port);
    absl::StatusOr<std::unique_ptr<Transport>> t = Transport::Create(*ex[single ? 0 : i], o);
    if (!t.ok()) {
      std::fprintf(stderr, "xcom_cluster: %s\n", std::string(t.status().message()).c_str());
      return 1;
    }
    if (absl::Status s = (*t)->Start(); !s.ok()) {
      std::fprintf(stderr, "xcom_cluster: node %d: %s\n", i, std::string(s.message()).c_str());
      return 1;
    }
    addresses.push_back(o.self_address);
    nodes.push_back(*std::move(t));
  }
  std::vector<SiteId> sites;
  for (int i = 0; i < shared.n; ++i) {
    Site site{.group_id = 0x5eed, .nodeno = static_cast<NodeNo>(i)};
    for (int j = 0; j < shared.n; ++j) {
      site.nodes.push_back({.address = addresses[j],
                            .uuid = absl::StrCat("node", j),
                            .proto = {xdr::kMinProtocolVersion,
                                      static_cast<xdr::ProtocolVersion>(max_versions[j])}});
    }
    sites.push_back(*nodes[i]->InstallSite(site));
  }

  std::string security = "plaintext";
  if (tls[0].enabled()) {
    security =
        absl::StrCat("TLS ", SslModeName(tls[0].mode),
                     throwaway ? absl::StrCat(", throwaway CA in ", throwaway->directory.path())
                               : std::string());
  }
  std::printf(
      "uxcom xcom_cluster: %d nodes on loopback (%s, %s, %s), %d messages x %d B from every "
      "node\n",
      shared.n, ex[0]->backend_description().c_str(),
      single ? "all on one thread" : "one thread per node", security.c_str(), shared.messages,
      shared.payload);
  std::fflush(stdout);

  std::vector<NodeReport> reports(shared.n);
  shared.start = Clock::now();
  auto deadline = shared.start + absl::ToChronoNanoseconds(absl::GetFlag(FLAGS_timeout));
  std::thread watchdog([&] {
    while (shared.reported.load() < shared.n && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (shared.reported.load() < shared.n) {
      shared.give_up = true;
      for (auto& e : ex) e->Stop();
    }
  });
  if (single) {
    auto all = [&]() -> net::Task<void> {
      net::Scope scope(*ex[0]);
      for (int i = 0; i < shared.n; ++i) {
        scope.Spawn(RunNode(shared, i, *nodes[i], sites[i], reports[i]));
      }
      co_await scope.Join();
    };
    ex[0]->BlockOn(all());
  } else {
    std::vector<std::thread> threads;
    for (int i = 0; i < shared.n; ++i) {
      threads.emplace_back(
          [&, i] { ex[i]->BlockOn(RunNode(shared, i, *nodes[i], sites[i], reports[i])); });
    }
    for (std::thread& th : threads) th.join();
  }
  watchdog.join();
  for (int i = 0; i < shared.n; ++i) {
    net::Executor& e = *ex[single ? 0 : i];
    e.BlockOn(nodes[i]->Stop());  // after a give-up, stop what the timeout interrupted
  }

  // --- report ---------------------------------------------------------------------------------
  uint64_t expected = static_cast<uint64_t>(shared.n) * shared.n * shared.messages;
  uint64_t delivered = 0, violations = 0, drops = 0;
  Clock::time_point last = shared.start;
  std::vector<uint32_t> latencies;
  for (NodeReport& r : reports) {
    delivered += r.delivered;
    violations += r.violations;
    drops += r.stats.drops_total();
    if (r.finished > last) last = r.finished;
    latencies.insert(latencies.end(), r.latencies_us.begin(), r.latencies_us.end());
  }
  std::printf("\nnegotiated protocol versions (row = node that dialled, column = peer):\n       ");
  for (int j = 0; j < shared.n; ++j) std::printf("  node%-3d", j);
  std::printf("\n");
  for (int i = 0; i < shared.n; ++i) {
    std::printf("node%-3d", i);
    for (int j = 0; j < shared.n; ++j) {
      std::string v = "-";
      if (i != j && j < static_cast<int>(reports[i].versions.size())) {
        std::optional<std::string_view> name = xdr::ProtocolVersionName(reports[i].versions[j]);
        v = name ? std::string(*name) : "none";
      }
      std::printf("  %-7s", v.c_str());
    }
    std::printf(
        "   (max %s)\n",
        std::string(*xdr::ProtocolVersionName(static_cast<xdr::ProtocolVersion>(max_versions[i])))
            .c_str());
  }
  if (tls[0].enabled()) {
    // Every connection's TLS version and cipher, counted (one line when they all agree).
    std::map<std::string, int> negotiated;
    uint64_t handshakes = 0, failures = 0;
    for (const NodeReport& r : reports) {
      for (const std::string& t : r.tls) ++negotiated[t];
      handshakes += r.stats.tls_handshakes;
      for (uint64_t f : r.stats.tls_handshake_failures) failures += f;
    }
    std::printf("\nTLS: %llu handshakes, %llu failed; outbound connections:",
                static_cast<unsigned long long>(handshakes),
                static_cast<unsigned long long>(failures));
    for (const auto& [what, count] : negotiated) std::printf(" %d x %s;", count, what.c_str());
    std::printf("\n");
  }
  double seconds = std::chrono::duration<double>(last - shared.start).count();
  std::printf("\nthroughput: %llu deliveries in %.3f s = %.0f msg/s (%.1f MB/s of payload)\n",
              static_cast<unsigned long long>(delivered), seconds,
              seconds > 0 ? static_cast<double>(delivered) / seconds : 0,
              seconds > 0 ? static_cast<double>(delivered) * shared.payload / seconds / 1e6 : 0);
  std::printf(
      "latency, send to delivery (queueing included: every node sends as fast as it can): p50 %.0f "
      "us, p90 %.0f us, p99 %.0f us, max %.0f us\n",
      Percentile(latencies, 0.50), Percentile(latencies, 0.90), Percentile(latencies, 0.99),
      Percentile(latencies, 1.0));
  std::printf("drops %llu, duplicates/gaps/reorderings %llu\n",
              static_cast<unsigned long long>(drops), static_cast<unsigned long long>(violations));
  for (int i = 0; i < shared.n; ++i) {
    if (!reports[i].error.empty()) std::printf("node%d: %s\n", i, reports[i].error.c_str());
  }
  if (shared.give_up)
    std::printf("timed out after %s\n", absl::FormatDuration(absl::GetFlag(FLAGS_timeout)).c_str());
  std::printf("delivered %llu/%llu\n", static_cast<unsigned long long>(delivered),
              static_cast<unsigned long long>(expected));
  return delivered == expected && violations == 0 ? 0 : 1;
}

}  // namespace
}  // namespace uxcom::xcom

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "xcom_cluster [--nodes=3] [--messages=20000] [--payload=100] [--max_versions=7,5,1] "
      "[--tls [--ssl_mode=VERIFY_CA]]\n"
      "A local XCom group on loopback: every node broadcasts, every delivery is checked.");
  uxcom::xcom::NormalizeFlagSpelling(argc, argv);
  absl::ParseCommandLine(argc, argv);
  return uxcom::xcom::Run();
}
