// xcom_node: one XCom node as its own process.
//
//   xcom_node --self=127.0.0.1:10001 --members=127.0.0.1:10001,127.0.0.1:10002,127.0.0.1:10003
//
// The node listens on --self, installs one site listing --members in node-number order (it
// must contain --self), and runs until stdin closes or it is told to quit. Everything it does
// is reported on stdout as one JSON object per line, so scripts and tests can drive it:
//
//   {"event":"ready","self":"127.0.0.1:10001","node":0,"port":10001}
//   {"event":"delivered","from":1,"seq":0,"origin":"inbound","version":7,"bytes":64}
//   {"event":"log","level":"DEBUG","ms":1200.5,"text":"Connecting to 127.0.0.1:10002"}
//                              (with --log_events: when each dial, close, negotiation happened)
//
// Commands on stdin (one per line):
//   send N [BYTES]     broadcast N messages (send_to_all, this node included), payload BYTES
//   sendto NODE N [B]  send N messages to one node
//   stats              {"event":"stats","statistics":{…}}  (TransportStatistics::ToJson)
//   peers              {"event":"peers","peers":[{"address":…,"state":…,"version":…,…}]}
//                      (with TLS: "tls_version", "tls_cipher", "tls_peer_subject" per peer)
//   reload_tls         re-read the TLS files (Transport::ReloadTls): {"event":"tls_reloaded"}
//   quit               stop the transport and exit 0
//
// TLS: --ssl_mode=REQUIRED|VERIFY_CA|VERIFY_IDENTITY with --ssl_cert, --ssl_key, --ssl_ca, …
// (tls_flags.h; Group Replication's option names; --ssl-mode spellings work too).
// A payload carries "node=<sender>;seq=<n>;", so receivers can check order and duplicates.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "net/channel.h"
#include "net/executor.h"
#include "net/scope.h"
#include "xcom/tools/tls_flags.h"
#include "xcom/transport.h"

ABSL_FLAG(std::string, self, "", "this node's address, HOST:PORT (also where it listens)");
ABSL_FLAG(std::string, members, "", "every member's address, comma-separated, in node order");
ABSL_FLAG(uint32_t, group_id, 0x5eed, "the group id of the site");
ABSL_FLAG(std::string, min_version, "x_1_0", "lowest XCom protocol version spoken");
ABSL_FLAG(std::string, max_version, "x_1_6", "highest XCom protocol version spoken");
ABSL_FLAG(bool, print_deliveries, true, "report every delivered message");
ABSL_FLAG(bool, verbose, false, "copy the transport's INFO log lines to stderr");
ABSL_FLAG(bool, log_events, false,
          "also report every log line of the transport, debug included, as a \"log\" event "
          "with the executor's time in ms since start");

namespace uxcom::xcom {
namespace {

void Emit(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string PeersJson(const std::vector<PeerInfo>& peers, net::TimePoint now) {
  std::string out = "{\"event\":\"peers\",\"peers\":[";
  for (size_t i = 0; i < peers.size(); ++i) {
    const PeerInfo& p = peers[i];
    auto age_ms = [&](net::TimePoint t) -> long long {
      if (t == net::TimePoint{}) return -1;
      return std::chrono::duration_cast<std::chrono::milliseconds>(now - t).count();
    };
    absl::StrAppend(
        &out, i ? "," : "", "{\"address\":", Quoted(p.address),
        ",\"local\":", p.local ? "true" : "false", ",\"invalid\":", p.invalid ? "true" : "false",
        ",\"state\":\"", PeerConnectionStateName(p.state),
        "\",\"version\":", static_cast<int>(p.version), ",\"last_tag\":", p.last_tag,
        ",\"connects\":", p.connects, ",\"dial_failures\":", p.dial_failures,
        ",\"queued\":", p.queued, ",\"sent\":", p.messages_sent,
        ",\"dropped\":", p.messages_dropped, ",\"active_age_ms\":", age_ms(p.liveness.active),
        ",\"detected_age_ms\":", age_ms(p.liveness.detected));
    if (!p.tls_version.empty()) {
      absl::StrAppend(&out, ",\"tls_version\":", Quoted(p.tls_version),
                      ",\"tls_cipher\":", Quoted(p.tls_cipher),
                      ",\"tls_peer_subject\":", Quoted(p.tls_peer_subject));
    }
    out += "}";
  }
  return out + "]}";
}

struct Node {
  Node(net::Executor& executor, std::unique_ptr<Transport> t, SiteId s, NodeNo n)
      : ex(executor), transport(std::move(t)), site(s), self(n) {}

  net::Executor& ex;
  std::unique_ptr<Transport> transport;
  SiteId site;
  NodeNo self;
  uint64_t next_seq = 0;
  net::Channel<std::string> commands;

  net::Task<void> Send(std::optional<NodeNo> to, uint32_t count, uint32_t bytes) {
    std::string payload;
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
      if (!r.status.ok()) {
        Emit(absl::StrCat("{\"event\":\"send_error\",\"message\":",
                          Quoted(std::string(r.status.message())), "}"));
      }
    }
    Emit(absl::StrCat("{\"event\":\"sent\",\"count\":", count, "}"));
  }

  net::Task<void> Deliveries(bool print) {
    for (;;) {
      absl::StatusOr<IncomingMessage> in = co_await transport->Receive();
      if (!in.ok()) co_return;
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

  // Runs commands until "quit" or end of input.
  net::Task<void> Control() {
    for (;;) {
      absl::StatusOr<std::string> line = co_await commands.Pop();
      if (!line.ok()) break;  // stdin closed
      std::vector<std::string> w = absl::StrSplit(*line, ' ', absl::SkipEmpty());
      if (w.empty()) continue;
      if (w[0] == "quit") break;
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
          Emit(absl::StrCat(
              "{\"event\":\"error\",\"message\":", Quoted("not a number in: " + *line), "}"));
          continue;
        }
        std::optional<NodeNo> to;
        if (to_one) to = node;
        co_await Send(to, count, bytes);
      } else if (w[0] == "stats") {
        Emit(absl::StrCat("{\"event\":\"stats\",\"statistics\":", transport->statistics().ToJson(),
                          "}"));
      } else if (w[0] == "peers") {
        Emit(PeersJson(transport->peers(), ex.Now()));
      } else if (w[0] == "reload_tls") {
        absl::Status s = transport->ReloadTls();
        Emit(s.ok()
                 ? std::string("{\"event\":\"tls_reloaded\"}")
                 : absl::StrCat(
                       "{\"event\":\"error\",\"message\":", Quoted(std::string(s.message())), "}"));
      } else {
        Emit(absl::StrCat("{\"event\":\"error\",\"message\":", Quoted("unknown command: " + *line),
                          "}"));
      }
    }
    co_await transport->Stop();
    Emit("{\"event\":\"stopped\"}");
  }
};

int Run() {
  std::string self = absl::GetFlag(FLAGS_self);
  std::vector<std::string> members =
      absl::StrSplit(absl::GetFlag(FLAGS_members), ',', absl::SkipEmpty());
  auto self_at = std::find(members.begin(), members.end(), self);
  if (self.empty() || self_at == members.end()) {
    std::fprintf(stderr, "xcom_node: --self must be one of --members (see --help)\n");
    return 64;
  }
  std::optional<xdr::ProtocolVersion> min =
      xdr::ParseProtocolVersion(absl::GetFlag(FLAGS_min_version));
  std::optional<xdr::ProtocolVersion> max =
      xdr::ParseProtocolVersion(absl::GetFlag(FLAGS_max_version));
  if (!min || !max) {
    std::fprintf(stderr, "xcom_node: --min_version/--max_version must be x_1_0 … x_1_6\n");
    return 64;
  }
  absl::StatusOr<TlsOptions> tls = TlsOptionsFromFlags();
  if (!tls.ok()) {
    std::fprintf(stderr, "xcom_node: %s\n", std::string(tls.status().message()).c_str());
    return 64;
  }
  absl::StatusOr<std::unique_ptr<net::Executor>> ex = net::Executor::Create();
  if (!ex.ok()) {
    std::fprintf(stderr, "xcom_node: %s\n", ex.status().ToString().c_str());
    return 1;
  }
  TransportOptions options{.self_address = self, .min_version = *min, .max_version = *max};
  options.tls = *std::move(tls);
  bool verbose = absl::GetFlag(FLAGS_verbose);
  bool log_events = absl::GetFlag(FLAGS_log_events);
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
    return 64;
  }
  if (absl::Status s = (*t)->Start(); !s.ok()) {
    std::fprintf(stderr, "xcom_node: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  Site site{.group_id = absl::GetFlag(FLAGS_group_id),
            .nodeno = static_cast<NodeNo>(self_at - members.begin())};
  for (const std::string& m : members) site.nodes.push_back({.address = m, .proto = {*min, *max}});
  absl::StatusOr<SiteId> id = (*t)->InstallSite(site);
  if (!id.ok()) {
    std::fprintf(stderr, "xcom_node: %s\n", std::string(id.status().message()).c_str());
    return 64;
  }
  Node node(**ex, *std::move(t), *id, site.nodeno);
  Emit(absl::StrCat("{\"event\":\"ready\",\"self\":", Quoted(self), ",\"node\":", site.nodeno,
                    ",\"port\":", node.transport->listen_address().port(), "}"));

  // stdin is read on its own thread; each line is handed to the executor.
  net::Executor* executor = ex->get();
  std::thread reader([executor, &node] {
    std::string line;
    while (std::getline(std::cin, line)) {
      executor->Post([&node, line] { (void)node.commands.TryPush(std::string(line)); });
    }
    executor->Post([&node] { node.commands.Close(); });
  });
  reader.detach();  // blocked in read(); the process exits without joining it
  auto main_task = [&]() -> net::Task<void> {
    net::Scope scope(**ex);
    scope.Spawn(node.Deliveries(absl::GetFlag(FLAGS_print_deliveries)));
    co_await node.Control();
    co_await scope.Close();
  };
  (*ex)->BlockOn(main_task());
  std::fflush(stdout);
  _exit(0);  // the stdin thread may still be blocked in read()
}

}  // namespace
}  // namespace uxcom::xcom

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "xcom_node --self=HOST:PORT --members=A,B,C [--max_version=x_1_6]\n"
      "          [--ssl_mode=REQUIRED|VERIFY_CA|VERIFY_IDENTITY --ssl_cert=… --ssl_key=… "
      "--ssl_ca=…]\n"
      "One XCom node; commands on stdin (send N [BYTES], sendto NODE N [BYTES], stats, peers, "
      "reload_tls, quit),\n"
      "events on stdout as JSON lines.");
  uxcom::xcom::NormalizeFlagSpelling(argc, argv);
  absl::ParseCommandLine(argc, argv);
  return uxcom::xcom::Run();
}
