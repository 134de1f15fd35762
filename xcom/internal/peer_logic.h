// PeerLogic: what the transport decides about one peer, without sockets and without a clock.
//
// raft-rs's RawNode is the model: the logic is a value advanced by events that carry the
// current time, and it answers with decisions; the coroutines around it (sender.cc,
// outbound_connection.cc) do the I/O those decisions ask for and report what happened. So the
// back-off schedule, message expiry, the held message, negotiation tags and write batching are
// tested without a socket or a timer (peer_logic_test.cc), and the I/O code reads as a list of
// steps.
//
// Events and decisions:
//
//   dialling    OnDialFailed(now)            -> next_dial(now): kAt redial time (back-off)
//               OnConnected(now)             -> the tag to send in x_version_req
//               OnNegotiated(version)
//               OnConnectionEnded(now, why)  -> next_dial(now): kNow, kAt or kWhenQueued
//   queue       TryPush(m) / Push(m) (the transport; bounded in messages and in bytes),
//               queue() (the sender pops), TakeNext(), Hold(m),
//               Expire(now) -> dropped, NextExpiry(), DropAll() -> dropped
//   writing     PlanFrame(gathered, frame, capacity) -> gather, flush first, write alone
//               OnGathered(bytes), OnWritten(), OnWriteFailed() -> lost
//
// The rule for a connection that breaks while messages are on their way: a message that a
// write included is lost (DropReason::kConnectionLost; its bytes may have reached the peer,
// and XCom never sends anything twice); a message no write included is kept for the next
// connection (held). Both kinds are counted here, in one place: waiting() and in_flight().
//
// Executor thread only (the queue is a net::Channel).
#ifndef UXCOM_XCOM_INTERNAL_PEER_LOGIC_H_
#define UXCOM_XCOM_INTERNAL_PEER_LOGIC_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "net/channel.h"
#include "net/executor.h"
#include "net/task.h"
#include "xcom/internal/byte_budget.h"
#include "xcom/internal/outgoing_message.h"
#include "xcom/options.h"
#include "xcom/site.h"
#include "xcom/statistics.h"
#include "xdr/protocol_version.h"

namespace uxcom::xcom::internal {

// One entry of a peer's queue: a shared message and the node number to stamp as `to`.
struct QueuedMessage {
  OutgoingRef message;
  // Its bytes in the peer's peer_queue_bytes, given back when the entry is gone (written,
  // expired, dropped). A message whose queued cost exceeds 4 GiB is refused (TryPush).
  [[no_unique_address]] ByteBudget::SmallCharge charge{};
  NodeNo to = 0;  // in the charge's tail padding
};
// A peer's ring grows to peer_queue_limit of these in a burst and keeps that capacity: at 24 B,
// 1.5 MiB per peer at the default limit. The time a message was sent lives in the message,
// which its destinations share (OutgoingMessage::sent_at).
static_assert(sizeof(QueuedMessage) <= 24, "a queue entry costs peer_queue_limit times its size");

// XCom's connection states: CON_NULL, CON_FD, CON_PROTO.
enum class ConnectionState { kNone, kConnected, kNegotiated };

class PeerLogic {
 public:
  struct Config {
    Backoff backoff{};
    Duration message_ttl = std::chrono::seconds(2);  // disconnected_message_ttl
    size_t queue_limit = 65536;                      // peer_queue_limit
    size_t queue_bytes = size_t{64} << 20;           // peer_queue_bytes
  };
  static Config ConfigFrom(const TransportOptions& options);

  explicit PeerLogic(const Config& config);
  PeerLogic(const PeerLogic&) = delete;
  PeerLogic& operator=(const PeerLogic&) = delete;

  // --- the queue ------------------------------------------------------------------------------
  // FIFO of messages for this peer; the transport pushes, the sender pops (and waits on it).
  net::Channel<QueuedMessage>& queue() { return queue_; }
  // Messages not yet taken by a write: queued, plus the one held back.
  size_t waiting() const { return queue_.size() + (held_ ? 1 : 0); }
  // Their bytes (each message's footprint when it was queued), against peer_queue_bytes.
  size_t waiting_bytes() const { return bytes_.used(); }
  // What a message costs this queue: its footprint and its slot.
  static size_t CostOf(const OutgoingMessage& m) { return m.footprint() + sizeof(QueuedMessage); }
  // Room for `bytes` more under peer_queue_bytes (an empty queue admits any one message).
  bool HasRoomFor(size_t bytes) const { return bytes_.HasRoom(bytes); }
  // Queues `m` without waiting, charging its bytes: kResourceExhausted when either bound is
  // reached (then `m` is left with the caller, uncharged), kFailedPrecondition once closed,
  // kInvalidArgument for a message CheckCost refuses.
  absl::Status TryPush(QueuedMessage& m);
  // A queue entry charges at most ByteBudget::kMaxSmallCharge (4 GiB - 1) bytes; a message
  // that takes more queued (a payload of gigabytes, beyond any max_frame_body a peer accepts
  // by default) is refused, not under-counted.
  static absl::Status CheckCost(size_t cost);
  // Queues `m`, waiting for room in count and in bytes; the channel's codes (net/channel.h).
  net::Task<absl::Status> Push(QueuedMessage m);
  // The next message to write without waiting: the held one first, then the oldest queued.
  std::optional<QueuedMessage> TakeNext();
  // Gives back a message taken for writing that no write included: it is the first message
  // of the next connection. At most one message is ever held.
  void Hold(QueuedMessage message);
  // Drops every waiting message older than the TTL at `now` (oldest first); returns how many.
  uint64_t Expire(net::TimePoint now);
  // When the oldest waiting message expires; TimePoint::max() when nothing waits.
  net::TimePoint NextExpiry() const;
  // Drops everything waiting (the server is collected, the transport stops); returns how many.
  uint64_t DropAll();

  // --- dialling and connections -----------------------------------------------------------------
  void OnDialFailed(net::TimePoint now);
  // A TCP connection is up: returns the tag of its x_version_req.
  uint16_t OnConnected(net::TimePoint now);
  void OnNegotiated(xdr::ProtocolVersion version);
  // The connection is over (closed for `reason`); decides when to dial again.
  void OnConnectionEnded(net::TimePoint now, CloseReason reason);

  struct NextDial {
    enum Kind {
      kNow,         // dial at once
      kAt,          // sleep until `at` (the back-off), expiring messages meanwhile
      kWhenQueued,  // the connection idled out: dial when a message is queued (8.0.18's reaper)
    };
    Kind kind = kNow;
    net::TimePoint at{};
    bool operator==(const NextDial&) const = default;
  };
  NextDial next_dial(net::TimePoint now) const;

  ConnectionState state() const { return state_; }
  xdr::ProtocolVersion version() const { return version_; }  // kUnknown unless negotiated
  uint16_t last_tag() const { return last_tag_; }            // 0 until the first connection

  // --- writing ----------------------------------------------------------------------------------
  enum class FramePlan {
    kGather,               // append it to the batch
    kFlushThenGather,      // the batch is full: write it, then start a new one with this frame
    kWriteAlone,           // larger than the batch buffer, nothing gathered: write it by itself
    kFlushThenWriteAlone,  // the same, after writing what is gathered
  };
  static FramePlan PlanFrame(size_t gathered_bytes, size_t frame_bytes, size_t capacity);
  // A message's frame was added to the batch (or is being written alone).
  void OnGathered(size_t frame_bytes);
  // Every message gathered so far was written whole.
  void OnWritten() { in_flight_ = 0; }
  // A write failed: every message gathered and not yet written is lost; returns how many.
  uint64_t OnWriteFailed();
  // Gathered (or being written alone) and not yet written.
  uint64_t in_flight() const { return in_flight_; }

  // --- counters for PeerInfo ---------------------------------------------------------------------
  uint64_t connects() const { return connects_; }
  uint64_t dial_failures() const { return dial_failures_; }
  uint64_t messages_sent() const { return messages_sent_; }  // gathered, as 8.0.18 counts
  uint64_t bytes_sent() const { return bytes_sent_; }
  // A message delivered without a socket (the local server) counts as sent.
  void OnDeliveredLocally() { ++messages_sent_; }

 private:
  bool Expired(const QueuedMessage& m, net::TimePoint now) const {
    return m.message->sent_at() + config_.message_ttl <= now;
  }
  void ScheduleRedial(net::TimePoint now);

  const Config config_;
  // Declared before the queue: the entries' charges give their bytes back to it.
  ByteBudget bytes_;
  net::Channel<QueuedMessage> queue_;
  std::optional<QueuedMessage> held_;

  ConnectionState state_ = ConnectionState::kNone;
  xdr::ProtocolVersion version_ = xdr::ProtocolVersion::kUnknown;
  NextDial next_{};  // a new peer is dialled at once
  Duration wait_;    // the next back-off step
  uint16_t next_tag_;
  uint16_t last_tag_ = 0;

  uint64_t in_flight_ = 0;
  uint64_t connects_ = 0;
  uint64_t dial_failures_ = 0;
  uint64_t messages_sent_ = 0;
  uint64_t bytes_sent_ = 0;
};

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_PEER_LOGIC_H_
