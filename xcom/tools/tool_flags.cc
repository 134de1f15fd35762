#include "xcom/tools/tool_flags.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "net/address.h"

namespace uxcom::xcom::tools {

absl::Status ParseSupportedVersion(std::string_view text, xdr::ProtocolVersion* out) {
  std::optional<xdr::ProtocolVersion> v = xdr::ParseProtocolVersion(text);
  if (!v || !xdr::IsSupported(*v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", std::string(text), "' is not a protocol version ",
                     xdr::DescribeProtocolVersion(xdr::kMinProtocolVersion), " … ",
                     xdr::DescribeProtocolVersion(xdr::kNewestProtocolVersion)));
  }
  *out = *v;
  return absl::OkStatus();
}

void AddVersionFlag(cli::FlagSet& flags, std::string name, xdr::ProtocolVersion* value,
                    std::string help) {
  flags.Custom(std::move(name), "VERSION", std::move(help),
               [value](std::string_view text) { return ParseSupportedVersion(text, value); });
}

absl::Status CheckAddress(std::string_view address) {
  absl::StatusOr<net::HostPort> hp = net::ParseHostPort(address);
  if (!hp.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", std::string(address), "' is not HOST:PORT (", hp.status().message(), ")"));
  }
  return absl::OkStatus();
}

void AddAddressFlag(cli::FlagSet& flags, std::string name, std::string* value, std::string help) {
  flags.Custom(std::move(name), "HOST:PORT", std::move(help), [value](std::string_view text) {
    if (absl::Status s = CheckAddress(text); !s.ok()) return s;
    *value = std::string(text);
    return absl::OkStatus();
  });
}

void AddAddressListFlag(cli::FlagSet& flags, std::string name, std::vector<std::string>* value,
                        std::string help) {
  flags.Custom(std::move(name), "A,B,…", std::move(help), [value](std::string_view text) {
    std::vector<std::string> list =
        absl::StrSplit(absl::string_view(text.data(), text.size()), ',', absl::SkipEmpty());
    if (list.empty()) return absl::InvalidArgumentError("needs at least one HOST:PORT");
    for (size_t i = 0; i < list.size(); ++i) {
      if (absl::Status s = CheckAddress(list[i]); !s.ok()) return s;
      if (std::find(list.begin(), list.begin() + static_cast<long>(i), list[i]) !=
          list.begin() + static_cast<long>(i)) {
        return absl::InvalidArgumentError(absl::StrCat("'", list[i], "' is listed twice"));
      }
    }
    *value = std::move(list);
    return absl::OkStatus();
  });
}

net::ExecutorOptions ToolExecutorOptions(bool verbose) {
  net::ExecutorOptions o;
  if (verbose) {
    o.on_backend = [](const net::BackendChoice& c) {
      std::fprintf(stderr, "uxcom/net: %s\n", c.ToString().c_str());
    };
  }
  return o;
}

}  // namespace uxcom::xcom::tools
