// PeerLogic without I/O: the back-off schedule, tags, message expiry, the held message and
// write batching, each decided from events and the time they happened.
#include "xcom/internal/peer_logic.h"

#include <doctest/doctest.h>

#include <vector>

namespace uxcom::xcom::internal {
namespace {

using namespace std::chrono_literals;
using net::TimePoint;
using NextDial = PeerLogic::NextDial;
using FramePlan = PeerLogic::FramePlan;

const TimePoint t0 = net::kVirtualEpoch;

PeerLogic::Config Config(Backoff backoff = {}, Duration ttl = 2s, size_t limit = 100) {
  return {.backoff = backoff, .message_ttl = ttl, .queue_limit = limit};
}

// A queue entry identified by its `to` field, for an empty message sent at `sent_at` (the
// logic looks only at when the message was sent).
QueuedMessage Entry(NodeNo id, TimePoint sent_at) {
  static ObjectPool<OutgoingMessage>& pool = *new ObjectPool<OutgoingMessage>(16);
  OutgoingRef message = pool.Acquire();
  message->Assign(xdr::PaxMsg{}, xdr::kDefaultProfile, sent_at);
  return {.message = std::move(message), .to = id};
}

std::vector<NodeNo> TakeAll(PeerLogic& p) {
  std::vector<NodeNo> ids;
  while (std::optional<QueuedMessage> m = p.TakeNext()) ids.push_back(m->to);
  return ids;
}

// Fails every dial the moment it is due; returns when each redial was scheduled for.
std::vector<Duration> RedialSchedule(PeerLogic& p, int failures) {
  std::vector<Duration> at;
  TimePoint now = t0;
  for (int i = 0; i < failures; ++i) {
    REQUIRE(p.next_dial(now).kind == NextDial::kNow);
    p.OnDialFailed(now);
    NextDial next = p.next_dial(now);
    REQUIRE(next.kind == NextDial::kAt);
    at.push_back(next.at - t0);
    now = next.at;
  }
  return at;
}

TEST_CASE("a new peer is dialled at once") {
  PeerLogic p(Config());
  CHECK(p.next_dial(t0) == NextDial{});
  CHECK(p.state() == ConnectionState::kNone);
  CHECK(p.last_tag() == 0);
}

TEST_CASE("the default back-off is 0.1 s, then 1 s more per failed dial, capped at 10 s") {
  PeerLogic p(Config());
  // Waits of 0.1, 1.1, 2.1, ... 9.1, 10, 10 s: each redial is due that long after the last.
  const std::vector<Duration> want = {100ms,   1200ms,  3300ms,  6400ms,  10500ms, 15600ms,
                                      21700ms, 28800ms, 36900ms, 46000ms, 56000ms, 66000ms};
  CHECK(RedialSchedule(p, 12) == want);
  CHECK(p.dial_failures() == 12);
}

TEST_CASE("a multiplicative back-off doubles up to its maximum (8.0.18's shape)") {
  PeerLogic p(Config({.initial = 100ms, .multiplier = 2.0, .increase = 0ms, .max = 1s}));
  const std::vector<Duration> want = {100ms, 300ms, 700ms, 1500ms, 2500ms, 3500ms};
  CHECK(RedialSchedule(p, 6) == want);
}

TEST_CASE("a redial is not due before its time, and due exactly at it") {
  PeerLogic p(Config());
  p.OnDialFailed(t0);
  CHECK(p.next_dial(t0 + 99ms) == NextDial{.kind = NextDial::kAt, .at = t0 + 100ms});
  CHECK(p.next_dial(t0 + 100ms) == NextDial{});
}

TEST_CASE("each connection sends the next tag: 313, 314, ... wrapping at 2^16") {
  PeerLogic p(Config());
  CHECK(p.OnConnected(t0) == 313);
  p.OnConnectionEnded(t0, CloseReason::kPeerClosed);
  CHECK(p.OnConnected(t0) == 314);
  CHECK(p.last_tag() == 314);
  CHECK(p.connects() == 2);
  for (int i = 0; i < 65535 - 314; ++i) (void)p.OnConnected(t0);
  CHECK(p.last_tag() == 65535);
  CHECK(p.OnConnected(t0) == 0);
}

TEST_CASE("a connection that negotiated resets the back-off and is redialled at once") {
  PeerLogic p(Config());
  (void)RedialSchedule(p, 3);  // the next wait would be 3.1 s
  (void)p.OnConnected(t0 + 10s);
  CHECK(p.state() == ConnectionState::kConnected);
  p.OnNegotiated(xdr::ProtocolVersion::kX1_6);
  CHECK(p.state() == ConnectionState::kNegotiated);
  CHECK(p.version() == xdr::ProtocolVersion::kX1_6);
  p.OnConnectionEnded(t0 + 20s, CloseReason::kIoError);
  CHECK(p.state() == ConnectionState::kNone);
  CHECK(p.version() == xdr::ProtocolVersion::kUnknown);
  CHECK(p.next_dial(t0 + 20s) == NextDial{});
  // The schedule starts over from the first step.
  p.OnDialFailed(t0 + 20s);
  CHECK(p.next_dial(t0 + 20s) == NextDial{.kind = NextDial::kAt, .at = t0 + 20s + 100ms});
}

TEST_CASE("a connection that ends before negotiating counts as a failed dial for the back-off") {
  PeerLogic p(Config());
  (void)p.OnConnected(t0);
  p.OnConnectionEnded(t0 + 5ms, CloseReason::kNegotiationRefused);
  CHECK(p.next_dial(t0 + 5ms) == NextDial{.kind = NextDial::kAt, .at = t0 + 105ms});
  (void)p.OnConnected(t0 + 105ms);
  p.OnConnectionEnded(t0 + 110ms, CloseReason::kNegotiationTimeout);
  CHECK(p.next_dial(t0 + 110ms) == NextDial{.kind = NextDial::kAt, .at = t0 + 1210ms});
  CHECK(p.dial_failures() == 0);  // TCP dials that failed: none here
  CHECK(p.connects() == 2);
}

TEST_CASE("after an idle close the peer is redialled only when a message is queued") {
  PeerLogic p(Config());
  (void)p.OnConnected(t0);
  p.OnNegotiated(xdr::ProtocolVersion::kX1_6);
  p.OnConnectionEnded(t0 + 10s, CloseReason::kIdle);
  CHECK(p.next_dial(t0 + 1h).kind == NextDial::kWhenQueued);
  REQUIRE(p.queue().TryPush(Entry(1, t0 + 1h)).ok());
  CHECK(p.next_dial(t0 + 1h) == NextDial{});
}

TEST_CASE("messages expire exactly disconnected_message_ttl after they were queued, oldest first") {
  PeerLogic p(Config({}, 2s));
  CHECK(p.NextExpiry() == TimePoint::max());
  REQUIRE(p.queue().TryPush(Entry(1, t0)).ok());
  REQUIRE(p.queue().TryPush(Entry(2, t0 + 1s)).ok());
  REQUIRE(p.queue().TryPush(Entry(3, t0 + 3s)).ok());
  CHECK(p.NextExpiry() == t0 + 2s);
  CHECK(p.Expire(t0 + 2s - 1ns) == 0);
  CHECK(p.Expire(t0 + 2s) == 1);
  CHECK(p.NextExpiry() == t0 + 3s);
  CHECK(p.waiting() == 2);
  CHECK(p.Expire(t0 + 4s) == 1);
  CHECK(TakeAll(p) == std::vector<NodeNo>{3});
}

TEST_CASE("a queue entry charges at most 4 GiB - 1 bytes: a message taking more is refused") {
  CHECK(PeerLogic::CheckCost(ByteBudget::kMaxSmallCharge).ok());
  absl::Status refused = PeerLogic::CheckCost(ByteBudget::kMaxSmallCharge + size_t{1});
  CHECK(absl::IsInvalidArgument(refused));
  CHECK(refused.message() ==
        "the message takes 4294967296 bytes queued (its copy and frames): above 4294967295, the "
        "most a queue entry can hold");
}

TEST_CASE("a held message goes first, expires like the others and is counted when dropped") {
  PeerLogic p(Config({}, 2s));
  REQUIRE(p.queue().TryPush(Entry(1, t0)).ok());
  REQUIRE(p.queue().TryPush(Entry(2, t0 + 1s)).ok());
  std::optional<QueuedMessage> taken = p.TakeNext();
  REQUIRE(taken.has_value());
  CHECK(taken->to == 1);
  p.Hold(*std::move(taken));  // the connection broke before any write included it
  CHECK(p.waiting() == 2);
  CHECK(p.NextExpiry() == t0 + 2s);
  CHECK(TakeAll(p) == std::vector<NodeNo>{1, 2});

  REQUIRE(p.queue().TryPush(Entry(3, t0 + 1s)).ok());
  p.Hold(Entry(4, t0));
  CHECK(p.Expire(t0 + 2s) == 1);  // the held one
  CHECK(p.waiting() == 1);
  CHECK(p.DropAll() == 1);
  p.Hold(Entry(5, t0));
  REQUIRE(p.queue().TryPush(Entry(6, t0)).ok());
  CHECK(p.DropAll() == 2);
  CHECK(p.waiting() == 0);
}

TEST_CASE("frames are gathered up to the buffer; larger ones are written alone") {
  constexpr size_t kCap = 64 * 1024;
  CHECK(PeerLogic::PlanFrame(0, 100, kCap) == FramePlan::kGather);
  CHECK(PeerLogic::PlanFrame(kCap - 100, 100, kCap) == FramePlan::kGather);
  CHECK(PeerLogic::PlanFrame(kCap - 99, 100, kCap) == FramePlan::kFlushThenGather);
  CHECK(PeerLogic::PlanFrame(0, kCap, kCap) == FramePlan::kGather);
  CHECK(PeerLogic::PlanFrame(0, kCap + 1, kCap) == FramePlan::kWriteAlone);
  CHECK(PeerLogic::PlanFrame(1, kCap + 1, kCap) == FramePlan::kFlushThenWriteAlone);
}

TEST_CASE("a failed write loses exactly the messages gathered and not yet written") {
  PeerLogic p(Config());
  p.OnGathered(100);
  p.OnGathered(200);
  CHECK(p.in_flight() == 2);
  p.OnWritten();
  CHECK(p.in_flight() == 0);
  p.OnGathered(50);
  p.OnGathered(50);
  p.OnGathered(50);
  CHECK(p.OnWriteFailed() == 3);
  CHECK(p.in_flight() == 0);
  // Counted when gathered, as 8.0.18 counts buffered bytes.
  CHECK(p.messages_sent() == 5);
  CHECK(p.bytes_sent() == 450);
}

}  // namespace
}  // namespace uxcom::xcom::internal
