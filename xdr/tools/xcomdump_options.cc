#include "xdr/tools/xcomdump_options.h"

#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tools/cli/flags.h"
#include "xdr/enums.h"

namespace uxcom::xdr::tools {
namespace {

constexpr char kDescription[] =
    R"(Reads XCom traffic (MySQL Group Replication, protocols x_1_0 … x_1_9) and prints one JSON
object per frame; with --encode reads such objects, one per line, and writes the frames.

Inputs: a capture file (pcap or pcapng, as tcpdump, dumpcap or Wireshark write them), a live
interface (-i IFACE, root or CAP_NET_RAW; the arguments after the flags are a BPF filter as
for tcpdump), or raw frames (bytes as they travel on one connection). FILE "-" or no FILE
reads standard input (a capture there too: tcpdump -w - | xcomdump). The format is
recognised from the first bytes.

Captures: every TCP connection is reassembled per direction (retransmissions and overlaps
delivered once, out-of-order segments put back in order), then cut into frames. A stream
that starts in the middle of a frame, or resumes after bytes the capture lacks, is searched
for the next frame (a plausible header whose body decodes): the bytes skipped are reported.

Records, one JSON object per line:
  {"header": {...}, "pax_msg": {...}}   a normal frame (golden manifest conventions,
                                        xdr/README.md); "trailing_bytes", "non_canonical"
                                        when they apply
  {"header": {...}}                     a negotiation frame (or an unknown type)
  captures add to each frame, first:    "time" (capture time, UTC), "conn" (connection
    number), "src", "dst" (HOST:PORT), "direction" (client_to_server, server_to_client,
    or unknown when neither the handshake nor the negotiation was captured)
  {"gap": {...}}                        bytes of a connection the capture does not have
                                        (offset, bytes, reason, the frame it cut into)
  {"resync": {...}}                     framing found again: where the search started,
                                        where frames resumed, bytes skipped, why
  {"error": {...}}                      a frame that should have decoded and did not:
                                        offset, frame_offset, field, reason, source
  {"connection": {...}}                 --summary: per connection and direction, frames by
                                        op, bytes, versions, first/last time, gaps, resyncs
  {"capture": {...}}                    at the end of a capture: packets, TCP segments,
                                        truncated and skipped packets, kernel drops (live)
  {"stopped": {...}}                    after SIGINT/SIGTERM: the signal and the totals)";

constexpr char kEpilog[] =
    R"(Exit status: 0 every frame decoded (gaps and resynchronisations are not failures);
1 a frame did not decode ("error" records) or a capture file is damaged, after printing
everything before it; 64 usage error (a flag, a BPF filter); 66 an input cannot be opened
(no such file or interface); 77 no permission (live capture without root or CAP_NET_RAW,
an unreadable file). SIGINT or SIGTERM stops reading (a live capture first reads what the
kernel already captured, for at most 1 s): what was read is printed, then a "stopped"
record, and the status is as above.

Examples:
  xcomdump group.pcapng --summary
  xcomdump -i any tcp port 33061 --op=learn_op,tiny_learn_op
  tcpdump -i eth0 -w - port 33061 | xcomdump --peer=10.0.0.5
  xcomdump --encode frames.jsonl -o frames.bin)";

template <typename E>
absl::Status ParseNames(std::string_view text, std::set<std::string>* out, const char* prefix) {
  for (absl::string_view piece :
       absl::StrSplit(absl::string_view(text.data(), text.size()), ',', absl::SkipEmpty())) {
    std::string name(piece);
    if (!EnumFromName<E>(name) && EnumFromName<E>(prefix + name)) name = prefix + name;
    if (!EnumFromName<E>(name)) {
      std::vector<std::string> known;
      for (const EnumNameEntry& k : EnumTraits<E>::kNames) known.emplace_back(k.name);
      return absl::InvalidArgumentError(
          absl::StrCat("'", name, "' is not one of ", absl::StrJoin(known, ", ")));
    }
    out->insert(name);
  }
  if (out->empty()) return absl::InvalidArgumentError("needs at least one name");
  return absl::OkStatus();
}

}  // namespace

std::optional<int> ParseXcomdumpArgs(const std::vector<std::string>& args, XcomdumpOptions& o,
                                     std::ostream& out, std::ostream& err) {
  cli::FlagSet flags("xcomdump",
                     "[OPTIONS] [FILE...]\n       xcomdump -i IFACE [OPTIONS] [BPF FILTER...]\n    "
                     "   xcomdump --encode [OPTIONS] [FILE...]",
                     kDescription);
  std::string interface;
  flags.String("interface", &interface,
               "capture live on IFACE (any: every interface); the arguments are a BPF filter");
  flags.Alias("-i", "interface");
  flags.String("filter", &o.filter, "BPF filter for capture files too ('tcp port 33061')");
  flags.Int("snaplen", &o.snapshot_length, "bytes kept per packet in a live capture", 64, 262144);
  flags.Custom("op", "NAME[,NAME]", "print only frames of these pax_ops (learn_op, …)",
               [&](std::string_view v) { return ParseNames<PaxOp>(v, &o.ops, ""); });
  flags.Custom("type", "NAME[,NAME]",
               "print only frames of these x_msg_types: normal, version_req, version_reply",
               [&](std::string_view v) { return ParseNames<MessageType>(v, &o.types, "x_"); });
  flags.Custom("peer", "HOST[:PORT][,…]",
               "print only records of connections with this endpoint at either end",
               [&](std::string_view v) {
                 for (absl::string_view p : absl::StrSplit(absl::string_view(v.data(), v.size()),
                                                           ',', absl::SkipEmpty())) {
                   o.peers.emplace_back(p);
                 }
                 if (o.peers.empty()) return absl::InvalidArgumentError("needs an address");
                 return absl::OkStatus();
               });
  flags.Bool("summary", &o.summary,
             "no per-frame records: one \"connection\" record per connection at the end");
  flags.Bool("encode", &o.encode,
             "JSON lines in, frames out (to standard output, or -o). A header's \"length\" "
             "may be\nomitted: it is computed. Blank lines are skipped.");
  std::string output;
  flags.String("output", &output, "write to FILE instead of standard output");
  flags.Alias("-o", "output");
  flags.Bool("pretty", &o.pretty, "indent the JSON (several lines per record)");
  flags.Bool("with_offsets", &o.with_offsets,
             "add \"offset\": N, the frame's position in its stream");
  flags.Custom("decode_as", "VERSION",
               "decode every body with VERSION (x_1_4, or 5) instead of its header's:\nfor a "
               "peer that mislabels its frames",
               [&](std::string_view v) {
                 std::optional<ProtocolVersion> version = ParseProtocolVersion(v);
                 if (!version || !IsSupported(*version)) {
                   return absl::InvalidArgumentError(absl::StrCat(
                       "'", std::string(v), "' is not a version x_1_0 … x_1_9 (or 1 … 10)"));
                 }
                 o.decode_as = version;
                 return absl::OkStatus();
               });
  flags.Bool("keep_going", &o.keep_going,
             "after a frame that does not decode, search for the next one and go on\n(the "
             "exit status is still 1)");
  uint64_t max_body = o.max_body_size, max_blob = 0;
  bool like_8018 = false;
  flags.Uint("max_body_size", &max_body,
             "refuse frames announcing more than N body bytes (default 1073741824)");
  flags.Uint("max_blob_bytes", &max_blob,
             "accept blobs up to N bytes (default: the profile's MAXBLOB, 1024 for 8.0.18,\n"
             "10000000 for 8.0.39)",
             UINT32_MAX);
  flags.Custom("profile", "RELEASE",
               "the rules of the release that sent (or will receive) the frames, both\n"
               "directions: 8.0.39 (default) or 8.0.18. They differ only at x_1_0 … x_1_6:\n"
               "MAXBLOB, configs, cargo 3, x_1_3's layout, enum names. 8.0.39's are those of\n"
               "every release a group runs today and of every x_1_7+ frame; use 8.0.18 for\n"
               "captures of 8.0.18 groups (x_1_3 frames, cargo 3 repositories)",
               [&o](std::string_view v) {
                 std::optional<Profile> p = ParseProfile(v);
                 if (!p) return absl::InvalidArgumentError("must be 8.0.18 or 8.0.39");
                 o.profile = *p;
                 return absl::OkStatus();
               });
  flags.Bool("like_mysql", &o.like_mysql,
             "--encode: accept what the profile's release itself would send (cargo types\n"
             "newer than the frame's version, x_1_0 node addresses over 1024 bytes with\n"
             "8.0.18, fields the version does not carry are ignored); default: refuse them");
  flags.Bool("like_8018", &like_8018, "--profile=8.0.18 --like_mysql");
  uint64_t reorder = o.max_reorder_bytes, connections = o.max_connections,
           resync_max = o.resync_max_body;
  flags.Uint("max_reorder_bytes", &reorder,
             "out-of-order bytes held per connection direction while a hole is open; beyond,\n"
             "the hole is reported as a gap (default 8 MiB)");
  flags.Duration("max_hole_age", &o.max_hole_age,
                 "a hole still open after this long (capture time) is a gap (default 10s)");
  flags.Uint("max_connections", &connections,
             "connections tracked at once; the one idle longest is closed to make room\n"
             "(default 4096)",
             1u << 20);
  flags.Uint("resync_max_body", &resync_max,
             "while searching for a frame, longer candidates are not waited for\n"
             "(default 16 MiB)");
  flags.Epilog(kEpilog);

  std::vector<std::string> positional;
  if (std::optional<int> exit = flags.ParseOrExit(args, &positional, out, err)) return exit;
  o.max_body_size = max_body;
  if (max_blob != 0) o.max_blob_bytes = static_cast<uint32_t>(max_blob);
  if (like_8018) {
    o.profile = Profile::k8_0_18;
    o.like_mysql = true;
  }
  o.max_reorder_bytes = reorder;
  o.max_connections = connections;
  o.resync_max_body = resync_max;
  if (!output.empty()) o.output = output;
  if (!interface.empty()) {
    o.interface = interface;
    if (o.encode) return flags.UsageError(err, "--encode", "cannot be combined with -i");
    if (!positional.empty()) {
      if (!o.filter.empty()) {
        return flags.UsageError(err, "--filter",
                                "give the BPF filter either as --filter or as arguments");
      }
      o.filter = absl::StrJoin(positional, " ");
    }
  } else {
    o.files = positional.empty() ? std::vector<std::string>{"-"} : positional;
  }
  if (o.encode && (o.summary || o.filtering())) {
    return flags.UsageError(err, "--encode",
                            "cannot be combined with --summary, --op, --type or --peer");
  }
  if (o.max_connections == 0) return flags.UsageError(err, "--max_connections", "must be ≥ 1");
  return std::nullopt;
}

}  // namespace uxcom::xdr::tools
