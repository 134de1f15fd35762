#include "xdr/tools/capture_dump.h"

#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "capture/packet.h"
#include "capture/tcp_tracker.h"

namespace uxcom::xdr::tools {
namespace {

using capture::ConnectionInfo;
using capture::Direction;

constexpr int kClientToServer = static_cast<int>(Direction::kClientToServer);

class CaptureDump : public capture::ConnectionObserver {
 public:
  CaptureDump(const std::string& source, const XcomdumpOptions& o, RecordPrinter& printer,
              FrameDecoder& decoder)
      : source_(source), o_(o), printer_(printer), decoder_(decoder) {}

  capture::StreamSink* OnOpen(const ConnectionInfo& info, Direction d) override {
    std::unique_ptr<Connection>& c = connections_[info.id];
    if (!c) {
      c = std::make_unique<Connection>();
      c->info = info;
      c->roles = info.roles_known ? "handshake" : "unknown";
    }
    const int i = static_cast<int>(d);
    c->side[i] = std::make_unique<Side>(*this, *c, i);
    return c->side[i].get();
  }

  void OnClose(const ConnectionInfo& info, capture::CloseReason reason) override {
    auto it = connections_.find(info.id);
    if (it == connections_.end()) return;
    Connection& c = *it->second;
    if (printer_.summary() && printer_.Selected(Label(c, kClientToServer))) {
      printer_.Print(SummaryRecord(c, reason));
    }
    connections_.erase(it);
  }

 private:
  struct Connection;

  // One direction: the reassembler's sink, feeding a DumpStream.
  struct Side : capture::StreamSink {
    Side(CaptureDump& dump, Connection& c, int index) : dump(dump), conn(c), index(index) {}
    // A stream whose SYN was captured starts at a frame boundary; otherwise it is searched.
    void OnStart(bool from_connection_start) override {
      stream.emplace(dump.printer_, dump.decoder_, dump.o_, dump.Label(conn, index),
                     from_connection_start);
      stream->on_negotiation = [this](const FrameHeader& h) { dump.Negotiation(conn, index, h); };
      if (conn.negotiated) stream->SetVersion(*conn.negotiated);
    }
    void OnData(std::span<const std::byte> bytes, uint64_t, absl::Time time) override {
      stream->OnData(bytes, time);
    }
    void OnGap(const capture::Gap& g) override {
      stream->OnGap(g.offset, g.bytes, capture::GapReasonName(g.reason),
                    capture::GapTriggerName(g.trigger), g.time);
    }
    void OnEnd(capture::StreamEnd e, uint64_t, absl::Time time) override {
      end = e;
      const char* cut = e == capture::StreamEnd::kFlushed ? "capture_ended"
                        : e == capture::StreamEnd::kReset ? "connection_reset"
                                                          : nullptr;
      if (stream) stream->Finish(cut, time);
    }
    CaptureDump& dump;
    Connection& conn;
    int index;
    std::optional<DumpStream> stream;  // from OnStart on
    std::optional<capture::StreamEnd> end;
  };

  struct Connection {
    ConnectionInfo info;
    const char* roles = "unknown";  // handshake, negotiation, unknown
    bool swapped = false;           // the tracker's "client" turned out to be the server
    std::optional<ProtocolVersion> proposed;
    std::optional<ProtocolVersion> negotiated;
    std::unique_ptr<Side> side[2];
  };

  // The endpoint sending on side `index`, and the direction's name.
  StreamLabel Label(const Connection& c, int index) const {
    const bool from_client = (index == kClientToServer) != c.swapped;
    const capture::Endpoint& src = index == kClientToServer ? c.info.client : c.info.server;
    const capture::Endpoint& dst = index == kClientToServer ? c.info.server : c.info.client;
    StreamLabel l{.source = source_,
                  .capture = true,
                  .conn = c.info.id,
                  .src = src.ToString(),
                  .src_host = src.AddressString(),
                  .dst = dst.ToString(),
                  .dst_host = dst.AddressString(),
                  .direction = std::string(c.roles) == "unknown"
                                   ? "unknown"
                                   : (from_client ? "client_to_server" : "server_to_client")};
    return l;
  }

  // XCom's negotiation names the sides: the dialler sends x_version_req, the acceptor replies.
  void Negotiation(Connection& c, int index, const FrameHeader& h) {
    const bool sender_is_dialler = h.type == MessageType::kVersionReq;
    if (sender_is_dialler) c.proposed = h.version;
    if (h.type == MessageType::kVersionReply && h.version != ProtocolVersion::kUnknown) {
      c.negotiated = h.version;
      for (const std::unique_ptr<Side>& side : c.side) {
        if (side && side->stream) side->stream->SetVersion(h.version);
      }
    }
    if (std::string(c.roles) != "unknown") return;
    c.roles = "negotiation";
    // The tracker called the first sender "client"; fix that if the negotiation disagrees.
    const bool tracker_client_sends = index == kClientToServer;
    c.swapped = tracker_client_sends != sender_is_dialler;
    for (int i = 0; i < 2; ++i) {
      if (c.side[i] && c.side[i]->stream)
        c.side[i]->stream->label().direction = Label(c, i).direction;
    }
  }

  Json SummaryRecord(const Connection& c, capture::CloseReason reason) const {
    Json j = Json::object();
    j["conn"] = c.info.id;
    const capture::Endpoint& client = c.swapped ? c.info.server : c.info.client;
    const capture::Endpoint& server = c.swapped ? c.info.client : c.info.server;
    j["client"] = client.ToString();
    j["server"] = server.ToString();
    j["roles"] = c.roles;
    Json version = Json::object();
    auto name = [](std::optional<ProtocolVersion> v) -> Json {
      if (!v) return nullptr;
      return DescribeProtocolVersion(*v);
    };
    version["negotiated"] = name(c.negotiated);
    version["proposed"] = name(c.proposed);
    std::set<uint32_t> headers;
    absl::Time first = absl::InfinitePast(), last = absl::InfinitePast();
    const StreamSummary empty;
    for (const auto& side : c.side) {
      const StreamSummary& s = side->stream ? side->stream->summary() : empty;
      headers.insert(s.header_versions.begin(), s.header_versions.end());
      if (s.first != absl::InfinitePast() && (first == absl::InfinitePast() || s.first < first)) {
        first = s.first;
      }
      if (s.last > last) last = s.last;
    }
    version["source"] = c.negotiated ? "negotiation" : (headers.empty() ? "none" : "headers");
    j["version"] = std::move(version);
    j["first"] =
        first == absl::InfinitePast() ? Json(nullptr) : Json(RecordPrinter::FormatTime(first));
    j["last"] =
        last == absl::InfinitePast() ? Json(nullptr) : Json(RecordPrinter::FormatTime(last));
    j["closed"] = capture::CloseReasonName(reason);
    for (int i = 0; i < 2; ++i) {
      const Side& side = *c.side[i];
      Json d = (side.stream ? side.stream->summary() : StreamSummary{}).ToJson();
      d["end"] = side.end ? Json(capture::StreamEndName(*side.end)) : Json(nullptr);
      const bool from_client = (i == kClientToServer) != c.swapped;
      j[from_client ? "client_to_server" : "server_to_client"] = std::move(d);
    }
    Json out = Json::object();
    out["connection"] = std::move(j);
    return out;
  }

  const std::string& source_;
  const XcomdumpOptions& o_;
  RecordPrinter& printer_;
  FrameDecoder& decoder_;
  std::map<uint64_t, std::unique_ptr<Connection>> connections_;
};

struct PacketCounts {
  uint64_t packets = 0;
  uint64_t tcp_segments = 0;
  uint64_t not_tcp = 0;
  uint64_t ip_fragments = 0;
  uint64_t truncated_headers = 0;
  uint64_t truncated_payloads = 0;
  uint64_t malformed = 0;
};

}  // namespace

absl::Status DumpCapture(capture::PcapSource& source, const std::string& label,
                         const XcomdumpOptions& o, RecordPrinter& printer, FrameDecoder& decoder,
                         const cli::StopSignals* stop) {
  const int link = source.link_type();
  if (!capture::IsSupportedLinkType(link)) {
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": link-layer type ", source.link_type_name(),
                     " is not supported (Ethernet, Linux cooked v1/v2, raw IP, loopback are)"));
  }
  CaptureDump dump(label, o, printer, decoder);
  capture::TcpTracker tracker(
      {.reassembly = {.max_buffered_bytes = o.max_reorder_bytes, .max_hole_age = o.max_hole_age},
       .max_connections = o.max_connections},
      &dump);
  PacketCounts counts;
  absl::Time last = absl::InfinitePast();
  absl::Status status;
  const int wake_fd = stop != nullptr ? stop->wake_fd() : -1;
  // After SIGINT/SIGTERM a live capture first reads what the kernel already captured (for at
  // most kDrainTime, as a busy interface never runs dry): stopping at once would silently lose
  // the packets that arrived just before the signal.
  constexpr absl::Duration kDrainTime = absl::Seconds(1);
  std::optional<absl::Time> drain_until;
  for (;;) {
    if (stop != nullptr && stop->signal() != 0 && !drain_until) {
      if (!source.live()) break;
      drain_until = absl::Now() + kDrainTime;
    }
    if (drain_until && absl::Now() >= *drain_until) break;
    absl::StatusOr<std::optional<capture::RawPacket>> p =
        drain_until ? source.Next(absl::ZeroDuration())
                    : source.Next(absl::Milliseconds(250), wake_fd);
    if (!p.ok()) {
      status = p.status();
      break;
    }
    if (!p->has_value()) {
      if (source.live() && !drain_until) continue;  // nothing yet
      break;                                        // end of file, or nothing left to drain
    }
    const capture::RawPacket& packet = **p;
    ++counts.packets;
    last = packet.time;
    absl::StatusOr<capture::TcpSegment> s =
        capture::DecodePacket(link, packet.data, packet.wire_length, packet.time);
    if (s.ok()) {
      ++counts.tcp_segments;
      if (s->truncated()) ++counts.truncated_payloads;
      tracker.Add(*s);
    } else if (capture::IsNotTcp(s.status())) {
      ++counts.not_tcp;
    } else if (capture::IsFragment(s.status())) {
      ++counts.ip_fragments;
    } else if (capture::IsTruncatedHeaders(s.status())) {
      if (counts.truncated_headers++ == 0) {
        std::cerr << "xcomdump: " << label << ": packet " << counts.packets << ": "
                  << s.status().message() << " (counted in the capture record)\n";
      }
    } else {
      if (counts.malformed++ == 0) {
        std::cerr << "xcomdump: " << label << ": packet " << counts.packets << ": "
                  << s.status().message() << " (counted in the capture record)\n";
      }
    }
  }
  tracker.Finish(last == absl::InfinitePast() ? absl::Now() : last);

  Json c = Json::object();
  c["source"] = label;
  c["link_type"] = source.link_type_name();
  c["packets"] = counts.packets;
  c["tcp_segments"] = counts.tcp_segments;
  c["not_tcp"] = counts.not_tcp;
  c["ip_fragments"] = counts.ip_fragments;
  c["truncated_headers"] = counts.truncated_headers;
  c["truncated_payloads"] = counts.truncated_payloads;
  c["malformed"] = counts.malformed;
  c["connections"] = tracker.stats().connections;
  c["evicted_connections"] = tracker.stats().evicted;
  if (source.live()) {
    const capture::LiveStats live = source.live_stats();
    c["kernel_received"] = live.received;
    c["kernel_dropped"] = live.dropped;
    c["interface_dropped"] = live.interface_dropped;
  }
  if (!status.ok()) c["damaged"] = std::string(status.message());
  Json record = Json::object();
  record["capture"] = std::move(c);
  printer.Print(record);
  return status;
}

}  // namespace uxcom::xdr::tools
