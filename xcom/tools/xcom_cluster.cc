// xcom_cluster: a local XCom group on loopback, every node broadcasting, everything checked.
//
// Starts N nodes in this process (by default each on its own thread and executor, like N
// XCom processes), installs one site on each, and runs two phases in which every node
// broadcasts with send_to_all (itself included):
//
//   1. saturated: every node sends --messages as fast as it can. Its duration gives the
//      saturated throughput (the most the group delivers). Latency in this phase is mostly
//      queueing behind the burst, so it grows with --messages and is not a latency figure.
//   2. paced: every node sends at a fixed offered rate, --rate_fraction (default half) of the
//      measured maximum, for --paced_seconds. Send-to-delivery latency here is the figure to
//      read as "latency".
//
// Every node checks that it receives every message of every sender exactly once and in that
// sender's order. It then prints the protocol version each node negotiated with each other
// node, both figures labelled, the drop counters, and ends with `delivered X/Y`. Exit status:
// 0 only if X == Y with no duplicate, gap or reordering; 1 otherwise (or a node cannot
// start); 64 usage error; 130/143 interrupted by SIGINT/SIGTERM (totals printed first).
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

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "net/executor.h"
#include "net/listener.h"
#include "net/openssl_block_cache.h"
#include "net/throwaway_pki.h"
#include "net/timer.h"
#include "tools/cli/flags.h"
#include "tools/cli/latency_histogram.h"
#include "tools/cli/stop_signals.h"
#include "xcom/tls_options.h"
#include "xcom/tools/tls_flags.h"
#include "xcom/tools/tool_flags.h"
#include "xcom/transport.h"

namespace uxcom::xcom {
namespace {

using Clock = std::chrono::steady_clock;

// Payload: sender (u32), sequence (u64), send time (i64 ns), then padding.
constexpr size_t kHeaderBytes = 4 + 8 + 8;
// Phase 2 sends at most this many messages per node, whatever the measured rate.
constexpr uint64_t kMaxPacedMessages = 1000000;

struct Settings {
  int nodes = 3;
  int messages = 20000;
  int payload = 100;
  std::vector<int> max_versions;  // per node, filled to `nodes`
  bool single_thread = false;
  net::BackendKind backend = net::BackendKind::kAuto;
  absl::Duration timeout = absl::Seconds(60);
  double rate_fraction = 0.5;
  absl::Duration paced_seconds = absl::Seconds(2);
  bool verbose = false;
  bool throwaway_tls = false;  // --tls
  TlsOptions tls;              // --ssl_mode, --ssl_cert, …
};

struct Shared {
  int n = 0;
  int payload = 0;
  // Messages each node sends in phase 0 (saturated) and phase 1 (paced).
  uint64_t count[2] = {0, 0};
  std::atomic<int> listening{0};
  std::atomic<int> phase_done[2] = {0, 0};
  std::atomic<int> reported{0};
  std::atomic<bool> give_up{false};
  std::atomic<bool> paced_ready{false};
  std::atomic<int64_t> paced_interval_ns{0};
  Clock::time_point start;
  Clock::time_point phase_end[2];
  Settings settings;
};

struct NodeReport {
  uint64_t delivered = 0;
  uint64_t violations = 0;                     // duplicates, gaps, reordering
  cli::LatencyHistogram latencies_us[2];       // per phase, in fixed memory
  std::vector<xdr::ProtocolVersion> versions;  // of this node's connection to each node
  std::vector<std::string> tls;                // "TLSv1.3 TLS_AES_256_GCM_SHA384", or empty
  TransportStatistics::Snapshot stats;
  Clock::time_point finished[2];
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

net::Task<void> WaitForRate(Shared& shared) {
  while (!shared.paced_ready.load() && !shared.give_up.load()) {
    absl::Status slept = co_await net::Sleep(std::chrono::milliseconds(1));
    if (!slept.ok()) co_return;
  }
}

// Receives one phase's messages: count[phase] from every node, each sender's in order.
net::Task<void> Receive(Shared& shared, Transport& t, NodeReport& report, int phase,
                        std::vector<uint64_t>& next) {
  const uint64_t expected = static_cast<uint64_t>(shared.n) * shared.count[phase];
  cli::LatencyHistogram& latencies = report.latencies_us[phase];
  for (uint64_t got = 0; got < expected;) {
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
    ++got;
    ++report.delivered;
    auto now = Clock::now().time_since_epoch().count();
    latencies.Add(static_cast<uint32_t>((now - sent_ns) / 1000));
  }
  report.finished[phase] = Clock::now();
}

net::Task<void> RunNode(Shared& shared, int self, Transport& t, SiteId site, NodeReport& report) {
  shared.listening.fetch_add(1);
  co_await WaitFor(shared, shared.listening);
  net::Executor& executor = co_await net::CurrentExecutor();
  std::string payload(shared.payload, '.');
  uint32_t me = static_cast<uint32_t>(self);
  std::memcpy(payload.data(), &me, 4);
  std::vector<uint64_t> next(shared.n, 0);
  uint64_t seq = 0;
  for (int phase = 0; phase < 2; ++phase) {
    net::Duration interval{0};
    if (phase == 1) {
      co_await WaitForRate(shared);
      interval = net::Duration(shared.paced_interval_ns.load());
    }
    net::Scope receiver(executor);
    receiver.Spawn(Receive(shared, t, report, phase, next));
    const Clock::time_point begin = Clock::now();
    for (uint64_t i = 0; i < shared.count[phase] && !shared.give_up; ++i, ++seq) {
      if (phase == 1) {
        // A fixed offered rate: message i leaves at begin + i × interval, whatever came before.
        absl::Status slept = co_await net::SleepUntil(begin + i * interval);
        if (!slept.ok()) break;
      }
      int64_t now = Clock::now().time_since_epoch().count();
      std::memcpy(payload.data() + 4, &seq, 8);
      std::memcpy(payload.data() + 12, &now, 8);
      xdr::PaxMsg msg{.op = xdr::PaxOp::kClientMsg, .a = {{.body = xdr::AppU::App(payload)}}};
      SendReport r = co_await t.SendToAll(site, msg);
      if (!r.status.ok() && report.error.empty()) report.error = std::string(r.status.message());
    }
    co_await receiver.Join();
    shared.phase_done[phase].fetch_add(1);
    co_await WaitFor(shared, shared.phase_done[phase]);  // keep serving until every node is done
    co_await receiver.Close();
  }
  for (int j = 0; j < shared.n; ++j) {
    std::optional<PeerInfo> p = t.peer(t.site(site)->nodes[j].address);
    report.versions.push_back(p ? p->version : xdr::ProtocolVersion::kUnknown);
    if (p && !p->tls_version.empty()) report.tls.push_back(p->tls_version + " " + p->tls_cipher);
  }
  report.stats = t.statistics();
  shared.reported.fetch_add(1);
  co_await WaitFor(shared, shared.reported);
  co_await t.Stop();
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

std::string Percentiles(const cli::LatencyHistogram& h) {
  return absl::StrFormat("p50 %.0f us, p90 %.0f us, p99 %.0f us, max %u us", h.Percentile(0.50),
                         h.Percentile(0.90), h.Percentile(0.99), h.max());
}

// Between the phases: the saturated rate, and the interval that offers `fraction` of it.
void StartPacedPhase(Shared& shared, const std::vector<NodeReport>& reports) {
  Clock::time_point end = shared.start;
  for (const NodeReport& r : reports) end = std::max(end, r.finished[0]);
  shared.phase_end[0] = end;
  const double seconds = std::chrono::duration<double>(end - shared.start).count();
  const double sends_per_node = seconds > 0 ? static_cast<double>(shared.count[0]) / seconds : 0;
  const double offered = sends_per_node * shared.settings.rate_fraction;
  if (offered <= 0) {
    shared.count[1] = 0;
  } else {
    shared.count[1] = std::min<uint64_t>(
        kMaxPacedMessages,
        static_cast<uint64_t>(offered * absl::ToDoubleSeconds(shared.settings.paced_seconds)));
    shared.paced_interval_ns = static_cast<int64_t>(1e9 / offered);
  }
  shared.paced_ready = true;
}

int Run(const Settings& settings, cli::StopSignals* stop, std::atomic<bool>& interrupted) {
  Shared shared;
  shared.settings = settings;
  shared.n = settings.nodes;
  shared.payload = settings.payload;
  shared.count[0] = static_cast<uint64_t>(settings.messages);
  const bool single = settings.single_thread;
  const bool verbose = settings.verbose;
  const int executors = single ? 1 : shared.n;
  std::vector<TlsOptions> tls(static_cast<size_t>(shared.n), settings.tls);
  std::optional<ThrowawayTls> throwaway;
  if (settings.throwaway_tls) {
    SslMode mode = settings.tls.enabled() ? settings.tls.mode : SslMode::kVerifyIdentity;
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

  std::vector<std::unique_ptr<net::Executor>> ex;
  for (int i = 0; i < executors; ++i) {
    net::ExecutorOptions options = tools::ToolExecutorOptions(verbose);
    options.backend = settings.backend;
    absl::StatusOr<std::unique_ptr<net::Executor>> e = net::Executor::Create(std::move(options));
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
    o.max_version = static_cast<xdr::ProtocolVersion>(settings.max_versions[i]);
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
                            .proto = {xdr::kMinProtocolVersion, static_cast<xdr::ProtocolVersion>(
                                                                    settings.max_versions[j])}});
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
      "node, then %.0f%% of the saturated rate for %s\n",
      shared.n, ex[0]->backend_description().c_str(),
      single ? "all on one thread" : "one thread per node", security.c_str(), settings.messages,
      shared.payload, settings.rate_fraction * 100,
      absl::FormatDuration(settings.paced_seconds).c_str());
  std::fflush(stdout);

  std::vector<NodeReport> reports(shared.n);
  shared.start = Clock::now();
  auto deadline = shared.start + absl::ToChronoNanoseconds(settings.timeout);
  std::thread watchdog([&] {
    while (shared.reported.load() < shared.n && Clock::now() < deadline && !interrupted.load()) {
      if (!shared.paced_ready.load() && shared.phase_done[0].load() >= shared.n) {
        StartPacedPhase(shared, reports);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
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
  const uint64_t expected =
      static_cast<uint64_t>(shared.n) * shared.n * (shared.count[0] + shared.count[1]);
  uint64_t delivered = 0, violations = 0, drops = 0;
  Clock::time_point last = shared.start;
  cli::LatencyHistogram latencies[2];
  for (NodeReport& r : reports) {
    delivered += r.delivered;
    violations += r.violations;
    drops += r.stats.drops_total();
    if (r.finished[0] > last) last = r.finished[0];
    for (int p = 0; p < 2; ++p) {
      latencies[p].Merge(r.latencies_us[p]);
    }
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
    std::printf("   (max %s)\n",
                std::string(*xdr::ProtocolVersionName(
                                static_cast<xdr::ProtocolVersion>(settings.max_versions[i])))
                    .c_str());
  }
  const double seconds = std::chrono::duration<double>(last - shared.start).count();
  const uint64_t saturated = static_cast<uint64_t>(shared.n) * shared.n * shared.count[0];
  const double rate = seconds > 0 ? static_cast<double>(saturated) / seconds : 0;
  std::printf(
      "\nsaturated throughput: %.0f broadcasts/s = %.0f deliveries/s (%.1f MB/s of payload): "
      "%llu deliveries in %.3f s, every node sending as fast as it can\n",
      rate / shared.n, rate, rate * shared.payload / 1e6,
      static_cast<unsigned long long>(saturated), seconds);
  std::printf("  latency while saturated (queueing behind the burst; grows with --messages): %s\n",
              Percentiles(latencies[0]).c_str());
  if (shared.count[1] > 0) {
    const double offered = 1e9 / static_cast<double>(shared.paced_interval_ns.load()) * shared.n;
    std::printf(
        "latency at a fixed offered rate of %.0f broadcasts/s (%.0f%% of the saturated rate), "
        "%llu per node: %s\n",
        offered, settings.rate_fraction * 100, static_cast<unsigned long long>(shared.count[1]),
        Percentiles(latencies[1]).c_str());
  } else {
    std::printf("latency at a fixed offered rate: not measured (no saturated rate)\n");
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
    std::printf("TLS: %llu handshakes, %llu failed; outbound connections:",
                static_cast<unsigned long long>(handshakes),
                static_cast<unsigned long long>(failures));
    for (const auto& [what, count] : negotiated) std::printf(" %d x %s;", count, what.c_str());
    std::printf("\n");
  }
  std::printf("drops %llu, duplicates/gaps/reorderings %llu\n",
              static_cast<unsigned long long>(drops), static_cast<unsigned long long>(violations));
  for (int i = 0; i < shared.n; ++i) {
    if (!reports[i].error.empty()) std::printf("node%d: %s\n", i, reports[i].error.c_str());
  }
  if (interrupted.load()) {
    const int signo = stop != nullptr ? stop->signal() : 0;
    std::printf("stopped by %s: delivered %llu/%llu\n", cli::SignalName(signo),
                static_cast<unsigned long long>(delivered),
                static_cast<unsigned long long>(expected));
    std::fflush(stdout);
    return cli::ExitStatusForSignal(signo);
  }
  if (shared.give_up) {
    std::printf("timed out after %s\n", absl::FormatDuration(settings.timeout).c_str());
  }
  std::printf("delivered %llu/%llu\n", static_cast<unsigned long long>(delivered),
              static_cast<unsigned long long>(expected));
  return delivered == expected && violations == 0 ? 0 : 1;
}

int Main(int argc, char** argv) {
  // Before anything uses OpenSSL: its per-record blocks come from a cache, not malloc.
  if (absl::Status s = net::InstallOpenSslBlockCache(); !s.ok()) {
    std::fprintf(stderr, "note: %s\n", s.ToString().c_str());
  }
  std::atomic<bool> interrupted{false};
  std::unique_ptr<cli::StopSignals> stop =
      cli::StopSignals::Install([&interrupted](int) { interrupted = true; });
  cli::FlagSet flags(
      "xcom_cluster", "[OPTIONS]",
      "A local XCom group on loopback: every node broadcasts, every delivery is checked.\n"
      "Reports the saturated throughput (every node sending as fast as it can) and the\n"
      "send-to-delivery latency at a fixed offered rate below it.");
  Settings s;
  std::string max_versions, backend = "auto";
  flags.Int("nodes", &s.nodes, "group size (1 to 9 is typical)", 1, 100);
  flags.Int("messages", &s.messages, "messages each node broadcasts in the saturated phase", 0,
            100000000);
  flags.Int("payload", &s.payload,
            absl::StrCat("payload bytes per message (at least ", kHeaderBytes, ")"),
            static_cast<int>(kHeaderBytes), 64 << 20);
  flags.String("max_versions", &max_versions,
               "per-node highest protocol versions, wire values or names: 7,5,1 = "
               "x_1_6,x_1_4,x_1_0\n(the last one repeats; default: the newest uxcom speaks)");
  flags.Bool("single_thread", &s.single_thread, "run every node on one executor thread");
  flags.String("backend", &backend, "executor backend: auto, io_uring or epoll");
  flags.Duration("timeout", &s.timeout, "give up after this long (default 60s)");
  flags.Custom("rate_fraction", "F",
               "the paced phase offers F times the saturated rate (default 0.5; 0 skips it)",
               [&s](std::string_view v) {
                 double f = 0;
                 if (!absl::SimpleAtod(std::string(v), &f) || !(f >= 0 && f <= 1)) {
                   return absl::InvalidArgumentError(
                       absl::StrCat("'", std::string(v), "' is not a number in [0, 1]"));
                 }
                 s.rate_fraction = f;
                 return absl::OkStatus();
               });
  flags.Duration("paced_seconds", &s.paced_seconds,
                 "how long the paced phase offers its rate (default 2s)");
  flags.Bool("tls", &s.throwaway_tls,
             "TLS with a throwaway CA and per-node certificates made in a temporary directory "
             "(VERIFY_IDENTITY unless --ssl_mode says otherwise)");
  tools::AddTlsFlags(flags, &s.tls);
  flags.Bool("verbose", &s.verbose, "print the transports' INFO log lines and the backend chosen");
  flags.Epilog(
      "Exit status: 0 every message delivered exactly once and in order; 1 otherwise, or a\n"
      "node cannot start; 64 usage error; 130/143 interrupted by SIGINT/SIGTERM.");
  if (std::optional<int> exit = flags.ParseOrExit(argc, argv, nullptr)) return *exit;
  if (backend == "io_uring") {
    s.backend = net::BackendKind::kIoUring;
  } else if (backend == "epoll") {
    s.backend = net::BackendKind::kEpoll;
  } else if (backend != "auto") {
    return flags.UsageError("--backend",
                            absl::StrCat("'", backend, "' is not auto, io_uring or epoll"));
  }
  for (absl::string_view piece : absl::StrSplit(max_versions, ',', absl::SkipEmpty())) {
    xdr::ProtocolVersion v;
    if (absl::Status st = tools::ParseSupportedVersion(std::string(piece), &v); !st.ok()) {
      return flags.UsageError("--max_versions", std::string(st.message()));
    }
    s.max_versions.push_back(static_cast<int>(v));
  }
  if (s.max_versions.size() > static_cast<size_t>(s.nodes)) {
    return flags.UsageError("--max_versions", absl::StrCat("lists ", s.max_versions.size(),
                                                           " versions for ", s.nodes, " nodes"));
  }
  if (s.max_versions.empty()) s.max_versions.push_back(static_cast<int>(xdr::kMaxProtocolVersion));
  while (static_cast<int>(s.max_versions.size()) < s.nodes) {
    s.max_versions.push_back(s.max_versions.back());
  }
  if (s.timeout <= absl::ZeroDuration()) return flags.UsageError("--timeout", "must be positive");
  if (absl::Status st = tools::CheckTlsFlags(s.tls); !st.ok()) {
    return flags.UsageError("", std::string(st.message()));
  }
  return Run(s, stop.get(), interrupted);
}

}  // namespace
}  // namespace uxcom::xcom

int main(int argc, char** argv) { return uxcom::xcom::Main(argc, argv); }
