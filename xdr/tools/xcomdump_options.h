// xcomdump's command line: every flag, its usage text and its checks (one FlagSet, see
// tools/cli/flags.h). `xcomdump --help` prints the whole interface.
#ifndef UXCOM_XDR_TOOLS_XCOMDUMP_OPTIONS_H_
#define UXCOM_XDR_TOOLS_XCOMDUMP_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "xdr/limits.h"
#include "xdr/profile.h"
#include "xdr/protocol_version.h"

namespace uxcom::xdr::tools {

struct XcomdumpOptions {
  // --- what to read ---
  std::vector<std::string> files;        // "-" is standard input
  std::optional<std::string> interface;  // -i: live capture
  std::string filter;                    // BPF expression (captures only)
  int snapshot_length = 262144;          // live capture
  // --- how to decode ---
  bool encode = false;
  std::optional<std::string> output;
  bool pretty = false;
  bool with_offsets = false;
  std::optional<ProtocolVersion> decode_as;
  bool keep_going = false;
  size_t max_body_size = kDefaultMaxBodySize;
  std::optional<uint32_t> max_blob_bytes;  // unset: the profile's MAXBLOB
  // The release whose rules apply, both directions (they differ only at x_1_0 … x_1_6).
  Profile profile = Profile::k8_0_39;
  bool like_mysql = false;  // --encode: accept what the profile's release itself would send
  // --- captures ---
  size_t max_reorder_bytes = size_t{8} << 20;
  absl::Duration max_hole_age = absl::Seconds(10);
  size_t max_connections = 4096;
  size_t resync_max_body = size_t{16} << 20;
  // --- what to print ---
  std::set<std::string> ops;       // --op: pax_op names; empty: all
  std::set<std::string> types;     // --type: x_msg_type names; empty: all
  std::vector<std::string> peers;  // --peer: HOST or HOST:PORT; empty: all
  bool summary = false;

  bool filtering() const { return !ops.empty() || !types.empty() || !peers.empty(); }
};

// Parses args (args[0] is the program name). nullopt: run with `o`; otherwise the exit
// status (0 after --help, 64 after a usage error, both already printed).
std::optional<int> ParseXcomdumpArgs(const std::vector<std::string>& args, XcomdumpOptions& o,
                                     std::ostream& out, std::ostream& err);

}  // namespace uxcom::xdr::tools

#endif  // UXCOM_XDR_TOOLS_XCOMDUMP_OPTIONS_H_
