#include "xcom/internal/peer_logic.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "xdr/negotiation.h"

namespace uxcom::xcom::internal {

PeerLogic::Config PeerLogic::ConfigFrom(const TransportOptions& options) {
  return {.backoff = options.backoff,
          .message_ttl = options.disconnected_message_ttl,
          .queue_limit = options.peer_queue_limit,
          .queue_bytes = options.peer_queue_bytes};
}

PeerLogic::PeerLogic(const Config& config)
    : config_(config),
      bytes_(config.queue_bytes),
      queue_(config.queue_limit),
      wait_(config.backoff.initial),
      next_tag_(xdr::kFirstNegotiationTag) {}

// --- the queue ----------------------------------------------------------------------------------

absl::Status PeerLogic::CheckCost(size_t cost) {
  if (cost <= ByteBudget::kMaxSmallCharge) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("the message takes ", cost, " bytes queued (its copy and frames): above ",
                   ByteBudget::kMaxSmallCharge, ", the most a queue entry can hold"));
}

absl::Status PeerLogic::TryPush(QueuedMessage& m) {
  const size_t cost = CostOf(*m.message);
  if (absl::Status s = CheckCost(cost); !s.ok()) return s;
  if (queue_.closed()) return absl::FailedPreconditionError("channel closed");
  if (!bytes_.HasRoom(cost)) {
    return absl::ResourceExhaustedError("peer_queue_bytes reached");
  }
  m.charge = bytes_.TakeSmall(static_cast<uint32_t>(cost));
  absl::Status s = queue_.TryPush(std::move(m));
  if (!s.ok()) m.charge.Release();  // not moved from: left with the caller, uncharged
  return s;
}

net::Task<absl::Status> PeerLogic::Push(QueuedMessage m) {
  const size_t cost = CostOf(*m.message);
  if (absl::Status s = CheckCost(cost); !s.ok()) co_return s;
  // Room in bytes first (each release of bytes wakes every waiter to look again), then in
  // count (the channel's own wait).
  while (!bytes_.HasRoom(cost) && !queue_.closed()) {
    bytes_.room().Reset();
    absl::Status woken = co_await bytes_.room().Wait();
    if (!woken.ok()) co_return woken;
  }
  m.charge = bytes_.TakeSmall(static_cast<uint32_t>(cost));
  absl::Status pushed = co_await queue_.Push(std::move(m));
  co_return pushed;
}

std::optional<QueuedMessage> PeerLogic::TakeNext() {
  if (held_) return std::exchange(held_, std::nullopt);
  return queue_.TryPop();
}

void PeerLogic::Hold(QueuedMessage message) { held_ = std::move(message); }

uint64_t PeerLogic::Expire(net::TimePoint now) {
  uint64_t dropped = 0;
  if (held_ && Expired(*held_, now)) {
    held_.reset();
    ++dropped;
  }
  // FIFO: the queue is in enqueue order, so the expired messages are at its front.
  while (const QueuedMessage* front = queue_.Front()) {
    if (!Expired(*front, now)) break;
    (void)queue_.TryPop();
    ++dropped;
  }
  return dropped;
}

net::TimePoint PeerLogic::NextExpiry() const {
  const QueuedMessage* oldest = held_ ? &*held_ : queue_.Front();
  if (oldest == nullptr) return net::TimePoint::max();
  return oldest->message->sent_at() + config_.message_ttl;
}

uint64_t PeerLogic::DropAll() {
  uint64_t dropped = held_ ? 1 : 0;
  held_.reset();
  dropped += queue_.Drain().size();
  return dropped;
}

// --- dialling and connections -------------------------------------------------------------------

void PeerLogic::ScheduleRedial(net::TimePoint now) {
  next_ = {.kind = NextDial::kAt, .at = now + wait_};
  wait_ = config_.backoff.Next(wait_);
}

void PeerLogic::OnDialFailed(net::TimePoint now) {
  ++dial_failures_;
  ScheduleRedial(now);
}

uint16_t PeerLogic::OnConnected(net::TimePoint) {
  ++connects_;
  state_ = ConnectionState::kConnected;
  version_ = xdr::ProtocolVersion::kUnknown;
  last_tag_ = next_tag_;
  next_tag_ = xdr::NextNegotiationTag(next_tag_);
  return last_tag_;
}

void PeerLogic::OnNegotiated(xdr::ProtocolVersion version) {
  state_ = ConnectionState::kNegotiated;
  version_ = version;
}

void PeerLogic::OnConnectionEnded(net::TimePoint now, CloseReason reason) {
  const bool worked = state_ == ConnectionState::kNegotiated;
  state_ = ConnectionState::kNone;
  version_ = xdr::ProtocolVersion::kUnknown;
  if (worked) {
    // A connection that negotiated worked: the back-off starts over.
    wait_ = config_.backoff.initial;
    next_ = {.kind = reason == CloseReason::kIdle ? NextDial::kWhenQueued : NextDial::kNow};
  } else {
    // One that never negotiated (refused, timed out, closed at once) counts as a failed dial,
    // so a peer that accepts and then refuses is not redialled at round-trip speed.
    ScheduleRedial(now);
  }
}

PeerLogic::NextDial PeerLogic::next_dial(net::TimePoint now) const {
  switch (next_.kind) {
    case NextDial::kNow:
      return next_;
    case NextDial::kAt:
      return next_.at <= now ? NextDial{} : next_;
    case NextDial::kWhenQueued:
      return waiting() > 0 ? NextDial{} : next_;
  }
  return next_;
}

// --- writing ------------------------------------------------------------------------------------

PeerLogic::FramePlan PeerLogic::PlanFrame(size_t gathered_bytes, size_t frame_bytes,
                                          size_t capacity) {
  if (frame_bytes > capacity) {
    return gathered_bytes == 0 ? FramePlan::kWriteAlone : FramePlan::kFlushThenWriteAlone;
  }
  if (gathered_bytes + frame_bytes > capacity) return FramePlan::kFlushThenGather;
  return FramePlan::kGather;
}

void PeerLogic::OnGathered(size_t frame_bytes) {
  ++in_flight_;
  ++messages_sent_;
  bytes_sent_ += frame_bytes;
}

uint64_t PeerLogic::OnWriteFailed() { return std::exchange(in_flight_, 0); }

}  // namespace uxcom::xcom::internal
