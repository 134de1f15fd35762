// xcom_probe HOST:PORT...: a survey of XCom endpoints: does each answer, with which protocol
// version, and how fast?
//
// Connects to every target at once (uxcom nodes or MySQL Group Replication members' XCom
// ports, 33061 by default, with SSL off), offers the newest protocol version uxcom speaks, as
// an XCom node would, and reports per target what was agreed and what that says of the peer:
// an answer below our offer is the peer's own highest version; an answer equal to it means the
// peer speaks that version or newer. Then the round trip of the negotiation.
//
// With --ssl_mode (tls_flags.h: --ssl_mode, --ssl_cert, --ssl_key, --ssl_ca, …) every target
// is dialled as a member dials: TLS first, then the version request; the TLS version and
// cipher are reported. A probe needs a certificate only when the group requires client
// certificates. A plaintext probe that a target closes without an answer tries a TLS handshake:
// when the target answers it, the outcome is speaks_tls instead of a guess at an allowlist.
//
//   $ xcom_probe 10.0.0.5:33061 10.0.0.6:33061 10.0.0.7:33061
//   10.0.0.5:33061: ok: x_1_9 (10) agreed; the peer speaks x_1_9 or newer; round trip 0.213 ms
//   10.0.0.6:33061: ok: x_1_4 (5) agreed; the peer's highest version is x_1_4; round trip …
//   10.0.0.7:33061: unreachable: connect 10.0.0.7:33061: Connection refused
//   $ xcom_probe --ssl_mode=VERIFY_IDENTITY --ssl_ca=ca.pem db1.example.com:33061
//   db1.example.com:33061: ok: x_1_9 (10) agreed over TLSv1.3 (TLS_AES_256_GCM_SHA384); …
//
// --json prints one object per target instead. Exit status (the worst target wins; higher is
// worse): 0 every target answered; 1 a target is unreachable (refused, reset, unknown host);
// 2 a target timed out; 3 a target is not XCom (it answered something else, or closed without
// answering: an allowlist, the IPv6 gate); 4 a target speaks no version we speak; 5 a target
// speaks TLS and the probe did not (rerun with --ssl_mode); 6 the TLS handshake with a target
// failed (untrusted or expired certificate, name mismatch, no common cipher); 64 usage error; 71 no
// executor backend works here; 130/143 interrupted by SIGINT/SIGTERM (a "stopped" line/object with
// what had answered is printed first).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "net/executor.h"
#include "net/openssl_block_cache.h"
#include "net/scope.h"
#include "net/timer.h"
#include "nlohmann/json.hpp"
#include "tools/cli/flags.h"
#include "tools/cli/stop_signals.h"
#include "xcom/client.h"
#include "xcom/tls_options.h"
#include "xcom/tools/tls_flags.h"
#include "xcom/tools/tool_flags.h"

namespace uxcom::xcom {
namespace {

using Json = nlohmann::ordered_json;

// One exit status per outcome; the highest over all targets is the tool's.
enum class Outcome {
  kOk = 0,
  kUnreachable = 1,
  kTimeout = 2,
  kNotXcom = 3,
  kNoCommonVersion = 4,
  kSpeaksTls = 5,
  kTlsFailed = 6,
};

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kUnreachable:
      return "unreachable";
    case Outcome::kTimeout:
      return "timeout";
    case Outcome::kNotXcom:
      return "not_xcom";
    case Outcome::kNoCommonVersion:
      return "no_common_version";
    case Outcome::kSpeaksTls:
      return "speaks_tls";
    case Outcome::kTlsFailed:
      return "tls_failed";
  }
  return "?";
}

Outcome OutcomeOf(ClientFailure f) {
  switch (f) {
    case ClientFailure::kTimeout:
      return Outcome::kTimeout;
    case ClientFailure::kClosedWithoutAnswer:
    case ClientFailure::kNotXcom:
      return Outcome::kNotXcom;
    case ClientFailure::kNoCommonVersion:
      return Outcome::kNoCommonVersion;
    case ClientFailure::kSpeaksTls:
      return Outcome::kSpeaksTls;
    case ClientFailure::kTlsFailed:
      return Outcome::kTlsFailed;
    default:
      return Outcome::kUnreachable;
  }
}

struct Target {
  std::string address;
  bool done = false;  // false: interrupted before it finished
  Outcome outcome = Outcome::kOk;
  std::string error;
  std::string peer;  // the address connected to
  xdr::ProtocolVersion agreed = xdr::ProtocolVersion::kUnknown;
  std::string tls_version;  // empty: plaintext
  std::string tls_cipher;
  std::vector<double> rtts_ms;
};

net::Task<void> Probe(net::Executor& ex, Target& t, ClientOptions options, int count) {
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<ClientResult> r = co_await Negotiate(ex, t.address, options);
    const bool cancelled = co_await net::CancellationRequested();
    if (cancelled) co_return;
    if (!r.ok()) {
      t.outcome = OutcomeOf(ClassifyClientFailure(r.status()));
      t.error = std::string(r.status().message());
      t.done = true;
      co_return;
    }
    t.peer = r->peer.ToString();
    t.agreed = r->version;
    t.tls_version = r->tls_version;
    t.tls_cipher = r->tls_cipher;
    t.rtts_ms.push_back(std::chrono::duration<double, std::milli>(r->negotiation_rtt).count());
  }
  t.done = true;
}

net::Task<void> Survey(net::Executor& ex, std::vector<Target>& targets, ClientOptions options,
                       int count) {
  net::Scope scope(ex);
  for (Target& t : targets) scope.Spawn(Probe(ex, t, options, count));
  absl::Status joined = co_await scope.Join();
  if (!joined.ok()) co_await scope.Close();  // interrupted: cancel the rest, wait for them
}

// What the agreed version says about the peer's own highest version.
std::string PeerSpeaks(xdr::ProtocolVersion agreed, xdr::ProtocolVersion offered) {
  const std::string name = std::string(xdr::ProtocolVersionName(agreed).value_or("?"));
  if (agreed == offered) return absl::StrCat("the peer speaks ", name, " or newer");
  return absl::StrCat("the peer's highest version is ", name);
}

Json TargetJson(const Target& t, xdr::ProtocolVersion offered) {
  Json j = Json::object();
  j["target"] = t.address;
  j["outcome"] = t.done ? OutcomeName(t.outcome) : "interrupted";
  j["exit_code"] = static_cast<int>(t.outcome);
  j["offered"] = std::string(*xdr::ProtocolVersionName(offered));
  if (t.done && t.outcome == Outcome::kOk) {
    j["peer"] = t.peer;
    j["agreed"] = std::string(xdr::ProtocolVersionName(t.agreed).value_or("?"));
    j["agreed_wire"] = xdr::ToWire(t.agreed);
    // null: the peer speaks the offered version or newer (its maximum is not known).
    j["peer_max"] = t.agreed == offered ? Json(nullptr) : Json(j["agreed"]);
    j["peer_speaks"] = PeerSpeaks(t.agreed, offered);
    if (!t.tls_version.empty()) {
      Json tls = Json::object();
      tls["version"] = t.tls_version;
      tls["cipher"] = t.tls_cipher;
      j["tls"] = std::move(tls);
    }
    double lo = t.rtts_ms[0], hi = t.rtts_ms[0], sum = 0;
    for (double v : t.rtts_ms) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
    }
    Json rtt = Json::object();
    rtt["count"] = t.rtts_ms.size();
    rtt["min"] = lo;
    rtt["avg"] = sum / static_cast<double>(t.rtts_ms.size());
    rtt["max"] = hi;
    j["round_trip_ms"] = std::move(rtt);
  } else if (t.done) {
    j["error"] = t.error;
  }
  return j;
}

std::string TargetLine(const Target& t, xdr::ProtocolVersion offered) {
  if (!t.done) return absl::StrCat(t.address, ": interrupted");
  if (t.outcome != Outcome::kOk) {
    return absl::StrCat(t.address, ": ", OutcomeName(t.outcome), ": ", t.error,
                        t.outcome == Outcome::kSpeaksTls
                            ? "; rerun with --ssl_mode=REQUIRED (or VERIFY_CA / VERIFY_IDENTITY "
                              "with --ssl_ca)"
                            : "");
  }
  std::string over =
      t.tls_version.empty() ? "" : absl::StrCat(" over ", t.tls_version, " (", t.tls_cipher, ")");
  std::string line = absl::StrCat(t.address, ": ok: ", xdr::DescribeProtocolVersion(t.agreed),
                                  " agreed", over, "; ", PeerSpeaks(t.agreed, offered), "; ");
  if (t.rtts_ms.size() == 1) {
    absl::StrAppendFormat(&line, "round trip %.3f ms", t.rtts_ms[0]);
  } else {
    double lo = t.rtts_ms[0], hi = t.rtts_ms[0], sum = 0;
    for (double v : t.rtts_ms) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
    }
    absl::StrAppendFormat(&line, "%d round trips min/avg/max %.3f/%.3f/%.3f ms",
                          static_cast<int>(t.rtts_ms.size()), lo,
                          sum / static_cast<double>(t.rtts_ms.size()), hi);
  }
  return line;
}

void Print(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
}

constexpr char kEpilog[] =
    R"(Exit status (the worst target wins; higher is worse):
  0    every target answered as XCom
  1    a target is unreachable: refused, reset, unknown host
  2    a target timed out (connect or answer)
  3    a target is not XCom: it answered something else, or closed without answering
       (an allowlist, the IPv6 gate)
  4    a target speaks no protocol version in common with --min_version … --max_version
  5    a target speaks TLS and this probe did not: rerun with --ssl_mode
  6    the TLS handshake with a target failed: untrusted, expired or revoked certificate,
       name mismatch (VERIFY_IDENTITY), no common version or cipher
  64   usage error
  71   the probe itself cannot run: no executor backend works here (EX_OSERR)
  130  interrupted by SIGINT (143: SIGTERM); the targets that answered are printed first

Examples:
  xcom_probe 10.0.0.5:33061 10.0.0.6:33061 10.0.0.7:33061
  xcom_probe --json --count=10 [::1]:33061
  xcom_probe --ssl_mode=VERIFY_IDENTITY --ssl_ca=ca.pem db1.example.com:33061)";

int Main(int argc, char** argv) {
  // Before anything uses OpenSSL: its per-record blocks come from a cache, not malloc.
  if (absl::Status s = net::InstallOpenSslBlockCache(); !s.ok()) {
    std::fprintf(stderr, "note: %s\n", s.ToString().c_str());
  }
  // SIGINT/SIGTERM stop the survey: the executor's Stop() is thread-safe.
  std::atomic<net::Executor*> running{nullptr};
  std::unique_ptr<cli::StopSignals> stop = cli::StopSignals::Install([&running](int) {
    if (net::Executor* e = running.load()) e->Stop();
  });

  cli::FlagSet flags("xcom_probe", "[OPTIONS] HOST:PORT...",
                     "Negotiates with each XCom endpoint (all at once): the version agreed, what "
                     "it says of the\npeer's own highest version, and the round trip.");
  xdr::ProtocolVersion max = tools::kNewestProtocolVersion;
  xdr::ProtocolVersion min = xdr::kMinProtocolVersion;
  absl::Duration timeout = absl::Seconds(5);
  int count = 1;
  bool json = false, verbose = false;
  tools::AddVersionFlag(flags, "max_version", &max,
                        "highest protocol version to offer (default: the newest uxcom speaks)");
  tools::AddVersionFlag(flags, "min_version", &min, "lowest protocol version to accept");
  flags.Duration("timeout", &timeout, "connect and answer timeout, each (default 5s)");
  flags.Int("count", &count, "negotiations per target (one connection each)", 1, 1000);
  flags.Bool("json", &json, "one JSON object per target");
  flags.Bool("verbose", &verbose, "print the executor backend chosen on stderr");
  TlsOptions tls;
  tools::AddTlsFlags(flags, &tls);
  flags.Epilog(kEpilog);
  std::vector<std::string> addresses;
  if (std::optional<int> exit = flags.ParseOrExit(argc, argv, &addresses)) return *exit;
  if (addresses.empty()) return flags.UsageError("", "no target given (HOST:PORT...)");
  for (const std::string& a : addresses) {
    if (absl::Status s = tools::CheckAddress(a); !s.ok()) {
      return flags.UsageError("target", std::string(s.message()));
    }
  }
  if (min > max) {
    return flags.UsageError("--min_version", "is above --max_version");
  }
  if (timeout <= absl::ZeroDuration()) return flags.UsageError("--timeout", "must be positive");
  if (absl::Status s = tools::CheckTlsFlags(tls); !s.ok()) {
    return flags.UsageError("", std::string(s.message()));
  }
  std::shared_ptr<net::TlsContext> context;
  if (tls.enabled()) {
    // Unreadable or mismatched key material is the operator's to fix: a usage error.
    absl::StatusOr<std::shared_ptr<net::TlsContext>> c = MakeTlsContext(tls, /*serves=*/false);
    if (!c.ok()) return flags.UsageError("", std::string(c.status().message()));
    context = *std::move(c);
  }

  absl::StatusOr<std::unique_ptr<net::Executor>> ex =
      net::Executor::Create(tools::ToolExecutorOptions(verbose));
  if (!ex.ok()) {
    std::fprintf(stderr, "xcom_probe: %s\n", ex.status().ToString().c_str());
    return 71;  // EX_OSERR: not an outcome of any target
  }
  std::unique_ptr<net::Executor> executor = *std::move(ex);
  running.store(executor.get());
  if (stop && stop->signal() != 0) executor->Stop();  // a signal before the executor existed
  std::vector<Target> targets;
  for (const std::string& a : addresses) {
    Target target;
    target.address = a;
    targets.push_back(std::move(target));
  }
  const net::Duration t = absl::ToChronoNanoseconds(timeout);
  ClientOptions options{.min_version = min, .max_version = max, .connect_timeout = t, .timeout = t};
  options.ssl_mode = tls.mode;
  options.tls = context.get();
  executor->BlockOn(Survey(*executor, targets, options, count));

  int worst = 0;
  size_t answered = 0;
  for (const Target& target : targets) {
    Print(json ? TargetJson(target, max).dump() : TargetLine(target, max));
    if (target.done) worst = std::max(worst, static_cast<int>(target.outcome));
    if (target.done && target.outcome == Outcome::kOk) ++answered;
  }
  if (stop && stop->signal() != 0) {
    const int signo = stop->signal();
    if (json) {
      Json s = Json::object();
      s["stopped"] = cli::SignalName(signo);
      s["targets"] = targets.size();
      s["answered"] = answered;
      s["finished"] =
          std::count_if(targets.begin(), targets.end(), [](const Target& x) { return x.done; });
      Print(s.dump());
    } else {
      Print(absl::StrCat("stopped by ", cli::SignalName(signo), ": ", answered, " of ",
                         targets.size(), " targets answered"));
    }
    std::fflush(stdout);
    running.store(nullptr);
    return cli::ExitStatusForSignal(signo);
  }
  std::fflush(stdout);
  running.store(nullptr);
  return worst;
}

}  // namespace
}  // namespace uxcom::xcom

int main(int argc, char** argv) { return uxcom::xcom::Main(argc, argv); }
