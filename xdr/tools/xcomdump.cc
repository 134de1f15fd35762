#include "xdr/tools/xcomdump.h"

#include <algorithm>
#include <array>
#include <cerrno>
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
#include "xdr/tools/capture_dump.h"
#include "xdr/tools/dump_stream.h"
#include "xdr/tools/frame_decoder.h"
#include "xdr/tools/input_format.h"
#include "xdr/tools/xcomdump_options.h"

namespace uxcom::xdr::tools {
namespace {

// Longest app_data chain printed as nested JSON (the JSON writer recurses per level).
constexpr size_t kMaxPrintableChain = 10000;

size_t LongestChain(const PaxMsg& m) {
  size_t longest = m.a.size();
  if (m.snap) {
    for (const AppDataList& entry : m.snap->snap) longest = std::max(longest, entry.size());
  }
  return longest;
}

class Encoder {
 public:
  Encoder(const XcomdumpOptions& o, std::ostream& out, std::ostream& err)
      : o_(o), out_(out), err_(err) {}

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

  const XcomdumpOptions& o_;
  std::ostream& out_;
  std::ostream& err_;
  Arena arena_;
  Buffer frame_;
};

}  // namespace

// The per-frame decode: every input path calls this one function (frame_decoder.h).
FrameVerdict FrameDecoder::Decode(const FrameHeader& header, std::span<const std::byte> body) {
  FrameVerdict v;
  if (header.type != MessageType::kNormal) {
    // MySQL reads no body for any other type, whatever the length says.
    v.decoded = true;
    v.json = Json::object();
    v.json["header"] = FrameHeaderToJson(header);
    return v;
  }
  const ProtocolVersion version = o_.decode_as.value_or(header.version);
  arena_.Reset();
  absl::StatusOr<Decoded> d = xdr::Decode(version, body, arena_,
                                          {.max_body_size = o_.max_body_size,
                                           .zero_copy = true,
                                           .max_blob_bytes = o_.max_blob_bytes,
                                           .profile = o_.profile});
  if (!d.ok()) {
    if (std::optional<CodecError> e = GetCodecError(d.status())) {
      v.error_offset = e->offset.value_or(0);
      v.field = e->field;
      v.reason = e->reason;
    } else {
      v.error_offset = 0;
      v.field = "header.version";
      v.reason = std::string(d.status().message());
    }
    return v;
  }
  if (const size_t chain = LongestChain(*d->msg); chain > kMaxPrintableChain) {
    v.field = "a";
    v.reason = "app_data chain of " + std::to_string(chain) +
               " elements is too long to print as nested JSON (limit " +
               std::to_string(kMaxPrintableChain) + ")";
    return v;
  }
  v.decoded = true;
  v.trailing_bytes = d->trailing_bytes != 0;
  v.json = Json::object();
  v.json["header"] = FrameHeaderToJson(header);
  v.json["pax_msg"] = PaxMsgToJson(*d->msg, version, o_.profile);
  if (d->trailing_bytes != 0) {
    v.json["trailing_bytes"] = HexEncode(AsBytes(body.subspan(d->consumed)));
  }
  if (!Canonical(version, *d->msg, body.first(d->consumed))) v.json["non_canonical"] = true;
  return v;
}

bool FrameDecoder::Canonical(ProtocolVersion v, const PaxMsg& m,
                             std::span<const std::byte> consumed) {
  reencoded_.Clear();
  absl::StatusOr<size_t> n = AppendBody(v, m, reencoded_, EncodeOptions::LikeMySql(o_.profile));
  return n.ok() && *n == consumed.size() &&
         std::memcmp(reencoded_.data(), consumed.data(), consumed.size()) == 0;
}

namespace {

// Exit status for an input that cannot be opened.
int OpenFailure(const absl::Status& s) {
  return absl::IsPermissionDenied(s) ? kExitNoPermission : kExitNoInput;
}

// The input named `name`: `in` for "-", else `file` opened on it. nullptr (and the message
// on `err`, the exit status in `exit`) when it cannot be read.
std::istream* OpenInput(const std::string& name, std::istream& in, std::ifstream& file,
                        std::ostream& err, int* exit) {
  if (name == "-") return &in;
  file.open(name, std::ios::binary);
  if (!file) {
    const int saved = errno;
    err << "xcomdump: cannot read " << name << ": " << std::strerror(saved) << "\n";
    *exit = saved == EACCES ? kExitNoPermission : kExitNoInput;
    return nullptr;
  }
  return &file;
}

// Reads and dumps one input (a file, or `in` for "-").
int DumpInput(const std::string& name, std::istream& in, const XcomdumpOptions& o,
              RecordPrinter& printer, FrameDecoder& decoder, std::ostream& err,
              const cli::StopSignals* stop, bool& warned_peer) {
  std::ifstream file;
  int exit = kExitOk;
  std::istream* source = OpenInput(name, in, file, err, &exit);
  if (source == nullptr) return exit;
  const std::string label = name == "-" ? "<stdin>" : name;
  std::array<std::byte, 4> first{};
  source->read(reinterpret_cast<char*>(first.data()), first.size());
  const size_t got = static_cast<size_t>(source->gcount());
  const std::span<const std::byte> prefix(first.data(), got);
  if (SniffInput(prefix) == InputFormat::kCapture) {
    absl::StatusOr<std::unique_ptr<capture::PcapSource>> pcap;
    if (name == "-") {
      FILE* f = ReplayAsFile(prefix, *source);
      if (f == nullptr) {
        err << "xcomdump: <stdin>: cannot read a capture from a stream here\n";
        return kExitNoInput;
      }
      pcap = capture::PcapSource::OpenStream(f, label);
    } else {
      file.close();
      pcap = capture::PcapSource::OpenFile(name);
    }
    if (!pcap.ok()) {
      err << "xcomdump: " << pcap.status().message() << "\n";
      return absl::IsInvalidArgument(pcap.status()) ? kExitMalformedInput
                                                    : OpenFailure(pcap.status());
    }
    if (!o.filter.empty()) {
      if (absl::Status s = (*pcap)->SetFilter(o.filter); !s.ok()) {
        err << "xcomdump: --filter: " << s.message() << "\n(xcomdump --help for usage)\n";
        return kExitUsage;
      }
    }
    absl::Status s = DumpCapture(**pcap, label, o, printer, decoder, stop);
    if (!s.ok()) {
      err << "xcomdump: " << s.message() << "\n";
      return kExitMalformedInput;
    }
    return kExitOk;
  }
  if (!o.filter.empty()) {
    err << "xcomdump: --filter: " << label
        << " holds raw frames, not a capture: a BPF filter does not apply\n"
           "(xcomdump --help for usage)\n";
    return kExitUsage;
  }
  if (!o.peers.empty() && !warned_peer) {
    warned_peer = true;
    err << "xcomdump: --peer: " << label
        << " holds raw frames, which name no peer: nothing of it is printed\n";
  }
  const bool clean = DumpRawStream(*source, prefix, label, o, printer, decoder, stop);
  return clean ? kExitOk : kExitMalformedInput;
}

}  // namespace

int XcomdumpMain(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                 std::ostream& err, const cli::StopSignals* stop) {
  XcomdumpOptions o;
  if (std::optional<int> exit = ParseXcomdumpArgs(args, o, out, err)) return *exit;
  std::ofstream file_out;
  std::ostream* sink = &out;
  if (o.output) {
    file_out.open(*o.output, std::ios::binary | std::ios::trunc);
    if (!file_out) {
      err << "xcomdump: cannot write " << *o.output << ": " << std::strerror(errno) << "\n";
      return kExitCannotCreate;
    }
    sink = &file_out;
  }
  if (o.encode) {
    Encoder encoder(o, *sink, err);
    bool clean = true;
    for (const std::string& name : o.files) {
      std::ifstream file;
      int exit = kExitOk;
      std::istream* source = OpenInput(name, in, file, err, &exit);
      if (source == nullptr) return exit;
      const bool ok = encoder.Source(*source, name == "-" ? "<stdin>" : name);
      clean = clean && ok;
      if (!ok && !o.keep_going) break;
    }
    sink->flush();
    return clean ? kExitOk : kExitMalformedInput;
  }

  RecordPrinter printer(o, *sink, err);
  FrameDecoder decoder(o);
  int status = kExitOk;
  if (o.interface) {
    absl::StatusOr<std::unique_ptr<capture::PcapSource>> live =
        capture::PcapSource::OpenLive(*o.interface, {.snapshot_length = o.snapshot_length});
    if (!live.ok()) {
      err << "xcomdump: -i " << *o.interface << ": " << live.status().message() << "\n";
      return OpenFailure(live.status());
    }
    if (!o.filter.empty()) {
      if (absl::Status s = (*live)->SetFilter(o.filter); !s.ok()) {
        err << "xcomdump: filter: " << s.message() << "\n(xcomdump --help for usage)\n";
        return kExitUsage;
      }
    }
    err << "xcomdump: capturing on " << *o.interface << " (" << (*live)->link_type_name()
        << (o.filter.empty() ? "" : ", filter '" + o.filter + "'") << "); Ctrl-C stops\n";
    absl::Status s = DumpCapture(**live, *o.interface, o, printer, decoder, stop);
    if (!s.ok()) {
      err << "xcomdump: " << s.message() << "\n";
      status = kExitMalformedInput;
    }
  } else {
    bool warned_peer = false;
    for (const std::string& name : o.files) {
      const int s = DumpInput(name, in, o, printer, decoder, err, stop, warned_peer);
      if (s == kExitUsage || s == kExitNoInput || s == kExitNoPermission) {
        sink->flush();
        return s;
      }
      if (s != kExitOk) status = s;
      if (s != kExitOk && !o.keep_going) break;
      if (stop != nullptr && stop->signal() != 0) break;
    }
  }
  if (printer.totals().errors > 0) status = kExitMalformedInput;
  if (stop != nullptr && stop->signal() != 0) {
    Json stopped = Json::object();
    stopped["signal"] = cli::SignalName(stop->signal());
    stopped["frames"] = printer.totals().frames;
    stopped["gaps"] = printer.totals().gaps;
    stopped["resyncs"] = printer.totals().resyncs;
    stopped["errors"] = printer.totals().errors;
    Json record = Json::object();
    record["stopped"] = std::move(stopped);
    printer.Print(record);
  }
  sink->flush();
  return status;
}

}  // namespace uxcom::xdr::tools
