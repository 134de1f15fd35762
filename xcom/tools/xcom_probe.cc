// xcom_probe HOST:PORT: does an XCom endpoint answer, and with which protocol version?
//
// Connects to any XCom endpoint (a uxcom node or a MySQL Group Replication member's XCom
// port, 33061 by default), with TLS first when --ssl_mode says so (as a member dials), sends the
// version request an 8.0.18 node sends, and prints the version the endpoint chose and the round
// trip:
//
//   $ xcom_probe 10.0.0.5:33061
//   10.0.0.5:33061: XCom protocol x_1_6 (7), negotiation round trip 0.213 ms
//   $ xcom_probe --ssl_mode=VERIFY_IDENTITY --ssl_ca=ca.pem db1.example.com:33061
//   db1.example.com:33061: XCom protocol x_1_6 (7) over TLSv1.3 (TLS_AES_256_GCM_SHA384), …
//
// A plaintext probe that the endpoint closes without an answer tries a TLS handshake: when the
// endpoint answers it, the probe says the peer speaks TLS (exit 4) instead of guessing at an
// allowlist. TLS flags: tls_flags.h (--ssl_mode, --ssl_cert, --ssl_key, --ssl_ca, …; a probe
// needs a certificate only when the group requires client certificates).
//
// Exit status: 0 answered; 1 refused, unreachable, unknown host, or the TLS handshake failed;
// 2 timed out; 3 answered but not as XCom does, no version in common, or closed without
// answering (an allowlist, the IPv6 gate); 4 the peer speaks TLS (rerun with --ssl_mode);
// 64 usage error.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "net/executor.h"
#include "net/tls_failure.h"
#include "xcom/client.h"
#include "xcom/tools/tls_flags.h"

ABSL_FLAG(std::string, max_version, "x_1_6", "highest protocol version to propose");
ABSL_FLAG(std::string, min_version, "x_1_0", "lowest protocol version to accept");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(5), "connect and answer timeout, each");
ABSL_FLAG(int, count, 1, "negotiations to run (one connection each); min/avg/max are printed");

namespace uxcom::xcom {
namespace {

int ExitCodeFor(const absl::Status& s) {
  if (PeerSpeaksTls(s)) return 4;
  if (net::TlsFailureOf(s).has_value()) return 1;
  if (absl::IsDeadlineExceeded(s)) return 2;
  if (absl::IsFailedPrecondition(s)) return 3;
  return 1;
}

int Run(const std::string& address) {
  std::optional<xdr::ProtocolVersion> max =
      xdr::ParseProtocolVersion(absl::GetFlag(FLAGS_max_version));
  std::optional<xdr::ProtocolVersion> min =
      xdr::ParseProtocolVersion(absl::GetFlag(FLAGS_min_version));
  if (!max || !min || !xdr::IsSupported(*max) || !xdr::IsSupported(*min) || *min > *max) {
    std::fprintf(stderr, "xcom_probe: --min_version/--max_version must be x_1_0 … x_1_6\n");
    return 64;
  }
  int count = absl::GetFlag(FLAGS_count);
  if (count < 1) {
    std::fprintf(stderr, "xcom_probe: --count must be at least 1\n");
    return 64;
  }
  absl::StatusOr<TlsOptions> tls = TlsOptionsFromFlags();
  if (!tls.ok()) {
    std::fprintf(stderr, "xcom_probe: %s\n", std::string(tls.status().message()).c_str());
    return 64;
  }
  std::shared_ptr<net::TlsContext> context;
  if (tls->enabled()) {
    absl::StatusOr<std::shared_ptr<net::TlsContext>> c = MakeTlsContext(*tls, /*serves=*/false);
    if (!c.ok()) {
      std::fprintf(stderr, "xcom_probe: %s\n", std::string(c.status().message()).c_str());
      return 64;
    }
    context = *std::move(c);
  }
  absl::StatusOr<std::unique_ptr<net::Executor>> ex = net::Executor::Create();
  if (!ex.ok()) {
    std::fprintf(stderr, "xcom_probe: %s\n", ex.status().ToString().c_str());
    return 1;
  }
  net::Duration timeout = absl::ToChronoNanoseconds(absl::GetFlag(FLAGS_timeout));
  ClientOptions options{
      .min_version = *min, .max_version = *max, .connect_timeout = timeout, .timeout = timeout};
  options.ssl_mode = tls->mode;
  options.tls = context.get();
  std::string over;  // " over TLSv1.3 (TLS_AES_256_GCM_SHA384)"
  std::vector<double> rtts_ms;
  xdr::ProtocolVersion version = xdr::ProtocolVersion::kUnknown;
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<ClientResult> r = (*ex)->BlockOn(Negotiate(**ex, address, options));
    if (!r.ok()) {
      std::fprintf(stderr, "xcom_probe: %s%s\n", std::string(r.status().message()).c_str(),
                   PeerSpeaksTls(r.status())
                       ? "\nxcom_probe: rerun with --ssl_mode=REQUIRED (or VERIFY_CA / "
                         "VERIFY_IDENTITY with --ssl_ca)"
                       : "");
      return ExitCodeFor(r.status());
    }
    version = r->version;
    if (!r->tls_version.empty())
      over = absl::StrCat(" over ", r->tls_version, " (", r->tls_cipher, ")");
    rtts_ms.push_back(std::chrono::duration<double, std::milli>(r->negotiation_rtt).count());
  }
  std::string name = xdr::DescribeProtocolVersion(version);
  if (count == 1) {
    std::printf("%s: XCom protocol %s%s, negotiation round trip %.3f ms\n", address.c_str(),
                name.c_str(), over.c_str(), rtts_ms[0]);
  } else {
    double lo = rtts_ms[0], hi = rtts_ms[0], sum = 0;
    for (double v : rtts_ms) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
    }
    std::printf(
        "%s: XCom protocol %s%s, %d negotiations, round trip min/avg/max %.3f/%.3f/%.3f ms\n",
        address.c_str(), name.c_str(), over.c_str(), count, lo, sum / count, hi);
  }
  return 0;
}

}  // namespace
}  // namespace uxcom::xcom

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "xcom_probe HOST:PORT [--max_version=x_1_6] [--timeout=5s] [--count=1]\n"
      "           [--ssl_mode=REQUIRED|VERIFY_CA|VERIFY_IDENTITY --ssl_ca=ca.pem "
      "[--ssl_cert=… --ssl_key=…]]\n"
      "Negotiates the XCom protocol with an endpoint and prints the version and round trip.\n"
      "Exit status: 0 answered, 1 unreachable or TLS failed, 2 timed out, 3 not XCom / no "
      "common version, 4 the peer speaks TLS (use --ssl_mode).");
  uxcom::xcom::NormalizeFlagSpelling(argc, argv);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    std::fprintf(stderr, "usage: xcom_probe HOST:PORT (see --help)\n");
    return 64;
  }
  return uxcom::xcom::Run(args[1]);
}
