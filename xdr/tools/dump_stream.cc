#include "xdr/tools/dump_stream.h"

#include <istream>
#include <ostream>
#include <utility>
#include <vector>

#include "xdr/enums.h"

namespace uxcom::xdr::tools {
namespace {

// The name --op matches: the pax_op's, or the x_msg_type's for frames without a body.
std::string OpName(const FrameHeader& header, const Json& record) {
  if (header.type != MessageType::kNormal) {
    std::optional<std::string_view> t = EnumName(header.type);
    return t ? std::string(*t) : "x_type_" + std::to_string(static_cast<int>(header.type));
  }
  const Json* op = record.contains("pax_msg") ? &record["pax_msg"]["op"] : nullptr;
  if (op != nullptr && op->contains("name") && (*op)["name"].is_string()) {
    return (*op)["name"].get<std::string>();
  }
  if (op != nullptr && op->contains("value")) return "pax_op_" + (*op)["value"].dump();
  return "?";
}

bool EndpointMatches(const std::string& peer, const std::string& endpoint,
                     const std::string& host) {
  if (peer == endpoint || peer == host) return true;
  // "[::1]" or "::1" for an IPv6 host.
  return peer.size() > 2 && peer.front() == '[' && peer.back() == ']' &&
         peer.substr(1, peer.size() - 2) == host;
}

}  // namespace

Json StreamSummary::ToJson() const {
  Json j = Json::object();
  j["frames"] = frames;
  j["bytes"] = bytes;
  j["ops"] = Json::object();
  for (const auto& [name, n] : ops) j["ops"][name] = n;
  j["header_versions"] = Json::array();
  for (uint32_t v : header_versions) {
    std::optional<std::string_view> name = ProtocolVersionName(static_cast<ProtocolVersion>(v));
    j["header_versions"].push_back(name ? Json(std::string(*name)) : Json(v));
  }
  j["first"] =
      first == absl::InfinitePast() ? Json(nullptr) : Json(RecordPrinter::FormatTime(first));
  j["last"] = last == absl::InfinitePast() ? Json(nullptr) : Json(RecordPrinter::FormatTime(last));
  j["gaps"] = gaps;
  j["gap_bytes"] = gap_bytes;
  j["resyncs"] = resyncs;
  j["skipped_bytes"] = skipped_bytes;
  j["errors"] = errors;
  return j;
}

RecordPrinter::RecordPrinter(const XcomdumpOptions& options, std::ostream& out, std::ostream& err)
    : o_(options), out_(out), err_(err) {}

std::string RecordPrinter::FormatTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", time, absl::UTCTimeZone());
}

bool RecordPrinter::Selected(const StreamLabel& label) const {
  if (o_.peers.empty()) return true;
  for (const std::string& peer : o_.peers) {
    if (EndpointMatches(peer, label.src, label.src_host) ||
        EndpointMatches(peer, label.dst, label.dst_host)) {
      return true;
    }
  }
  return false;
}

bool RecordPrinter::Wanted(const FrameHeader& header, const Json& record) const {
  if (!o_.types.empty()) {
    std::optional<std::string_view> t = EnumName(header.type);
    if (!t || !o_.types.count(std::string(*t))) return false;
  }
  if (!o_.ops.empty() && !o_.ops.count(OpName(header, record))) return false;
  return true;
}

Json RecordPrinter::Labelled(const StreamLabel& label, absl::Time time) const {
  Json j = Json::object();
  if (!label.capture) return j;
  j["time"] = time == absl::InfinitePast() ? Json(nullptr) : Json(FormatTime(time));
  j["conn"] = label.conn;
  j["src"] = label.src;
  j["dst"] = label.dst;
  j["direction"] = label.direction;
  return j;
}

void RecordPrinter::Frame(const StreamLabel& label, absl::Time time, uint64_t offset, Json record) {
  ++totals_.frames;
  if (o_.summary) return;
  Json j = Labelled(label, time);
  if (o_.with_offsets) j["offset"] = offset;
  for (auto& [k, v] : record.items()) j[k] = std::move(v);
  Print(j);
}

void RecordPrinter::Gap(const StreamLabel& label, absl::Time time, Json gap) {
  ++totals_.gaps;
  if (o_.summary) return;
  Json inner = Labelled(label, time);
  if (!label.capture) inner["source"] = label.source;
  for (auto& [k, v] : gap.items()) inner[k] = std::move(v);
  Json j = Json::object();
  j["gap"] = std::move(inner);
  Print(j);
}

void RecordPrinter::Resync(const StreamLabel& label, absl::Time time, const tools::Resync& r) {
  ++totals_.resyncs;
  if (o_.summary) return;
  Json inner = Labelled(label, time);
  if (!label.capture) inner["source"] = label.source;
  inner["cause"] = ResyncCauseName(r.cause);
  inner["from"] = r.from;
  inner["resumed_at"] = r.resumed ? Json(*r.resumed) : Json(nullptr);
  inner["skipped"] = r.skipped;
  Json j = Json::object();
  j["resync"] = std::move(inner);
  Print(j);
}

void RecordPrinter::Error(const StreamLabel& label, absl::Time time, uint64_t offset,
                          uint64_t frame_offset, const std::string& field,
                          const std::string& reason) {
  ++totals_.errors;
  err_ << "xcomdump: " << label.source;
  if (label.capture)
    err_ << ": connection " << label.conn << " " << label.src << " > " << label.dst;
  err_ << ": offset " << offset << ": " << (field.empty() ? "" : field + ": ") << reason << '\n';
  if (o_.summary) return;
  Json e = Labelled(label, time);
  e["offset"] = offset;
  e["frame_offset"] = frame_offset;
  e["field"] = field;
  e["reason"] = reason;
  e["source"] = label.source;
  Json j = Json::object();
  j["error"] = std::move(e);
  Print(j);
}

void RecordPrinter::Print(const Json& record) { out_ << record.dump(o_.pretty ? 2 : -1) << '\n'; }

DumpStream::DumpStream(RecordPrinter& printer, FrameDecoder& decoder,
                       const XcomdumpOptions& options, StreamLabel label, bool at_frame_boundary)
    : printer_(printer),
      label_(std::move(label)),
      frames_(
          {.max_body_size = options.max_body_size,
           .keep_going = options.keep_going,
           .resync_max_body = options.resync_max_body,
           .learn_version = label_.capture},
          [&decoder](const FrameHeader& h, std::span<const std::byte> body) {
            return decoder.Decode(h, body);
          },
          this, at_frame_boundary) {}

void DumpStream::Seen(absl::Time time) {
  if (time == absl::InfinitePast()) return;
  if (summary_.first == absl::InfinitePast()) summary_.first = time;
  summary_.last = time;
}

void DumpStream::OnData(std::span<const std::byte> bytes, absl::Time time) {
  time_ = time;
  frames_.Push(bytes);
}

void DumpStream::OnFrame(const FrameHeader& header, uint64_t offset, FrameVerdict& verdict) {
  if (IsNegotiation(header.type) && on_negotiation) on_negotiation(header);
  if (!printer_.Selected(label_) || !printer_.Wanted(header, verdict.json)) return;
  ++summary_.frames;
  summary_.bytes += kFrameHeaderSize + (header.type == MessageType::kNormal ? header.length : 0);
  ++summary_.ops[OpName(header, verdict.json)];
  summary_.header_versions.insert(ToWire(header.version));
  Seen(time_);
  printer_.Frame(label_, time_, offset, std::move(verdict.json));
}

void DumpStream::OnError(uint64_t offset, uint64_t frame_offset, const std::string& field,
                         const std::string& reason) {
  ++summary_.errors;
  Seen(time_);
  // An error is never filtered away by --peer: it decides the exit status.
  printer_.Error(label_, time_, offset, frame_offset, field, reason);
}

void DumpStream::OnResync(const Resync& resync) {
  ++summary_.resyncs;
  summary_.skipped_bytes += resync.skipped;
  if (printer_.Selected(label_)) printer_.Resync(label_, time_, resync);
}

void DumpStream::OnGap(uint64_t offset, uint64_t bytes, const char* reason, const char* trigger,
                       absl::Time time) {
  time_ = time;
  FrameStream::GapEffect effect = frames_.Gap(bytes);
  ++summary_.gaps;
  summary_.gap_bytes += bytes;
  Seen(time);
  if (!printer_.Selected(label_)) return;
  Json gap = Json::object();
  gap["offset"] = offset;
  gap["bytes"] = bytes;
  gap["reason"] = reason;
  gap["declared"] = trigger;
  if (effect.lost_header) {
    Json lost = Json::object();
    lost["offset"] = effect.lost_frame_offset;
    lost["header"] = FrameHeaderToJson(*effect.lost_header);
    gap["lost_frame"] = std::move(lost);
  }
  gap["next_frame"] = effect.boundary_known ? "known" : "search";
  printer_.Gap(label_, time, std::move(gap));
}

void DumpStream::Finish(const char* cut, absl::Time time) {
  if (time != absl::InfinitePast()) time_ = time;
  std::optional<FrameStream::Incomplete> inc = frames_.Finish(cut == nullptr);
  if (!inc || !printer_.Selected(label_)) return;
  // The capture ended while this frame was in flight: the rest of it was never captured.
  ++summary_.gaps;
  Json gap = Json::object();
  gap["offset"] = inc->offset + inc->have;
  gap["bytes"] = nullptr;
  gap["reason"] = cut;
  gap["declared"] = "stream_end";
  if (inc->header) {
    Json lost = Json::object();
    lost["offset"] = inc->offset;
    lost["header"] = FrameHeaderToJson(*inc->header);
    gap["lost_frame"] = std::move(lost);
  }
  printer_.Gap(label_, time_, std::move(gap));
}

bool DumpRawStream(std::istream& in, std::span<const std::byte> prefix, const std::string& label,
                   const XcomdumpOptions& options, RecordPrinter& printer, FrameDecoder& decoder,
                   const cli::StopSignals* stop) {
  StreamLabel raw;
  raw.source = label;
  DumpStream stream(printer, decoder, options, raw, true);
  const uint64_t errors_before = stream.summary().errors;
  stream.OnData(prefix, absl::InfinitePast());
  std::vector<std::byte> chunk(64 * 1024);
  while (!stream.stopped() && in) {
    if (stop != nullptr && stop->signal() != 0) break;
    in.read(reinterpret_cast<char*>(chunk.data()), static_cast<std::streamsize>(chunk.size()));
    const size_t got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    stream.OnData(std::span<const std::byte>(chunk).first(got), absl::InfinitePast());
  }
  if (!stream.stopped()) stream.Finish(nullptr, absl::InfinitePast());
  if (options.summary) {
    Json s = stream.summary().ToJson();
    s["source"] = label;
    Json record = Json::object();
    record["stream"] = std::move(s);
    printer.Print(record);
  }
  return stream.summary().errors == errors_before;
}

}  // namespace uxcom::xdr::tools
