// Flags the XCom tools share, declared on their cli::FlagSet (tools/cli/flags.h): protocol
// versions and XCom addresses, checked when parsed so that a bad value is a usage error (64)
// naming the flag. A TLS option group slots in the same way (AddTlsFlags(flags, &tls)).
//
//   cli::FlagSet flags("xcom_node", "--self=HOST:PORT --members=A,B,C", "…");
//   xdr::ProtocolVersion max = kNewestProtocolVersion;
//   AddVersionFlag(flags, "max_version", &max, "highest protocol version spoken");
//   std::vector<std::string> members;
//   AddAddressListFlag(flags, "members", &members, "every member, in node order");
#ifndef UXCOM_XCOM_TOOLS_TOOL_FLAGS_H_
#define UXCOM_XCOM_TOOLS_TOOL_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "net/executor.h"
#include "tools/cli/flags.h"
#include "xdr/protocol_version.h"

namespace uxcom::xcom::tools {

// The newest protocol version uxcom speaks: what the tools offer by default. The one place to
// change when the codec learns newer versions.
inline constexpr xdr::ProtocolVersion kNewestProtocolVersion = xdr::kNewestProtocolVersion;

// A version the codec has a layout for, as a name (x_1_4) or a wire value (5).
absl::Status ParseSupportedVersion(std::string_view text, xdr::ProtocolVersion* out);
void AddVersionFlag(cli::FlagSet& flags, std::string name, xdr::ProtocolVersion* value,
                    std::string help);

// An XCom address HOST:PORT ([IPv6]:PORT), with the rules of net::ParseHostPort.
absl::Status CheckAddress(std::string_view address);
void AddAddressFlag(cli::FlagSet& flags, std::string name, std::string* value, std::string help);
// A comma-separated list of addresses, each checked, no address twice.
void AddAddressListFlag(cli::FlagSet& flags, std::string name, std::vector<std::string>* value,
                        std::string help);

// A tool's executor options: with --verbose every backend choice is printed on stderr
// ("uxcom/net: backend io_uring (…)"); without it, only a fallback from io_uring to epoll is,
// once per process (ExecutorOptions::on_backend's default), so a routine run prints nothing.
net::ExecutorOptions ToolExecutorOptions(bool verbose);

}  // namespace uxcom::xcom::tools

#endif  // UXCOM_XCOM_TOOLS_TOOL_FLAGS_H_
