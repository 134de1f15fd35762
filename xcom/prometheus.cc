#include "xcom/prometheus.h"

#include <chrono>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "net/tls_failure.h"

namespace uxcom::xcom {
namespace {

constexpr char kPrefix[] = "uxcom_xcom_";

// Writes families one at a time: HELP, TYPE, then every sample of the family.
class Exposition {
 public:
  void Family(std::string_view name, const char* type, std::string_view help) {
    name_ = absl::StrCat(kPrefix, std::string(name));
    absl::StrAppend(&out_, "# HELP ", name_, " ", std::string(help), "\n# TYPE ", name_, " ", type,
                    "\n");
  }
  // labels: "peer=\"…\",op=\"…\"" (already escaped), or empty.
  void Sample(const std::string& labels, double value) {
    char number[64];
    std::snprintf(number, sizeof number, "%.17g", value);
    absl::StrAppend(&out_, name_, labels.empty() ? "" : "{", labels, labels.empty() ? "" : "}", " ",
                    number, "\n");
  }
  void Sample(const std::string& labels, uint64_t value) {
    absl::StrAppend(&out_, name_, labels.empty() ? "" : "{", labels, labels.empty() ? "" : "}", " ",
                    value, "\n");
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
  std::string name_;
};

std::string Label(std::string_view key, std::string_view value) {
  return absl::StrCat(std::string(key), "=\"", PrometheusLabelValue(value), "\"");
}

void Ops(Exposition& e, const char* what, const std::array<OpCount, kOpSlots>& ops) {
  e.Family(absl::StrCat("messages_", what, "_total"), "counter",
           absl::StrCat("Frames ", what, " per pax_op (negotiation frames not counted)."));
  for (size_t i = 0; i < kOpSlots; ++i) e.Sample(Label("op", OpSlotName(i)), ops[i].count);
  e.Family(absl::StrCat(what, "_bytes_total"), "counter",
           absl::StrCat("Bytes of the frames ", what, " per pax_op, 12-byte headers included."));
  for (size_t i = 0; i < kOpSlots; ++i) e.Sample(Label("op", OpSlotName(i)), ops[i].bytes);
}

double AgeSeconds(net::TimePoint now, net::TimePoint then) {
  return std::chrono::duration<double>(now - then).count();
}

}  // namespace

std::string PrometheusLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string PrometheusText(const TransportStatistics::Snapshot& s,
                           const std::vector<PeerInfo>& peers, net::TimePoint now) {
  Exposition e;
  Ops(e, "sent", s.sent);
  Ops(e, "received", s.received);

  e.Family("drops_total", "counter", "Messages not delivered to a destination, by reason.");
  for (size_t i = 0; i < s.drops.size(); ++i) {
    e.Sample(Label("reason", DropReasonName(static_cast<DropReason>(i))), s.drops[i]);
  }
  e.Family("connection_closes_total", "counter", "Connections closed, by direction and reason.");
  for (const char* direction : {"outbound", "inbound"}) {
    const auto& closes =
        std::string_view(direction) == "outbound" ? s.outbound_closes : s.inbound_closes;
    for (size_t i = 0; i < closes.size(); ++i) {
      e.Sample(absl::StrCat(Label("direction", direction), ",",
                            Label("reason", CloseReasonName(static_cast<CloseReason>(i)))),
               closes[i]);
    }
  }
  const std::pair<const char*, uint64_t> events[] = {
      {"dials", s.dials},
      {"dial_failures", s.dial_failures},
      {"negotiations", s.negotiations},
      {"accepts", s.accepts},
      {"accepts_rejected", s.accepts_rejected},
      {"accept_errors", s.accept_errors},
      {"encodes", s.encodes},
      {"self_deliveries", s.self_deliveries},
      {"trailing_byte_frames", s.trailing_byte_frames},
      {"ignored_control_frames", s.ignored_control_frames},
      {"ignored_from_invalid", s.ignored_from_invalid},
      {"tls_handshakes", s.tls_handshakes},
  };
  for (const auto& [name, value] : events) {
    e.Family(absl::StrCat(name, "_total"), "counter",
             absl::StrCat("Transport events: ", name, " (see xcom/statistics.h)."));
    e.Sample("", value);
  }

  e.Family("tls_handshake_failures_total", "counter",
           "Failed TLS handshakes, dialled and accepted, by category.");
  for (size_t i = 0; i < s.tls_handshake_failures.size(); ++i) {
    e.Sample(Label("reason", net::TlsFailureName(static_cast<net::TlsFailure>(i))),
             s.tls_handshake_failures[i]);
  }

  e.Family("peer_info", "gauge", "One per server of the retained sites (always 1).");
  for (const PeerInfo& p : peers) {
    e.Sample(absl::StrCat(Label("peer", p.address), ",", Label("local", p.local ? "true" : "false"),
                          ",", Label("invalid", p.invalid ? "true" : "false")),
             uint64_t{1});
  }
  e.Family("peer_connection_state", "gauge",
           "The outbound connection's state: 1 for the current one of none, connected, "
           "negotiated.");
  for (const PeerInfo& p : peers) {
    for (PeerConnectionState st : {PeerConnectionState::kNone, PeerConnectionState::kConnected,
                                   PeerConnectionState::kNegotiated}) {
      e.Sample(
          absl::StrCat(Label("peer", p.address), ",", Label("state", PeerConnectionStateName(st))),
          uint64_t{p.state == st ? 1u : 0u});
    }
  }
  e.Family("peer_protocol_version", "gauge",
           "Protocol version negotiated on the outbound connection (wire value, 0: none).");
  for (const PeerInfo& p : peers)
    e.Sample(Label("peer", p.address), uint64_t{xdr::ToWire(p.version)});
  e.Family("peer_queued_messages", "gauge", "Messages queued for the peer.");
  for (const PeerInfo& p : peers) e.Sample(Label("peer", p.address), uint64_t{p.queued});
  const std::pair<const char*, uint64_t PeerInfo::*> counters[] = {
      {"messages_sent", &PeerInfo::messages_sent},       {"sent_bytes", &PeerInfo::bytes_sent},
      {"messages_dropped", &PeerInfo::messages_dropped}, {"connects", &PeerInfo::connects},
      {"dial_failures", &PeerInfo::dial_failures},
  };
  for (const auto& [name, member] : counters) {
    e.Family(absl::StrCat("peer_", name, "_total"), "counter",
             absl::StrCat("Per peer: ", name, "."));
    for (const PeerInfo& p : peers) e.Sample(Label("peer", p.address), p.*member);
  }
  e.Family("peer_last_active_age_seconds", "gauge",
           "Seconds since the last outbound activity to the peer (absent: never).");
  for (const PeerInfo& p : peers) {
    if (p.liveness.active != net::TimePoint{}) {
      e.Sample(Label("peer", p.address), AgeSeconds(now, p.liveness.active));
    }
  }
  e.Family("peer_last_detected_age_seconds", "gauge",
           "Seconds since the peer was last heard from (absent: never).");
  for (const PeerInfo& p : peers) {
    if (p.liveness.detected != net::TimePoint{}) {
      e.Sample(Label("peer", p.address), AgeSeconds(now, p.liveness.detected));
    }
  }
  return e.Take();
}

}  // namespace uxcom::xcom
