#include "xdr/tools/xcomdump.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "xdr/arena.h"
#include "xdr/buffer.h"
#include "xdr/codec_error.h"
#include "xdr/decode.h"
#include "xdr/encode.h"
#include "xdr/frame_header.h"
#include "xdr/json.h"
#include "xdr/limits.h"

namespace uxcom::xdr::tools {
namespace {

constexpr std::string_view kUsage = R"(usage: xcomdump [OPTIONS] [FILE...]
       xcomdump --encode [OPTIONS] [FILE...]

Reads XCom frames (MySQL Group Replication, protocols x_1_0 … x_1_9) and prints one JSON
object per frame, or with --encode reads such JSON objects, one per line, and writes the
frames. FILE "-" or no FILE reads standard input; several files are read as one stream each.

Dump output, one line per frame (the golden manifest's conventions, see xdr/README.md):
  {"header": {...}, "pax_msg": {...}}       a normal frame
  {"header": {...}}                         a negotiation frame (or an unknown type, which
                                            MySQL skips without reading a body)
  "trailing_bytes": "<hex>"                 added when bytes follow the pax_msg in its frame
  "non_canonical": true                     added when re-encoding would not reproduce the body
                                            (non-zero padding, booleans other than 0/1)
  {"error": {"offset": N, "frame_offset": N, "field": "...", "reason": "...", "source": "..."}}
                                            a frame that cannot be decoded; offsets count bytes
                                            from the start of the source

Options:
  --encode              JSON lines in, frames out (to standard output, or -o). A header's
                        "length" may be omitted: it is computed. Blank lines are skipped.
  -o FILE, --output=FILE
                        write to FILE instead of standard output
  --pretty              indent the JSON (several lines per frame)
  --with_offsets        add "offset": N, the frame's position in its source
  --profile=RELEASE     the rules of the release that sent (or will receive) the frames, both
                        directions: 8.0.39 (default) or 8.0.18. They differ only at x_1_0 …
                        x_1_6: MAXBLOB (10000000 / 1024), configs (1024 / 100), cargo 3 (no
                        arm / a repository), x_1_3's config and gcs_snapshot layout, enum names.
                        8.0.39 is the default because its routines are those of every release a
                        group runs today (8.0.2x … 8.4) and of every x_1_7+ frame; use 8.0.18 for
                        captures of 8.0.18 groups (its x_1_3 frames, cargo 3 repositories)
  --decode_as=VERSION   decode every body with VERSION (x_1_4, or 5) instead of the version in
                        its header: for investigating a peer that mislabels its frames
  --keep_going          after a frame that cannot be decoded, go on with the next one (the exit
                        status is still 1)
  --max_body_size=N     refuse frames announcing more than N body bytes (default 1073741824)
  --max_blob_bytes=N    accept blobs up to N bytes (default: the profile's MAXBLOB)
  --like_mysql          --encode: accept what the profile's release itself would send (cargo
                        types newer than the frame's version, x_1_0 node addresses over 1024
                        bytes with 8.0.18, fields the version does not carry are ignored);
                        default: refuse them
  --like_8018           --profile=8.0.18 --like_mysql
  -h, --help            this text

Exit status: 0 all frames processed, 1 malformed input (after printing what came before it),
2 usage error or unreadable file.
)";

// Longest app_data chain printed as nested JSON (the JSON writer recurses per level).
constexpr size_t kMaxPrintableChain = 10000;

struct Options {
  bool encode = false;
  std::optional<std::string> output;
  bool pretty = false;
  bool with_offsets = false;
  std::optional<ProtocolVersion> decode_as;
  bool keep_going = false;
  size_t max_body_size = kDefaultMaxBodySize;
  std::optional<uint32_t> max_blob_bytes;
  Profile profile = Profile::k8_0_39;
  bool like_mysql = false;
  std::vector<std::string> files;
};

template <typename T>
bool ParseNumber(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

// Parses flags; returns an error message, or "" on success (`help` set for -h).
std::string ParseArgs(const std::vector<std::string>& args, Options& o, bool& help) {
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](std::string_view flag) -> std::optional<std::string> {
      if (arg.starts_with(std::string(flag) + "=")) return arg.substr(flag.size() + 1);
      if (arg == flag && i + 1 < args.size()) return args[++i];
      return std::nullopt;
    };
    if (arg == "-h" || arg == "--help") {
      help = true;
    } else if (arg == "--encode") {
      o.encode = true;
    } else if (arg == "--pretty") {
      o.pretty = true;
    } else if (arg == "--with_offsets") {
      o.with_offsets = true;
    } else if (arg == "--keep_going") {
      o.keep_going = true;
    } else if (arg == "--like_mysql") {
      o.like_mysql = true;
    } else if (arg == "--like_8018") {
      o.like_mysql = true;
      o.profile = Profile::k8_0_18;
    } else if (arg.starts_with("--profile")) {
      std::optional<std::string> v = value("--profile");
      std::optional<Profile> p = v ? ParseProfile(*v) : std::nullopt;
      if (!p) return "--profile needs 8.0.18 or 8.0.39";
      o.profile = *p;
    } else if (arg == "-o" || arg.starts_with("--output")) {
      std::optional<std::string> v = arg == "-o" ? value("-o") : value("--output");
      if (!v || v->empty()) return "-o/--output needs a file name";
      o.output = *v;
    } else if (arg.starts_with("--decode_as")) {
      std::optional<std::string> v = value("--decode_as");
      std::optional<ProtocolVersion> version = v ? ParseProtocolVersion(*v) : std::nullopt;
      if (!version || !IsSupported(*version)) {
        return "--decode_as needs a version x_1_0 … x_1_9 (or 1 … 10)";
      }
      o.decode_as = version;
    } else if (arg.starts_with("--max_body_size")) {
      std::optional<std::string> v = value("--max_body_size");
      if (!v || !ParseNumber(*v, o.max_body_size)) return "--max_body_size needs a byte count";
    } else if (arg.starts_with("--max_blob_bytes")) {
      std::optional<std::string> v = value("--max_blob_bytes");
      uint32_t n = 0;
      if (!v || !ParseNumber(*v, n)) return "--max_blob_bytes needs a byte count";
      o.max_blob_bytes = n;
    } else if (arg == "-" || !arg.starts_with("-")) {
      o.files.push_back(arg);
    } else {
      return "unknown option " + arg;
    }
  }
  if (o.files.empty()) o.files.push_back("-");
  return "";
}

// Reads up to n bytes; returns how many were read (< n only at end of input).
size_t ReadUpTo(std::istream& in, std::byte* dst, size_t n) {
  in.read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(n));
  return static_cast<size_t>(in.gcount());
}

// Discards n bytes; returns how many there were.
size_t Skip(std::istream& in, uint64_t n) {
  char chunk[65536];
  uint64_t done = 0;
  while (done < n) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof chunk, n - done));
    in.read(chunk, static_cast<std::streamsize>(want));
    const size_t got = static_cast<size_t>(in.gcount());
    done += got;
    if (got < want) break;
  }
  return static_cast<size_t>(done);
}

size_t LongestChain(const PaxMsg& m) {
  size_t longest = m.a.size();
  if (m.snap) {
    for (const AppDataList& entry : m.snap->snap) longest = std::max(longest, entry.size());
  }
  return longest;
}

class Dumper {
 public:
  Dumper(const Options& o, std::ostream& out, std::ostream& err) : o_(o), out_(out), err_(err) {}

  // Dumps one source; returns false if it had a malformed frame.
  bool Source(std::istream& in, const std::string& name) {
    bool clean = true;
    uint64_t offset = 0;
    std::array<std::byte, kFrameHeaderSize> raw;
    for (;;) {
      const size_t got = ReadUpTo(in, raw.data(), raw.size());
      if (got == 0) break;
      if (got < raw.size()) {
        Error(name, offset, offset, "",
              "truncated frame header: " + std::to_string(got) + " of 12 bytes");
        return false;
      }
      const FrameHeader header = LoadFrameHeader(raw);
      if (header.type != MessageType::kNormal) {
        // MySQL reads no body for any other type, whatever the length says.
        Json j = Json::object();
        j["header"] = FrameHeaderToJson(header);
        Print(std::move(j), offset);
        offset += kFrameHeaderSize;
        continue;
      }
      if (header.length > o_.max_body_size) {
        Error(name, offset + 4, offset, "header.length",
              "frame announces " + std::to_string(header.length) + " body bytes, more than " +
                  "--max_body_size " + std::to_string(o_.max_body_size));
        clean = false;
        if (!o_.keep_going) return false;
        const size_t skipped = Skip(in, header.length);
        offset += kFrameHeaderSize + skipped;
        if (skipped < header.length) return false;
        continue;
      }
      body_.Clear();
      std::byte* dst = body_.AppendUninitialized(header.length);
      const size_t body_got = ReadUpTo(in, dst, header.length);
      if (body_got < header.length) {
        Error(name, offset + kFrameHeaderSize + body_got, offset, "",
              "truncated body: " + std::to_string(body_got) + " of " +
                  std::to_string(header.length) + " bytes");
        return false;
      }
      if (!Frame(name, header, offset)) {
        clean = false;
        if (!o_.keep_going) return false;
      }
      offset += kFrameHeaderSize + header.length;
    }
    return clean;
  }

 private:
  bool Frame(const std::string& name, const FrameHeader& header, uint64_t offset) {
    const ProtocolVersion version = o_.decode_as.value_or(header.version);
    const uint64_t body_offset = offset + kFrameHeaderSize;
    arena_.Reset();
    absl::StatusOr<Decoded> d = Decode(version, body_.span(), arena_,
                                       {.max_body_size = o_.max_body_size,
                                        .zero_copy = true,
                                        .max_blob_bytes = o_.max_blob_bytes,
                                        .profile = o_.profile});
    if (!d.ok()) {
      if (std::optional<CodecError> e = GetCodecError(d.status())) {
        Error(name, body_offset + e->offset.value_or(0), offset, e->field, e->reason);
      } else {
        Error(name, offset, offset, "header.version", std::string(d.status().message()));
      }
      return false;
    }
    if (const size_t chain = LongestChain(*d->msg); chain > kMaxPrintableChain) {
      Error(name, body_offset, offset, "a",
            "app_data chain of " + std::to_string(chain) + " elements is too long to print as " +
                "nested JSON (limit " + std::to_string(kMaxPrintableChain) + ")");
      return false;
    }
    Json j = Json::object();
    j["header"] = FrameHeaderToJson(header);
    j["pax_msg"] = PaxMsgToJson(*d->msg, version, o_.profile);
    const std::span<const std::byte> body = body_.span();
    if (d->trailing_bytes != 0) {
      j["trailing_bytes"] = HexEncode(AsBytes(body.subspan(d->consumed)));
    }
    if (!Canonical(version, *d->msg, body.first(d->consumed))) j["non_canonical"] = true;
    Print(std::move(j), offset);
    return true;
  }

  // Whether encoding the message again gives exactly the bytes it was decoded from.
  bool Canonical(ProtocolVersion v, const PaxMsg& m, std::span<const std::byte> consumed) {
    reencoded_.Clear();
    absl::StatusOr<size_t> n = AppendBody(v, m, reencoded_, EncodeOptions::LikeMySql(o_.profile));
    return n.ok() && *n == consumed.size() &&
           std::memcmp(reencoded_.data(), consumed.data(), consumed.size()) == 0;
  }

  void Print(Json j, uint64_t offset) {
    if (o_.with_offsets) {
      Json with = Json::object();
      with["offset"] = offset;
      for (auto& [k, v] : j.items()) with[k] = std::move(v);
      j = std::move(with);
    }
    out_ << j.dump(o_.pretty ? 2 : -1) << '\n';
  }

  void Error(const std::string& source, uint64_t offset, uint64_t frame_offset,
             const std::string& field, const std::string& reason) {
    Json e = Json::object();
    e["offset"] = offset;
    e["frame_offset"] = frame_offset;
    e["field"] = field;
    e["reason"] = reason;
    e["source"] = source;
    Json j = Json::object();
    j["error"] = std::move(e);
    out_ << j.dump(o_.pretty ? 2 : -1) << '\n';
    err_ << "xcomdump: " << source << ": offset " << offset << ": "
         << (field.empty() ? "" : field + ": ") << reason << '\n';
  }

  const Options& o_;
  std::ostream& out_;
  std::ostream& err_;
  Arena arena_;
  Buffer body_;
  Buffer reencoded_;
};

class Encoder {
 public:
  Encoder(const Options& o, std::ostream& out, std::ostream& err) : o_(o), out_(out), err_(err) {}

  bool Source(std::istream& in, const std::string& name) {
    std::string line;
    uint64_t offset = 0;
    for (size_t line_no = 1; std::getline(in, line); ++line_no, offset += line.size() + 1) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::string problem = Line(line);
      if (!problem.empty()) {
        Error(name, offset, line_no, problem);
        return false;
      }
    }
    return true;
  }

 private:
  // Encodes one JSON line into `out_`; returns what is wrong with it, or "".
  std::string Line(const std::string& line) {
    Json j;
    try {
      j = Json::parse(line);
    } catch (const Json::parse_error& e) {
      return std::string("not JSON: ") + e.what();
    }
    if (!j.is_object()) return "expected a JSON object";
    for (const auto& [key, value] : j.items()) {
      if (key != "header" && key != "pax_msg" && key != "trailing_bytes" && key != "offset" &&
          key != "non_canonical") {
        return "unknown field '" + key + "'";
      }
    }
    if (!j.contains("header")) return "missing field 'header'";
    Json header_json = j["header"];
    const bool length_given = header_json.is_object() && header_json.contains("length");
    if (header_json.is_object() && !length_given) header_json["length"] = 0;
    absl::StatusOr<FrameHeader> header = FrameHeaderFromJson(header_json);
    if (!header.ok()) return std::string(header.status().message());

    if (header->type != MessageType::kNormal) {
      if (j.contains("pax_msg")) return "pax_msg: only normal frames (x_type 0) carry a body";
      frame_.Clear();
      StoreFrameHeader(*header,
                       std::span<std::byte, kFrameHeaderSize>(
                           frame_.AppendUninitialized(kFrameHeaderSize), kFrameHeaderSize));
      Write();
      return "";
    }
    if (!j.contains("pax_msg")) return "missing field 'pax_msg' (a normal frame has a body)";
    arena_.Reset();
    absl::StatusOr<PaxMsg*> msg = PaxMsgFromJson(j["pax_msg"], header->version, arena_, o_.profile);
    if (!msg.ok()) return std::string(msg.status().message());
    std::string trailing;
    if (j.contains("trailing_bytes")) {
      const Json& t = j["trailing_bytes"];
      if (!t.is_string()) return "trailing_bytes: expected a hex string";
      if (!ParseHex(t.get<std::string>(), trailing))
        return "trailing_bytes: not an even number of hex digits";
    }
    const EncodeOptions options =
        o_.like_mysql ? EncodeOptions::LikeMySql(o_.profile) : EncodeOptions{.profile = o_.profile};
    absl::StatusOr<size_t> size = EncodedSize(header->version, **msg, options);
    if (!size.ok()) return std::string(size.status().message());
    const uint64_t length = *size + trailing.size();
    if (length_given && header->length != length) {
      return "header.length " + std::to_string(header->length) + " does not match the body (" +
             std::to_string(length) + " bytes); omit it to have it computed";
    }
    if (length > kMaxBodySize) return "the frame exceeds 4 GiB";
    FrameHeader h = *header;
    h.length = static_cast<uint32_t>(length);
    frame_.Clear();
    StoreFrameHeader(h, std::span<std::byte, kFrameHeaderSize>(
                            frame_.AppendUninitialized(kFrameHeaderSize), kFrameHeaderSize));
    absl::StatusOr<size_t> body = AppendBody(header->version, **msg, frame_, options);
    if (!body.ok()) return std::string(body.status().message());
    std::memcpy(frame_.AppendUninitialized(trailing.size()), trailing.data(), trailing.size());
    Write();
    return "";
  }

  static bool ParseHex(const std::string& hex, std::string& out) {
    if (hex.size() % 2 != 0) return false;
    auto digit = [](char c) {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    for (size_t i = 0; i < hex.size(); i += 2) {
      const int hi = digit(hex[i]), lo = digit(hex[i + 1]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
    }
    return true;
  }

  void Write() {
    out_.write(reinterpret_cast<const char*>(frame_.data()),
               static_cast<std::streamsize>(frame_.size()));
  }

  void Error(const std::string& source, uint64_t offset, size_t line, const std::string& reason) {
    Json e = Json::object();
    e["offset"] = offset;
    e["line"] = line;
    e["reason"] = reason;
    e["source"] = source;
    Json j = Json::object();
    j["error"] = std::move(e);
    // Frames go to the output; the error object to the diagnostics stream.
    err_ << j.dump() << '\n';
  }

  const Options& o_;
  std::ostream& out_;
  std::ostream& err_;
  Arena arena_;
  Buffer frame_;
};

}  // namespace

int XcomdumpMain(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                 std::ostream& err) {
  Options o;
  bool help = false;
  if (std::string problem = ParseArgs(args, o, help); !problem.empty()) {
    err << "xcomdump: " << problem << "\n(xcomdump --help for usage)\n";
    return kExitUsage;
  }
  if (help) {
    out << kUsage;
    return kExitOk;
  }
  std::ofstream file_out;
  std::ostream* sink = &out;
  if (o.output) {
    file_out.open(*o.output, std::ios::binary | std::ios::trunc);
    if (!file_out) {
      err << "xcomdump: cannot write " << *o.output << "\n";
      return kExitUsage;
    }
    sink = &file_out;
  }
  Dumper dumper(o, *sink, err);
  Encoder encoder(o, *sink, err);
  bool clean = true;
  for (const std::string& name : o.files) {
    std::ifstream file;
    std::istream* source = &in;
    if (name != "-") {
      file.open(name, std::ios::binary);
      if (!file) {
        err << "xcomdump: cannot read " << name << "\n";
        return kExitUsage;
      }
      source = &file;
    }
    const std::string label = name == "-" ? "<stdin>" : name;
    const bool ok = o.encode ? encoder.Source(*source, label) : dumper.Source(*source, label);
    clean = clean && ok;
    if (!ok && !o.keep_going) break;
  }
  sink->flush();
  return clean ? kExitOk : kExitMalformedInput;
}

}  // namespace uxcom::xdr::tools
