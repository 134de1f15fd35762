// A transport's statistics and peers in the Prometheus text exposition format (version 0.0.4),
// for a /metrics endpoint (xcom_node --metrics=HOST:PORT serves it with net::HttpServer).
//
// Families (every counter ends in _total; every label value of an enumeration is present, at 0
// when nothing happened, so rates and alerts need no special cases):
//   uxcom_xcom_messages_sent_total{op}, uxcom_xcom_sent_bytes_total{op}
//   uxcom_xcom_messages_received_total{op}, uxcom_xcom_received_bytes_total{op}
//   uxcom_xcom_drops_total{reason}                     messages not delivered, by reason
//   uxcom_xcom_connection_closes_total{direction,reason}
//   uxcom_xcom_<event>_total                          dials, dial_failures, negotiations,
//                                                      accepts, accepts_rejected, accept_errors,
//                                                      encodes, self_deliveries,
//                                                      trailing_byte_frames,
//                                                      ignored_control_frames,
//                                                      ignored_from_invalid
//   per peer (label peer="HOST:PORT"):
//   uxcom_xcom_peer_info{peer,local,invalid} 1
//   uxcom_xcom_peer_connection_state{peer,state}       1 for the current state of none,
//                                                      connected, negotiated; 0 for the others
//   uxcom_xcom_peer_protocol_version{peer}             negotiated wire value, 0 when none
//   uxcom_xcom_peer_queued_messages{peer}
//   uxcom_xcom_peer_messages_sent_total{peer}, uxcom_xcom_peer_sent_bytes_total{peer},
//   uxcom_xcom_peer_messages_dropped_total{peer}, uxcom_xcom_peer_connects_total{peer},
//   uxcom_xcom_peer_dial_failures_total{peer}
//   uxcom_xcom_peer_last_active_age_seconds{peer}      since the last outbound activity
//   uxcom_xcom_peer_last_detected_age_seconds{peer}    since the peer was last heard from
//                                                      (both absent for a peer never seen)
//
//   std::string body = PrometheusText(transport.statistics(), transport.peers(), ex.Now());
#ifndef UXCOM_XCOM_PROMETHEUS_H_
#define UXCOM_XCOM_PROMETHEUS_H_

#include <string>
#include <string_view>
#include <vector>

#include "net/executor.h"
#include "xcom/statistics.h"
#include "xcom/transport.h"

namespace uxcom::xcom {

inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

std::string PrometheusText(const TransportStatistics::Snapshot& stats,
                           const std::vector<PeerInfo>& peers, net::TimePoint now);

// A label value escaped for the text format: backslash, double quote and newline.
std::string PrometheusLabelValue(std::string_view value);

}  // namespace uxcom::xcom

#endif  // UXCOM_XCOM_PROMETHEUS_H_
