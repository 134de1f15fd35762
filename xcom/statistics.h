// Transport statistics: what was sent and received per pax_op, what happened to connections,
// and every message the transport did not deliver, by reason.
//
// XCom's xcom_statistics.c keeps per-op send/receive counts and bytes (bytes include the
// 12-byte header; negotiation frames are not counted). uxcom keeps those, counts each reason a
// connection closed, and counts every drop: the transport never loses a message without a
// counter saying why. Counters are always on: an increment is a relaxed load and store by the
// executor thread, and any thread may read a Snapshot.
//
//   TransportStatistics::Snapshot s = transport.statistics();
//   uint64_t learns = s.sent[OpSlot(xdr::PaxOp::kLearnOp)].count;
//   std::string json = s.ToJson();
#ifndef UXCOM_XCOM_STATISTICS_H_
#define UXCOM_XCOM_STATISTICS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "net/tls_failure.h"
#include "xdr/enums.h"

namespace uxcom::xcom {

// Why the transport did not deliver a message to a destination.
enum class DropReason : uint8_t {
  kQueueFull,            // the peer's queue held peer_queue_limit messages
  kExpiredDisconnected,  // queued longer than disconnected_message_ttl while unreachable
  kInvalidServer,        // the destination was invalidated by a forced configuration
  kNoServer,             // the destination node number has no server in the site
  kEncodeRefused,        // the peer's protocol version cannot carry the message
  kConnectionLost,       // written (or being written) when the connection broke
  kServerCollected,      // queued for a server that was garbage-collected
  kShutdown,             // still queued when the transport stopped
  // kWait only: waiting for room in a full queue when its SendAwaiter was destroyed without
  // co_await (which the compiler warns about: the awaiter is [[nodiscard]])
  kNotAwaited,
  kLostInFlight,  // written, not acknowledged by the peer when the connection broke
  kCount,
};
const char* DropReasonName(DropReason reason);

// Why the transport closed a connection.
enum class CloseReason : uint8_t {
  kPeerClosed,               // EOF from the peer between frames
  kTruncatedFrame,           // EOF from the peer in the middle of a frame
  kIoError,                  // read or write error (reset, refused, …)
  kMalformedFrame,           // the body failed to decode
  kVersionMismatch,          // a normal frame's version differs from the negotiated one
  kNotNegotiated,            // a normal frame arrived before negotiation
  kFrameTooLarge,            // header length above max_frame_body
  kNegotiationRefused,       // the peer answered x_unknown_proto or a version above ours
  kNegotiationTimeout,       // not negotiated within negotiation_timeout
  kIpv6Ineligible,           // an older peer and a member without an IPv4 address
  kReadStalled,              // read_stall_timeout
  kWriteStalled,             // write_stall_timeout
  kIdle,                     // the reaper: no outbound activity for reaper_idle_timeout
  kServerCollected,          // the server left every retained site
  kShutdown,                 // the transport stopped
  kFrameTooSlow,             // a frame did not arrive at min_frame_rate
  kInboundIdle,              // inbound_idle_timeout without a byte
  kTooManyConnections,       // max_inbound_connections or max_inbound_per_address reached
  kPartialFramesOverBudget,  // max_partial_frame_bytes reached: this one held the most
  kTlsHandshakeFailed,       // TLS is on and the handshake failed (tls_handshake_failures says why)
  kTlsMismatch,              // TLS is off here and the peer opened with a TLS ClientHello
  kCount,
};
const char* CloseReasonName(CloseReason reason);

// One slot per pax_op 0 … 25 (synode_request and synode_allocated arrived with 8.0.39) and one
// for every other value (the codec accepts any op).
inline constexpr size_t kOpSlots = 27;
size_t OpSlot(xdr::PaxOp op);
// The pax_op name of a slot ("learn_op"), "other_op" for the last one.
std::string OpSlotName(size_t slot);

// A counter written by one thread and read by any.
class Counter {
 public:
  void Add(uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t Get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

struct OpCount {
  uint64_t count = 0;
  uint64_t bytes = 0;
};

class TransportStatistics {
 public:
  struct Snapshot {
    std::array<OpCount, kOpSlots> sent{};      // frames written to sockets, per op
    std::array<OpCount, kOpSlots> received{};  // frames read and decoded, per op
    uint64_t encodes = 0;          // messages encoded (at most one per message and version)
    uint64_t self_deliveries = 0;  // messages delivered to this node without a socket
    uint64_t dials = 0;
    uint64_t dial_failures = 0;
    uint64_t negotiations = 0;  // outbound connections that reached a protocol version
    uint64_t accepts = 0;
    uint64_t accepts_rejected = 0;  // by the accept callback
    uint64_t accept_errors = 0;
    uint64_t trailing_byte_frames = 0;    // decoded with bytes left over (8.0.18 ignores them)
    uint64_t ignored_control_frames = 0;  // unknown frame types, stale or unsolicited replies
    uint64_t ignored_from_invalid = 0;    // read from an invalidated server: not delivered
    // Read on an inbound connection after a newer connection from the same sender delivered:
    // not delivered, so that a sender's messages are never delivered out of order
    // (per-sender FIFO across reconnects).
    uint64_t superseded_frames = 0;
    // Bytes written but not acknowledged by the peer when an outbound connection broke: the
    // frames they belong to are counted in drops[kLostInFlight].
    uint64_t lost_in_flight_bytes = 0;
    uint64_t tls_handshakes = 0;  // completed, both directions
    std::array<uint64_t, static_cast<size_t>(net::TlsFailure::kCount)> tls_handshake_failures{};
    std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> drops{};
    std::array<uint64_t, static_cast<size_t>(CloseReason::kCount)> outbound_closes{};
    std::array<uint64_t, static_cast<size_t>(CloseReason::kCount)> inbound_closes{};

    uint64_t drops_total() const;
    uint64_t drop(DropReason r) const { return drops[static_cast<size_t>(r)]; }
    uint64_t outbound_close(CloseReason r) const { return outbound_closes[static_cast<size_t>(r)]; }
    uint64_t inbound_close(CloseReason r) const { return inbound_closes[static_cast<size_t>(r)]; }
    uint64_t tls_handshake_failure(net::TlsFailure f) const {
      return tls_handshake_failures[static_cast<size_t>(f)];
    }
    // {"sent": {"learn_op": {"count": 3, "bytes": 420}, …}, "drops": {…}, …}; zero entries
    // are left out.
    std::string ToJson() const;
  };

  void CountSent(xdr::PaxOp op, uint64_t bytes);
  void CountReceived(xdr::PaxOp op, uint64_t bytes);
  void CountDrop(DropReason reason, uint64_t n = 1) { drops_[static_cast<size_t>(reason)].Add(n); }
  void CountOutboundClose(CloseReason reason) {
    outbound_closes_[static_cast<size_t>(reason)].Add();
  }
  void CountInboundClose(CloseReason reason) { inbound_closes_[static_cast<size_t>(reason)].Add(); }
  void CountTlsFailure(net::TlsFailure failure) {
    tls_failures_[static_cast<size_t>(failure)].Add();
  }

  Counter encodes;
  Counter self_deliveries;
  Counter dials;
  Counter dial_failures;
  Counter negotiations;
  Counter accepts;
  Counter accepts_rejected;
  Counter accept_errors;
  Counter trailing_byte_frames;
  Counter ignored_control_frames;
  Counter ignored_from_invalid;
  Counter superseded_frames;
  Counter lost_in_flight_bytes;
  Counter tls_handshakes;

  Snapshot Take() const;

 private:
  struct OpCounter {
    Counter count;
    Counter bytes;
  };
  std::array<OpCounter, kOpSlots> sent_;
  std::array<OpCounter, kOpSlots> received_;
  std::array<Counter, static_cast<size_t>(DropReason::kCount)> drops_;
  std::array<Counter, static_cast<size_t>(CloseReason::kCount)> outbound_closes_;
  std::array<Counter, static_cast<size_t>(CloseReason::kCount)> inbound_closes_;
  std::array<Counter, static_cast<size_t>(net::TlsFailure::kCount)> tls_failures_;
};

}  // namespace uxcom::xcom

#endif  // UXCOM_XCOM_STATISTICS_H_
