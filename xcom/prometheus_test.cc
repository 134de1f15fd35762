// The /metrics page of a transport: every family well-formed (checked by a strict parser), the
// counters equal to the snapshot's, per-peer state, versions and ages, label values escaped.
#include "xcom/prometheus.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "test/prometheus_parser.h"

namespace uxcom::xcom {
namespace {

using test::ParsePrometheusText;

TEST_CASE("a snapshot and two peers as Prometheus text") {
  TransportStatistics::Snapshot s;
  s.sent[OpSlot(xdr::PaxOp::kLearnOp)] = {.count = 3, .bytes = 420};
  s.received[OpSlot(xdr::PaxOp::kClientMsg)] = {.count = 5, .bytes = 700};
  s.drops[static_cast<size_t>(DropReason::kQueueFull)] = 2;
  s.outbound_closes[static_cast<size_t>(CloseReason::kIoError)] = 1;
  s.dials = 4;
  const net::TimePoint now = net::TimePoint{} + std::chrono::hours(1);
  PeerInfo self;
  self.address = "127.0.0.1:10001";
  self.local = true;
  PeerInfo odd{.address = "we\"ird\\host\n:1",
               .state = PeerConnectionState::kNegotiated,
               .version = xdr::ProtocolVersion::kX1_4,
               .liveness = {.active = now - std::chrono::seconds(2),
                            .detected = now - std::chrono::milliseconds(500)},
               .queued = 7,
               .messages_sent = 11,
               .connects = 1,
               .tls_version = {},
               .tls_cipher = {},
               .tls_peer_subject = {}};
  const std::string text = PrometheusText(s, {self, odd}, now);
  absl::StatusOr<test::Exposition> e = ParsePrometheusText(text);
  REQUIRE_MESSAGE(e.ok(), e.status().ToString(), "\n", text);

  CHECK(e->families.at("uxcom_xcom_messages_sent_total").type == "counter");
  CHECK(e->Value("uxcom_xcom_messages_sent_total", {{"op", "learn_op"}}) == 3);
  CHECK(e->Value("uxcom_xcom_sent_bytes_total", {{"op", "learn_op"}}) == 420);
  CHECK(e->Value("uxcom_xcom_messages_sent_total", {{"op", "client_msg"}}) == 0);  // present
  CHECK(e->Value("uxcom_xcom_messages_received_total", {{"op", "client_msg"}}) == 5);
  CHECK(e->Samples("uxcom_xcom_messages_sent_total")->size() == kOpSlots);
  CHECK(e->Value("uxcom_xcom_drops_total", {{"reason", "queue_full"}}) == 2);
  CHECK(e->Samples("uxcom_xcom_drops_total")->size() == static_cast<size_t>(DropReason::kCount));
  CHECK(e->Value("uxcom_xcom_connection_closes_total",
                 {{"direction", "outbound"}, {"reason", "io_error"}}) == 1);
  CHECK(e->Value("uxcom_xcom_dials_total") == 4);

  const std::string peer = "we\"ird\\host\n:1";  // escaped on the way out, back after parsing
  CHECK(e->Value("uxcom_xcom_peer_info",
                 {{"peer", peer}, {"local", "false"}, {"invalid", "false"}}) == 1);
  CHECK(e->Value("uxcom_xcom_peer_connection_state", {{"peer", peer}, {"state", "negotiated"}}) ==
        1);
  CHECK(e->Value("uxcom_xcom_peer_connection_state", {{"peer", peer}, {"state", "none"}}) == 0);
  CHECK(e->Value("uxcom_xcom_peer_protocol_version", {{"peer", peer}}) == 5);
  CHECK(e->Value("uxcom_xcom_peer_queued_messages", {{"peer", peer}}) == 7);
  CHECK(e->Value("uxcom_xcom_peer_messages_sent_total", {{"peer", peer}}) == 11);
  CHECK(e->Value("uxcom_xcom_peer_last_active_age_seconds", {{"peer", peer}}) == 2);
  CHECK(e->Value("uxcom_xcom_peer_last_detected_age_seconds", {{"peer", peer}}) == 0.5);
  // Never seen: no age sample at all rather than a made-up one.
  CHECK_FALSE(e->Value("uxcom_xcom_peer_last_detected_age_seconds", {{"peer", self.address}}));
  CHECK(e->Value("uxcom_xcom_peer_connection_state", {{"peer", self.address}, {"state", "none"}}) ==
        1);
}

TEST_CASE("the strict parser refuses what the format forbids") {
  for (const char* bad : {
           "m 1",                                      // no final newline
           "1m 1\n",                                   // bad metric name
           "m{1a=\"x\"} 1\n",                          // bad label name
           "m{a=x} 1\n",                               // unquoted value
           "m{a=\"\\t\"} 1\n",                         // bad escape
           "m{a=\"x\",a=\"y\"} 1\n",                   // label twice
           "m one\n",                                  // bad value
           "m 1\nm 1\n",                               // repeated sample
           "a 1\nb 1\na{x=\"1\"} 1\n",                 // not contiguous
           "# TYPE m counter\n# TYPE m gauge\nm 1\n",  // second TYPE
           "m 1\n# TYPE m counter\n",                  // TYPE after samples
           "# TYPE m banana\nm 1\n",                   // unknown type
       }) {
    INFO(bad);
    CHECK_FALSE(ParsePrometheusText(bad).ok());
  }
  CHECK(ParsePrometheusText("# HELP m h\n# TYPE m gauge\nm{a=\"\\\"\"} -Inf 123\n\n").ok());
}

}  // namespace
}  // namespace uxcom::xcom
