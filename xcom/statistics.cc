#include "xcom/statistics.h"

#include <optional>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace uxcom::xcom {

const char* DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kQueueFull:
      return "queue_full";
    case DropReason::kExpiredDisconnected:
      return "expired_disconnected";
    case DropReason::kInvalidServer:
      return "invalid_server";
    case DropReason::kNoServer:
      return "no_server";
    case DropReason::kEncodeRefused:
      return "encode_refused";
    case DropReason::kConnectionLost:
      return "connection_lost";
    case DropReason::kServerCollected:
      return "server_collected";
    case DropReason::kShutdown:
      return "shutdown";
    case DropReason::kNotAwaited:
      return "not_awaited";
    case DropReason::kLostInFlight:
      return "lost_in_flight";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

const char* CloseReasonName(CloseReason reason) {
  switch (reason) {
    case CloseReason::kPeerClosed:
      return "peer_closed";
    case CloseReason::kTruncatedFrame:
      return "truncated_frame";
    case CloseReason::kIoError:
      return "io_error";
    case CloseReason::kMalformedFrame:
      return "malformed_frame";
    case CloseReason::kVersionMismatch:
      return "version_mismatch";
    case CloseReason::kNotNegotiated:
      return "not_negotiated";
    case CloseReason::kFrameTooLarge:
      return "frame_too_large";
    case CloseReason::kNegotiationRefused:
      return "negotiation_refused";
    case CloseReason::kNegotiationTimeout:
      return "negotiation_timeout";
    case CloseReason::kIpv6Ineligible:
      return "ipv6_ineligible";
    case CloseReason::kReadStalled:
      return "read_stalled";
    case CloseReason::kWriteStalled:
      return "write_stalled";
    case CloseReason::kIdle:
      return "idle";
    case CloseReason::kServerCollected:
      return "server_collected";
    case CloseReason::kShutdown:
      return "shutdown";
    case CloseReason::kFrameTooSlow:
      return "frame_too_slow";
    case CloseReason::kInboundIdle:
      return "inbound_idle";
    case CloseReason::kTooManyConnections:
      return "too_many_connections";
    case CloseReason::kPartialFramesOverBudget:
      return "partial_frames_over_budget";
    case CloseReason::kTlsHandshakeFailed:
      return "tls_handshake_failed";
    case CloseReason::kTlsMismatch:
      return "tls_mismatch";
    case CloseReason::kCount:
      break;
  }
  return "unknown";
}

size_t OpSlot(xdr::PaxOp op) {
  auto v = static_cast<int32_t>(op);
  return v >= 0 && v < static_cast<int32_t>(kOpSlots) - 1 ? static_cast<size_t>(v) : kOpSlots - 1;
}

void TransportStatistics::CountSent(xdr::PaxOp op, uint64_t bytes) {
  OpCounter& c = sent_[OpSlot(op)];
  c.count.Add();
  c.bytes.Add(bytes);
}

void TransportStatistics::CountReceived(xdr::PaxOp op, uint64_t bytes) {
  OpCounter& c = received_[OpSlot(op)];
  c.count.Add();
  c.bytes.Add(bytes);
}

TransportStatistics::Snapshot TransportStatistics::Take() const {
  Snapshot s;
  for (size_t i = 0; i < kOpSlots; ++i) {
    s.sent[i] = {sent_[i].count.Get(), sent_[i].bytes.Get()};
    s.received[i] = {received_[i].count.Get(), received_[i].bytes.Get()};
  }
  s.encodes = encodes.Get();
  s.self_deliveries = self_deliveries.Get();
  s.dials = dials.Get();
  s.dial_failures = dial_failures.Get();
  s.negotiations = negotiations.Get();
  s.accepts = accepts.Get();
  s.accepts_rejected = accepts_rejected.Get();
  s.accept_errors = accept_errors.Get();
  s.trailing_byte_frames = trailing_byte_frames.Get();
  s.ignored_control_frames = ignored_control_frames.Get();
  s.ignored_from_invalid = ignored_from_invalid.Get();
  s.superseded_frames = superseded_frames.Get();
  s.lost_in_flight_bytes = lost_in_flight_bytes.Get();
  s.tls_handshakes = tls_handshakes.Get();
  for (size_t i = 0; i < s.tls_handshake_failures.size(); ++i) {
    s.tls_handshake_failures[i] = tls_failures_[i].Get();
  }
  for (size_t i = 0; i < s.drops.size(); ++i) s.drops[i] = drops_[i].Get();
  for (size_t i = 0; i < s.outbound_closes.size(); ++i) {
    s.outbound_closes[i] = outbound_closes_[i].Get();
    s.inbound_closes[i] = inbound_closes_[i].Get();
  }
  return s;
}

uint64_t TransportStatistics::Snapshot::drops_total() const {
  uint64_t total = 0;
  for (uint64_t d : drops) total += d;
  return total;
}

std::string OpSlotName(size_t slot) {
  if (slot == kOpSlots - 1) return "other_op";
  std::optional<std::string_view> name =
      xdr::EnumName(static_cast<xdr::PaxOp>(static_cast<int32_t>(slot)));
  return name ? std::string(*name) : absl::StrCat("op_", slot);
}

namespace {

void AppendOps(std::string& out, const char* key, const std::array<OpCount, kOpSlots>& ops) {
  absl::StrAppend(&out, "\"", key, "\":{");
  bool first = true;
  for (size_t i = 0; i < kOpSlots; ++i) {
    if (ops[i].count == 0) continue;
    absl::StrAppend(&out, first ? "" : ",", "\"", OpSlotName(i), "\":{\"count\":", ops[i].count,
                    ",\"bytes\":", ops[i].bytes, "}");
    first = false;
  }
  out += "}";
}

template <typename Reason, size_t N>
void AppendReasons(std::string& out, const char* key, const std::array<uint64_t, N>& counts,
                   const char* (*name)(Reason)) {
  absl::StrAppend(&out, ",\"", key, "\":{");
  bool first = true;
  for (size_t i = 0; i < N; ++i) {
    if (counts[i] == 0) continue;
    absl::StrAppend(&out, first ? "" : ",", "\"", name(static_cast<Reason>(i)), "\":", counts[i]);
    first = false;
  }
  out += "}";
}

}  // namespace

std::string TransportStatistics::Snapshot::ToJson() const {
  std::string out = "{";
  AppendOps(out, "sent", sent);
  out += ",";
  AppendOps(out, "received", received);
  absl::StrAppend(&out, ",\"encodes\":", encodes, ",\"self_deliveries\":", self_deliveries,
                  ",\"dials\":", dials, ",\"dial_failures\":", dial_failures,
                  ",\"negotiations\":", negotiations, ",\"accepts\":", accepts,
                  ",\"accepts_rejected\":", accepts_rejected, ",\"accept_errors\":", accept_errors,
                  ",\"trailing_byte_frames\":", trailing_byte_frames,
                  ",\"ignored_control_frames\":", ignored_control_frames,
                  ",\"ignored_from_invalid\":", ignored_from_invalid,
                  ",\"superseded_frames\":", superseded_frames,
                  ",\"lost_in_flight_bytes\":", lost_in_flight_bytes,
                  ",\"tls_handshakes\":", tls_handshakes);
  AppendReasons(out, "tls_handshake_failures", tls_handshake_failures, &net::TlsFailureName);
  AppendReasons(out, "drops", drops, &DropReasonName);
  AppendReasons(out, "outbound_closes", outbound_closes, &CloseReasonName);
  AppendReasons(out, "inbound_closes", inbound_closes, &CloseReasonName);
  out += "}";
  return out;
}

}  // namespace uxcom::xcom
