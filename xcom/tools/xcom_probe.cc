// xcom_probe HOST:PORT: does an XCom endpoint answer, and with which protocol version?
//
// Connects to any XCom endpoint (a uxcom node or a MySQL Group Replication member's XCom
// port, 33061 by default, with SSL off), sends the version request a MySQL 8.0.27 … 8.4 node
// sends (x_1_9, the newest uxcom speaks), and prints the version the endpoint chose and the
// round trip. An endpoint answers min(request, its maximum), so the answer is what the member
// really speaks: x_1_6 for 8.0.18, x_1_9 for 8.0.27 … 8.4.
//
//   $ xcom_probe 10.0.0.5:33061
//   10.0.0.5:33061: XCom protocol x_1_9 (10), negotiation round trip 0.213 ms
//   $ xcom_probe --max_version=x_1_6 10.0.0.5:33061    # what an 8.0.18 node would get
//
// Exit status: 0 answered; 1 refused, unreachable or unknown host; 2 timed out; 3 answered but
// not as XCom does, no version in common, or closed without answering (an allowlist, the IPv6
// gate); 64 usage error.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "net/executor.h"
#include "xcom/client.h"

ABSL_FLAG(std::string, max_version, "x_1_9", "highest protocol version to propose");
ABSL_FLAG(std::string, min_version, "x_1_0", "lowest protocol version to accept");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(5), "connect and answer timeout, each");
ABSL_FLAG(int, count, 1, "negotiations to run (one connection each); min/avg/max are printed");

namespace uxcom::xcom {
namespace {

int ExitCodeFor(const absl::Status& s) {
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
    std::fprintf(stderr,
                 "xcom_probe: --min_version/--max_version must be x_1_0 … x_1_9 (min <= max)\n");
    return 64;
  }
  int count = absl::GetFlag(FLAGS_count);
  if (count < 1) {
    std::fprintf(stderr, "xcom_probe: --count must be at least 1\n");
    return 64;
  }
  absl::StatusOr<std::unique_ptr<net::Executor>> ex = net::Executor::Create();
  if (!ex.ok()) {
    std::fprintf(stderr, "xcom_probe: %s\n", ex.status().ToString().c_str());
    return 1;
  }
  net::Duration timeout = absl::ToChronoNanoseconds(absl::GetFlag(FLAGS_timeout));
  ClientOptions options{
      .min_version = *min, .max_version = *max, .connect_timeout = timeout, .timeout = timeout};
  std::vector<double> rtts_ms;
  xdr::ProtocolVersion version = xdr::ProtocolVersion::kUnknown;
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<ClientResult> r = (*ex)->BlockOn(Negotiate(**ex, address, options));
    if (!r.ok()) {
      std::fprintf(stderr, "xcom_probe: %s\n", std::string(r.status().message()).c_str());
      return ExitCodeFor(r.status());
    }
    version = r->version;
    rtts_ms.push_back(std::chrono::duration<double, std::milli>(r->negotiation_rtt).count());
  }
  std::string name = xdr::DescribeProtocolVersion(version);
  if (count == 1) {
    std::printf("%s: XCom protocol %s, negotiation round trip %.3f ms\n", address.c_str(),
                name.c_str(), rtts_ms[0]);
  } else {
    double lo = rtts_ms[0], hi = rtts_ms[0], sum = 0;
    for (double v : rtts_ms) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
    }
    std::printf("%s: XCom protocol %s, %d negotiations, round trip min/avg/max %.3f/%.3f/%.3f ms\n",
                address.c_str(), name.c_str(), count, lo, sum / count, hi);
  }
  return 0;
}

}  // namespace
}  // namespace uxcom::xcom

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "xcom_probe HOST:PORT [--max_version=x_1_9] [--timeout=5s] [--count=1]\n"
      "Negotiates the XCom protocol with an endpoint and prints the version and round trip.\n"
      "Exit status: 0 answered, 1 unreachable, 2 timed out, 3 not XCom / no common version.");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    std::fprintf(stderr, "usage: xcom_probe HOST:PORT (see --help)\n");
    return 64;
  }
  return uxcom::xcom::Run(args[1]);
}
