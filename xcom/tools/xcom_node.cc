// xcom_node: one XCom node as its own process, for scripts, tests and services.
//
//   xcom_node --self=127.0.0.1:10001 --members=127.0.0.1:10001,127.0.0.1:10002,127.0.0.1:10003
//   xcom_node --self=… --members=… --stdin=false --metrics=127.0.0.1:9464    (as a service)
//
// The node listens on --self, installs one site listing --members in node-number order (it
// must contain --self) and runs until told to quit, or until SIGINT/SIGTERM. Everything it does
// is reported on stdout as one JSON object per line:
//
//   {"event":"ready","self":"127.0.0.1:10001","node":0,"port":10001}
//   {"event":"delivered","from":1,"seq":0,"origin":"inbound","version":7,"bytes":64}
//   {"event":"peer_connected","peer":"127.0.0.1:10002","version":7}
//   {"event":"peer_lost","peer":"127.0.0.1:10002","state":"none","closes":{"io_error":1}}
//   {"event":"stopped","reason":"SIGTERM","sent":10,"delivered":30,"dropped":0,…}
//   {"event":"log","level":"DEBUG","ms":1200.5,"text":"Connecting to 127.0.0.1:10002"}
//                              (with --log_events: when each dial, close, negotiation happened)
//
// Commands on stdin, one per line (`help` lists them): send N [BYTES], sendto NODE N [BYTES],
// stats, peers, reload_tls, help, quit. Each command produces exactly one event. A payload carries
// "node=<sender>;seq=<n>;", so receivers can check order and duplicates.
//
// TLS: --ssl_mode=REQUIRED|VERIFY_CA|VERIFY_IDENTITY with --ssl_cert, --ssl_key, --ssl_ca, …
// (tls_flags.h; Group Replication's option names; --ssl-mode spellings work too). `peers`
// then reports "tls_version", "tls_cipher" and "tls_peer_subject" per connected peer, and
// `reload_tls` re-reads the files (Transport::ReloadTls): {"event":"tls_reloaded"}.
//
// Standard input: with --stdin=false the node never reads it. Otherwise, when it closes, a node
// on a terminal quits (Ctrl-D), and any other node keeps running (stdin_closed event): it can run
// under a service manager with stdin on /dev/null. Exit status: 0 after quit or a signal; 1 when
// the node cannot start (its address in use, …); 64 usage error.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "net/address.h"
#include "net/channel.h"
#include "net/executor.h"
#include "net/http_server.h"
#include "net/openssl_block_cache.h"
#include "net/scope.h"
#include "net/timer.h"
#include "tools/cli/flags.h"
#include "tools/cli/stop_signals.h"
#include "xcom/prometheus.h"
#include "xcom/tools/tls_flags.h"
#include "xcom/tools/tool_flags.h"
#include "xcom/transport.h"

namespace uxcom::xcom {
namespace {

// How often peers() is compared with its previous snapshot for peer_* events.
constexpr auto kPeerPollInterval = std::chrono::milliseconds(100);

void Emit(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, "\\u00", absl::Hex(static_cast<int>(c), absl::kZeroPad2));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string ErrorEvent(std::string_view message) {
  return absl::StrCat("{\"event\":\"error\",\"message\":", Quoted(message), "}");
}

long long AgeMs(net::TimePoint now, net::TimePoint t) {
  if (t == net::TimePoint{}) return -1;
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - t).count();
}

std::string PeersJson(const std::vector<PeerInfo>& peers, net::TimePoint now) {
  std::string out = "{\"event\":\"peers\",\"peers\":[";
  for (size_t i = 0; i < peers.size(); ++i) {
    const PeerInfo& p = peers[i];
    absl::StrAppend(
        &out, i ? "," : "", "{\"address\":", Quoted(p.address),
        ",\"local\":", p.local ? "true" : "false", ",\"invalid\":", p.invalid ? "true" : "false",
        ",\"state\":\"", PeerConnectionStateName(p.state),
        "\",\"version\":", static_cast<int>(p.version), ",\"last_tag\":", p.last_tag,
        ",\"connects\":", p.connects, ",\"dial_failures\":", p.dial_failures,
        ",\"queued\":", p.queued, ",\"sent\":", p.messages_sent,
        ",\"dropped\":", p.messages_dropped, ",\"active_age_ms\":", AgeMs(now, p.liveness.active),
        ",\"detected_age_ms\":", AgeMs(now, p.liveness.detected));
    if (!p.tls_version.empty()) {
      absl::StrAppend(&out, ",\"tls_version\":", Quoted(p.tls_version),
                      ",\"tls_cipher\":", Quoted(p.tls_cipher),
                      ",\"tls_peer_subject\":", Quoted(p.tls_peer_subject));
    }
    out += "}";
  }
  return out + "]}";
}

constexpr char kHelpEvent[] =
    R"json({"event":"help","commands":["send N [BYTES]: broadcast N messages (this node included)","sendto NODE N [BYTES]: send N messages to node number NODE","stats: the transport's statistics","peers: every server, its connection state and liveness","reload_tls: re-read the TLS certificate, key, CA and CRL files","help: this list","quit: stop the node and exit 0"]})json";

struct Node {
  Node(net::Executor& executor, std::unique_ptr<Transport> t, SiteId s, NodeNo n, size_t size)
      : ex(executor), transport(std::move(t)), site(s), self(n), members(size) {}

  net::Executor& ex;
  std::unique_ptr<Transport> transport;
  SiteId site;
  NodeNo self;
  size_t members;
  uint64_t next_seq = 0;
  uint64_t delivered = 0;
  std::string stop_reason = "quit";
  net::Channel<std::string> commands;

  // One command, one event: "sent" when every message was queued for every destination,
  // otherwise "send_error" with the counts and the first reason.
  net::Task<void> Send(std::optional<NodeNo> to, uint32_t count, uint32_t bytes) {
    const std::string target = to ? absl::StrCat(*to) : "\"all\"";
    if (to && *to >= members) {
      Emit(absl::StrCat("{\"event\":\"send_error\",\"to\":", target, ",\"count\":", count,
                        ",\"queued\":0,\"dropped\":", count, ",\"message\":",
                        Quoted(absl::StrCat("no node ", *to, ": the site has ", members,
                                            " nodes (0 … ", members - 1, ")")),
                        "}"));
      co_return;
    }
    std::string payload;
    uint64_t queued = 0, dropped = 0;
    absl::Status first_error;
    for (uint32_t i = 0; i < count; ++i) {
      payload = absl::StrCat("node=", self, ";seq=", next_seq++, ";");
      if (payload.size() < bytes) payload.resize(bytes, '.');
      xdr::PaxMsg msg{.op = xdr::PaxOp::kClientMsg, .a = {{.body = xdr::AppU::App(payload)}}};
      SendReport r;  // no `cond ? co_await a : co_await b` (GCC 12 miscompiles it)
      if (to) {
        r = co_await transport->SendTo(site, *to, msg);
      } else {
        r = co_await transport->SendToAll(site, msg);
      }
      queued += r.queued;
      dropped += r.dropped;
      if (!r.status.ok() && first_error.ok()) first_error = r.status;
    }
    if (first_error.ok()) {
      Emit(absl::StrCat("{\"event\":\"sent\",\"to\":", target, ",\"count\":", count,
                        ",\"queued\":", queued, "}"));
    } else {
      Emit(absl::StrCat("{\"event\":\"send_error\",\"to\":", target, ",\"count\":", count,
                        ",\"queued\":", queued, ",\"dropped\":", dropped,
                        ",\"message\":", Quoted(std::string(first_error.message())), "}"));
    }
  }

  net::Task<void> Deliveries(bool print) {
    for (;;) {
      absl::StatusOr<IncomingMessage> in = co_await transport->Receive();
      if (!in.ok()) co_return;
      ++delivered;
      if (!print) continue;
      const xdr::PaxMsg& m = in->msg();
      std::string payload;
      if (!m.a.empty() && m.a[0].body.kind() == xdr::AppArm::kData) {
        payload = std::string(std::get<xdr::Bytes>(m.a[0].body.arm));
      }
      long long seq = -1;
      if (size_t at = payload.find(";seq="); at != std::string::npos) {
        seq = std::atoll(payload.c_str() + at + 5);
      }
      Emit(absl::StrCat("{\"event\":\"delivered\",\"from\":", m.from, ",\"seq\":", seq,
                        ",\"origin\":\"", MessageOriginName(in->origin()), "\",\"version\":",
                        static_cast<int>(in->version()), ",\"bytes\":", payload.size(), "}"));
    }
  }

  // Peer state changes as events: connected (negotiated), lost (no longer negotiated, with the
  // outbound close reasons counted meanwhile), unreachable (dials failing while not connected).
  net::Task<void> WatchPeers() {
    std::map<std::string, PeerInfo> last;
    std::set<std::string> unreachable;  // reported since it was last connected
    TransportStatistics::Snapshot before = transport->statistics();
    for (;;) {
      absl::Status slept = co_await net::Sleep(kPeerPollInterval);
      if (!slept.ok()) co_return;
      const TransportStatistics::Snapshot now = transport->statistics();
      for (const PeerInfo& p : transport->peers()) {
        if (p.local) continue;
        auto it = last.find(p.address);
        const bool was_negotiated =
            it != last.end() && it->second.state == PeerConnectionState::kNegotiated;
        const bool negotiated = p.state == PeerConnectionState::kNegotiated;
        if (negotiated && !was_negotiated) {
          Emit(absl::StrCat("{\"event\":\"peer_connected\",\"peer\":", Quoted(p.address),
                            ",\"version\":", static_cast<int>(p.version), "}"));
        } else if (!negotiated && was_negotiated) {
          std::string closes;
          for (size_t i = 0; i < now.outbound_closes.size(); ++i) {
            if (now.outbound_closes[i] > before.outbound_closes[i]) {
              absl::StrAppend(&closes, closes.empty() ? "" : ",", "\"",
                              CloseReasonName(static_cast<CloseReason>(i)),
                              "\":", now.outbound_closes[i] - before.outbound_closes[i]);
            }
          }
          Emit(absl::StrCat("{\"event\":\"peer_lost\",\"peer\":", Quoted(p.address),
                            ",\"state\":\"", PeerConnectionStateName(p.state), "\",\"closes\":{",
                            closes, "}}"));
        } else if (!negotiated && it != last.end() && p.dial_failures > it->second.dial_failures &&
                   !unreachable.count(p.address)) {
          // The first failed dial of a spell: later ones are the back-off repeating it.
          unreachable.insert(p.address);
          Emit(absl::StrCat("{\"event\":\"peer_unreachable\",\"peer\":", Quoted(p.address),
                            ",\"dial_failures\":", p.dial_failures, "}"));
        }
        if (negotiated) unreachable.erase(p.address);
        last[p.address] = p;
      }
      before = now;
    }
  }

  // Runs commands until "quit", or until the channel closes (a signal).
  net::Task<void> Control() {
    for (;;) {
      absl::StatusOr<std::string> line = co_await commands.Pop();
      if (!line.ok()) break;
      std::vector<std::string> w = absl::StrSplit(*line, ' ', absl::SkipEmpty());
      if (w.empty()) continue;
      if (w[0] == "quit") {
        stop_reason = "quit";
        break;
      }
      if ((w[0] == "send" && (w.size() == 2 || w.size() == 3)) ||
          (w[0] == "sendto" && (w.size() == 3 || w.size() == 4))) {
        // send N [BYTES] | sendto NODE N [BYTES]; every number must parse.
        const bool to_one = w[0] == "sendto";
        uint32_t node = 0, count = 0, bytes = 0;
        const size_t first = to_one ? 2 : 1;
        bool ok = (!to_one || absl::SimpleAtoi(w[1], &node)) &&
                  absl::SimpleAtoi(w[first], &count) &&
                  (w.size() == first + 1 || absl::SimpleAtoi(w[first + 1], &bytes));
        if (!ok) {
          Emit(ErrorEvent("not a number in: " + *line));
          continue;
        }
        std::optional<NodeNo> to;
        if (to_one) to = node;
        co_await Send(to, count, bytes);
      } else if (w[0] == "send" || w[0] == "sendto") {
        Emit(ErrorEvent(
            absl::StrCat("usage: ", w[0] == "send" ? "send N [BYTES]" : "sendto NODE N [BYTES]")));
      } else if (w[0] == "stats") {
        Emit(absl::StrCat("{\"event\":\"stats\",\"statistics\":", transport->statistics().ToJson(),
                          "}"));
      } else if (w[0] == "peers") {
        Emit(PeersJson(transport->peers(), ex.Now()));
      } else if (w[0] == "reload_tls") {
        absl::Status s = transport->ReloadTls();
        Emit(s.ok() ? std::string("{\"event\":\"tls_reloaded\"}")
                    : ErrorEvent(std::string(s.message())));
      } else if (w[0] == "help") {
        Emit(kHelpEvent);
      } else {
        Emit(ErrorEvent("unknown command: " + *line + " (help lists the commands)"));
      }
    }
  }
};

// --metrics=HOST:PORT: a numeric address, port 0 for an ephemeral one.
absl::Status ParseMetricsAddress(std::string_view text, net::SocketAddress* out) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", std::string(text), "' is not HOST:PORT"));
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(std::string(text.substr(colon + 1)), &port) || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", std::string(text), "': the port is not 0 … 65535"));
  }
  absl::StatusOr<net::SocketAddress> a =
      net::SocketAddress::FromNumeric(host, static_cast<uint16_t>(port));
  if (!a.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("'", std::string(text),
                                                   "': the host must be a numeric IP address (",
                                                   a.status().message(), ")"));
  }
  *out = *a;
  return absl::OkStatus();
}

net::Task<void> RunNode(Node& node, bool print_deliveries, net::HttpServer* metrics) {
  net::Scope scope(node.ex);
  scope.Spawn(node.Deliveries(print_deliveries));
  scope.Spawn(node.WatchPeers());
  co_await node.Control();
  if (metrics != nullptr) co_await metrics->Stop();
  co_await node.transport->Stop();
  co_await scope.Close();
  const TransportStatistics::Snapshot s = node.transport->statistics();
  Emit(absl::StrCat("{\"event\":\"stopped\",\"reason\":", Quoted(node.stop_reason),
                    ",\"sent\":", node.next_seq, ",\"delivered\":", node.delivered,
                    ",\"dropped\":", s.drops_total(), ",\"statistics\":", s.ToJson(), "}"));
}

int Main(int argc, char** argv) {
  // Before anything uses OpenSSL: its per-record blocks come from a cache, not malloc.
  if (absl::Status s = net::InstallOpenSslBlockCache(); !s.ok()) {
    std::fprintf(stderr, "note: %s\n", s.ToString().c_str());
  }
  // First, before any thread: SIGINT/SIGTERM become a graceful stop, posted to the executor.
  std::atomic<net::Executor*> running{nullptr};
  std::atomic<Node*> running_node{nullptr};
  std::unique_ptr<cli::StopSignals> stop = cli::StopSignals::Install([&](int signo) {
    net::Executor* ex = running.load();
    if (ex == nullptr) return;  // not started yet: Main checks signal() before running
    ex->Post([&running_node, signo] {
      if (Node* n = running_node.load()) {
        n->stop_reason = cli::SignalName(signo);
        n->commands.Close();
      }
    });
  });

  cli::FlagSet flags("xcom_node", "--self=HOST:PORT --members=A,B,C [OPTIONS]",
                     "One XCom node: commands on stdin (help lists them), events on stdout as "
                     "JSON lines.");
  std::string self;
  std::vector<std::string> members;
  int64_t group_id = 0x5eed;
  xdr::ProtocolVersion min = xdr::kMinProtocolVersion;
  xdr::ProtocolVersion max = xdr::kMaxProtocolVersion;
  xdr::Profile profile = xdr::Profile::k8_0_18;
  int64_t write_stall_timeout_ms = 0, negotiation_timeout_ms = 0, connect_timeout_ms = 0;
  bool print_deliveries = true, verbose = false, read_stdin = true, log_events = false;
  std::optional<net::SocketAddress> metrics_at;
  tools::AddAddressFlag(flags, "self", &self, "this node's address (also where it listens)");
  tools::AddAddressListFlag(flags, "members", &members,
                            "every member's address, comma-separated, in node order");
  flags.Int("group_id", &group_id, "the group id of the site", 0, UINT32_MAX);
  tools::AddVersionFlag(flags, "min_version", &min, "lowest XCom protocol version spoken");
  tools::AddVersionFlag(flags, "max_version", &max,
                        "highest XCom protocol version spoken (x_1_6: MySQL 8.0.18, the "
                        "transport's default; x_1_9: 8.0.27 … 8.4)");
  flags.Custom("profile", "RELEASE",
               "the MySQL release whose codec rules apply at x_1_0 … x_1_6: 8.0.18 (default) or "
               "8.0.39",
               [&](std::string_view v) {
                 std::optional<xdr::Profile> p = xdr::ParseProfile(v);
                 if (!p) return absl::InvalidArgumentError("must be 8.0.18 or 8.0.39");
                 profile = *p;
                 return absl::OkStatus();
               });
  flags.Int("write_stall_timeout_ms", &write_stall_timeout_ms,
            "TransportOptions::write_stall_timeout in ms (0: the default)", 0);
  flags.Int("negotiation_timeout_ms", &negotiation_timeout_ms,
            "TransportOptions::negotiation_timeout in ms (0: the default)", 0);
  flags.Int("connect_timeout_ms", &connect_timeout_ms,
            "TransportOptions::connect_timeout in ms (0: the default)", 0);
  flags.Bool("log_events", &log_events,
             "also report every log line of the transport, debug included, as a \"log\" event "
             "with the executor's time in ms since start");
  flags.Bool("print_deliveries", &print_deliveries, "report every delivered message");
  flags.Bool("stdin", &read_stdin,
             "read commands on stdin (false: run until SIGINT/SIGTERM, as a service)");
  flags.Custom("metrics", "HOST:PORT",
               "serve Prometheus metrics at http://HOST:PORT/metrics (port 0: any free one)",
               [&](std::string_view v) {
                 net::SocketAddress a;
                 if (absl::Status s = ParseMetricsAddress(v, &a); !s.ok()) return s;
                 metrics_at = a;
                 return absl::OkStatus();
               });
  TlsOptions tls;
  tools::AddTlsFlags(flags, &tls);
  flags.Bool("verbose", &verbose,
             "copy the transport's INFO log lines and the backend chosen to stderr");
  flags.Epilog(
      "Exit status: 0 after quit, SIGINT or SIGTERM (a final \"stopped\" event with totals);\n"
      "1 the node cannot start (its address in use, …); 64 usage error.");
  if (std::optional<int> exit = flags.ParseOrExit(argc, argv, nullptr)) return *exit;
  if (self.empty()) return flags.UsageError("--self", "is required");
  if (members.empty()) return flags.UsageError("--members", "is required");
  auto self_at = std::find(members.begin(), members.end(), self);
  if (self_at == members.end()) {
    return flags.UsageError("--self", absl::StrCat("'", self, "' is not one of --members"));
  }
  if (min > max) return flags.UsageError("--min_version", "is above --max_version");
  if (absl::Status s = tools::CheckTlsFlags(tls); !s.ok())
    return flags.UsageError("", std::string(s.message()));

  absl::StatusOr<std::unique_ptr<net::Executor>> ex =
      net::Executor::Create(tools::ToolExecutorOptions(verbose));
  if (!ex.ok()) {
    std::fprintf(stderr, "xcom_node: %s\n", ex.status().ToString().c_str());
    return 1;
  }
  TransportOptions options{.self_address = self, .min_version = min, .max_version = max};
  if (write_stall_timeout_ms > 0) {
    options.write_stall_timeout = std::chrono::milliseconds(write_stall_timeout_ms);
  }
  if (negotiation_timeout_ms > 0) {
    options.negotiation_timeout = std::chrono::milliseconds(negotiation_timeout_ms);
  }
  if (connect_timeout_ms > 0) {
    options.connect_timeout = std::chrono::milliseconds(connect_timeout_ms);
  }
  options.profile = profile;
  options.tls = std::move(tls);
  net::Executor* clock = ex->get();
  const net::TimePoint started = clock->Now();
  options.log = [verbose, log_events, clock, started](LogLevel level, std::string_view line) {
    if (level >= LogLevel::kWarning || (verbose && level >= LogLevel::kInfo)) {
      StderrLogSink(level, line);
    }
    if (log_events) {
      const double ms = std::chrono::duration<double, std::milli>(clock->Now() - started).count();
      Emit(absl::StrCat("{\"event\":\"log\",\"level\":\"", LogLevelName(level), "\",\"ms\":", ms,
                        ",\"text\":", Quoted(line), "}"));
    }
  };
  absl::StatusOr<std::unique_ptr<Transport>> t = Transport::Create(**ex, options);
  if (!t.ok()) {
    std::fprintf(stderr, "xcom_node: %s\n", std::string(t.status().message()).c_str());
    return cli::kExitUsage;
  }
  if (absl::Status s = (*t)->Start(); !s.ok()) {
    std::fprintf(stderr, "xcom_node: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  Site site{.group_id = static_cast<uint32_t>(group_id),
            .nodeno = static_cast<NodeNo>(self_at - members.begin())};
  for (const std::string& m : members) site.nodes.push_back({.address = m, .proto = {min, max}});
  absl::StatusOr<SiteId> id = (*t)->InstallSite(site);
  if (!id.ok()) {
    std::fprintf(stderr, "xcom_node: --members: %s\n", std::string(id.status().message()).c_str());
    return cli::kExitUsage;
  }
  Node node(**ex, *std::move(t), *id, site.nodeno, members.size());
  std::unique_ptr<net::HttpServer> metrics;
  if (metrics_at) {
    Transport* transport = node.transport.get();
    net::Executor* executor = ex->get();
    absl::StatusOr<std::unique_ptr<net::HttpServer>> http = net::HttpServer::Start(
        **ex, *metrics_at, [transport, executor](const net::HttpRequest& r) -> net::HttpResponse {
          if (r.path != "/metrics") {
            return {.status = 404, .body = "not found: the metrics are at /metrics\n"};
          }
          return {
              .content_type = kPrometheusContentType,
              .body = PrometheusText(transport->statistics(), transport->peers(), executor->Now())};
        });
    if (!http.ok()) {
      std::fprintf(stderr, "xcom_node: --metrics: %s\n",
                   std::string(http.status().message()).c_str());
      return 1;
    }
    metrics = *std::move(http);
  }
  running_node.store(&node);
  running.store(ex->get());
  if (stop && stop->signal() != 0) {  // a signal before the executor could take it
    node.stop_reason = cli::SignalName(stop->signal());
    node.commands.Close();
  }
  std::string ready =
      absl::StrCat("{\"event\":\"ready\",\"self\":", Quoted(self), ",\"node\":", site.nodeno,
                   ",\"port\":", node.transport->listen_address().port());
  if (metrics)
    absl::StrAppend(&ready, ",\"metrics\":", Quoted(metrics->local_address().ToString()));
  Emit(ready + "}");

  if (read_stdin) {
    // stdin is read on its own thread; each line is handed to the executor.
    net::Executor* executor = ex->get();
    const bool terminal = isatty(STDIN_FILENO) != 0;
    std::thread reader([executor, &node, terminal] {
      std::string line;
      while (std::getline(std::cin, line)) {
        executor->Post([&node, line] { (void)node.commands.TryPush(std::string(line)); });
      }
      executor->Post([&node, terminal] {
        if (terminal) {
          node.stop_reason = "stdin_closed";
          node.commands.Close();  // Ctrl-D on a terminal: the user is done
        } else {
          Emit("{\"event\":\"stdin_closed\",\"running\":true}");
        }
      });
    });
    reader.detach();  // blocked in read(); the process exits without joining it
  }
  (*ex)->BlockOn(RunNode(node, print_deliveries, metrics.get()));
  running.store(nullptr);
  std::fflush(stdout);
  _exit(0);  // the stdin thread may still be blocked in read()
}

}  // namespace
}  // namespace uxcom::xcom

int main(int argc, char** argv) { return uxcom::xcom::Main(argc, argv); }
