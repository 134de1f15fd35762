// The transport as an embedder sees it: groups on loopback, fan-out, self-delivery, replies,
// liveness and statistics.
#include "xcom/transport.h"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/testing.h"
#include "net/timer.h"
#include "xcom/testing/testing.h"

namespace uxcom::xcom {
namespace {

using namespace std::chrono_literals;
using testing::AppMessage;
using testing::Group;
using testing::ReceiveWithin;

// Every node broadcasts `per_node` messages and then a fence; every node must receive every
// message exactly once, in per-sender order. Exactly once is checked without waiting for
// duplicates that might come later: delivery is FIFO per sender, so a duplicate of any message
// would arrive before that sender's fence, out of sequence, and nothing may follow the fences.
void BroadcastAndVerify(int nodes, int per_node) {
  auto ex = net::testing::NewVirtualExecutor();
  Group g(*ex, nodes);
  absl::Status s = ex->BlockOn([&]() -> net::Task<absl::Status> {
    absl::Status exchanged = co_await testing::ExchangeExactlyOnce(g, per_node);
    // Exactly once: a second later (virtual time: everything in flight has landed), nothing
    // more has arrived anywhere.
    absl::Status slept = co_await net::Sleep(1s);
    REQUIRE(slept.ok());
    for (int j = 0; j < g.size(); ++j) CHECK(g[j].TryReceive() == std::nullopt);
    co_await g.Stop();
    co_return exchanged;
  }());
  INFO(s.ToString());
  CHECK(s.ok());
}

TEST_CASE("every node of a 3-node group receives every broadcast once, in sender order") {
  BroadcastAndVerify(3, 50);
}

TEST_CASE("a 5-node group delivers every broadcast once, in sender order") {
  BroadcastAndVerify(5, 20);
}

TEST_CASE("a 9-node group delivers every broadcast once, in sender order") {
  BroadcastAndVerify(9, 10);
}

TEST_CASE("a message to self is delivered later, locally, and never through a socket") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 2);
  ex->BlockOn([&]() -> net::Task<void> {
    SendReport r = co_await g[0].SendToSelf(g.sites[0], AppMessage("me"));
    CHECK(r.queued == 1);
    CHECK(g[0].TryReceive() == std::nullopt);  // asynchronous: not inside the send
    absl::StatusOr<IncomingMessage> in = co_await ReceiveWithin(g[0], 5s);
    REQUIRE(in.ok());
    CHECK(in->origin() == MessageOrigin::kSelf);
    CHECK(in->msg().to == 0);
    CHECK(in->msg().from == 0);
    CHECK(in->wire_size() == 0);
    CHECK(testing::Payload(*in) == "me");
    TransportStatistics::Snapshot s = g[0].statistics();
    CHECK(s.self_deliveries == 1);
    CHECK(s.encodes == 0);
    std::optional<PeerInfo> self = g[0].peer(g.addresses[0]);
    REQUIRE(self.has_value());
    CHECK(self->local);
    CHECK(self->state == PeerConnectionState::kNone);
    co_await g.Stop();
  }());
}

TEST_CASE("send_to_others skips this node and send_to_all includes it") {
  auto ex = net::testing::NewVirtualExecutor();
  Group g(*ex, 3);
  ex->BlockOn([&]() -> net::Task<void> {
    SendReport others = co_await g[1].SendToOthers(g.sites[1], AppMessage("o"));
    CHECK(others.queued == 2);
    for (int j : {0, 2}) {
      absl::StatusOr<IncomingMessage> in = co_await ReceiveWithin(g[j], 5s);
      REQUIRE(in.ok());
      CHECK(testing::Payload(*in) == "o");
    }
    absl::Status slept = co_await net::Sleep(1s);  // virtual: anything on its way has landed
    REQUIRE(slept.ok());
    CHECK(g[1].TryReceive() == std::nullopt);
    SendReport acceptors = co_await g[1].SendToAcceptors(g.sites[1], AppMessage("a"));
    CHECK(acceptors.queued == 3);  // MAXACCEPT is undefined in 8.0.18: everyone
    co_await g.Stop();
  }());
}

TEST_CASE("send_to_someone tries every other node, so a 2-node group always reaches the peer") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 2);
  ex->BlockOn([&]() -> net::Task<void> {
    // Nobody has been heard from yet: nobody is eligible (a new node has detected = 0).
    SendReport none = co_await g[0].SendToSomeone(g.sites[0], AppMessage("x"));
    CHECK(absl::IsNotFound(none.status));
    CHECK(none.chosen == kVoidNodeNo);
    // Let node 1 talk to node 0, so node 0 has detected it.
    absl::StatusOr<IncomingMessage> awaited = co_await g.Deliver(1, 0, "hello");
    REQUIRE(awaited.ok());
    // 8.0.18 would skip its start slot and send to nobody on every other call.
    for (int k = 0; k < 6; ++k) {
      SendReport r = co_await g[0].SendToSomeone(g.sites[0], AppMessage("s"));
      CHECK(r.status.ok());
      CHECK(r.chosen == 1);
      CHECK(r.queued == 1);
    }
    for (int k = 0; k < 6; ++k) {
      auto received = co_await ReceiveWithin(g[1], 5s);
      REQUIRE(received.ok());
    }
    co_await g.Stop();
  }());
}

TEST_CASE("a reply to an inbound message travels back on the connection it came in on") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 2);
  ex->BlockOn([&]() -> net::Task<void> {
    absl::StatusOr<IncomingMessage> req = co_await g.Deliver(0, 1, "request");
    REQUIRE(req.ok());
    REQUIRE(req->origin() == MessageOrigin::kInbound);
    absl::Status s = co_await g[1].Reply(*req, AppMessage("reply", xdr::PaxOp::kXcomClientReply));
    CHECK(s.ok());
    absl::StatusOr<IncomingMessage> rep = co_await ReceiveWithin(g[0], 5s);
    REQUIRE(rep.ok());
    // Read by node 0's reply reader, on the connection node 0 dialled.
    CHECK(rep->origin() == MessageOrigin::kOutbound);
    CHECK(rep->msg().op == xdr::PaxOp::kXcomClientReply);
    CHECK(rep->msg().to == 0);
    CHECK(rep->msg().from == 1);
    CHECK(testing::Payload(*rep) == "reply");
    // And a reply to that goes through node 0's queue for node 1.
    auto awaited = co_await g[0].Reply(*rep, AppMessage("ack"));
    CHECK(awaited.ok());
    absl::StatusOr<IncomingMessage> ack = co_await ReceiveWithin(g[1], 5s);
    REQUIRE(ack.ok());
    CHECK(testing::Payload(*ack) == "ack");
    co_await g.Stop();
  }());
}

TEST_CASE("liveness: a peer's detected time follows what we read from it") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 2);
  ex->BlockOn([&]() -> net::Task<void> {
    absl::StatusOr<Liveness> before = g[0].liveness(g.sites[0], 1);
    REQUIRE(before.ok());
    CHECK(before->detected == net::TimePoint{});
    absl::StatusOr<IncomingMessage> awaited = co_await g.Deliver(1, 0, "ping");
    REQUIRE(awaited.ok());
    absl::StatusOr<Liveness> after = g[0].liveness(g.sites[0], 1);
    REQUIRE(after.ok());
    CHECK(after->detected > net::TimePoint{});
    // Sending refreshes `active` on the sender's side.
    absl::StatusOr<Liveness> active = g[1].liveness(g.sites[1], 0);
    REQUIRE(active.ok());
    CHECK(active->active > net::TimePoint{});
    CHECK(absl::IsNotFound(g[0].liveness(999, 0).status()));
    CHECK(absl::IsInvalidArgument(g[0].liveness(g.sites[0], 7).status()));
    co_await g.Stop();
  }());
}

TEST_CASE("statistics count messages per op with header bytes, and export as JSON") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 2);
  ex->BlockOn([&]() -> net::Task<void> {
    for (int k = 0; k < 3; ++k) {
      co_await g[0].SendTo(g.sites[0], 1, AppMessage("abc", xdr::PaxOp::kLearnOp));
    }
    for (int k = 0; k < 3; ++k) {
      auto received = co_await ReceiveWithin(g[1], 5s);
      REQUIRE(received.ok());
    }
    TransportStatistics::Snapshot sent = g[0].statistics();
    TransportStatistics::Snapshot received = g[1].statistics();
    const OpCount& s = sent.sent[OpSlot(xdr::PaxOp::kLearnOp)];
    const OpCount& r = received.received[OpSlot(xdr::PaxOp::kLearnOp)];
    CHECK(s.count == 3);
    CHECK(r.count == 3);
    CHECK(s.bytes == r.bytes);
    CHECK(s.bytes % 3 == 0);
    CHECK(s.bytes / 3 > xdr::kFrameHeaderSize);
    CHECK(sent.encodes == 3);
    CHECK(sent.negotiations == 1);
    std::string json = sent.ToJson();
    CHECK(json.find("\"learn_op\":{\"count\":3") != std::string::npos);
    co_await g.Stop();
  }());
}

TEST_CASE("a message larger than the coalescing buffer is written on its own and arrives whole") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 2);
  std::string big(3 * 1024 * 1024 + 5, 'b');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  ex->BlockOn([&]() -> net::Task<void> {
    co_await g[0].SendTo(g.sites[0], 1, AppMessage("small-before"));
    co_await g[0].SendTo(g.sites[0], 1, AppMessage(big));
    co_await g[0].SendTo(g.sites[0], 1, AppMessage("small-after"));
    for (const std::string& want : {std::string("small-before"), big, std::string("small-after")}) {
      absl::StatusOr<IncomingMessage> in = co_await ReceiveWithin(g[1], 10s);
      REQUIRE(in.ok());
      CHECK(testing::Payload(*in) == want);
    }
    co_await g.Stop();
  }());
}

// Messages larger than the read buffer keep the memory they were received in (their payloads
// are views into it, not copies): every one held at once must still read back intact after
// the connection has received the others into its buffer.
TEST_CASE("large messages held together keep their own payloads") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 2);
  std::vector<std::string> sent;
  for (int i = 0; i < 12; ++i) {
    std::string p(100 * 1024 + static_cast<size_t>(i) * 4099, static_cast<char>('a' + i));
    for (size_t k = 0; k < p.size(); k += 512) p[k] = static_cast<char>('A' + (k / 512 + i) % 26);
    sent.push_back(std::move(p));
  }
  ex->BlockOn([&]() -> net::Task<void> {
    for (const std::string& p : sent) co_await g[0].SendTo(g.sites[0], 1, AppMessage(p));
    std::vector<IncomingMessage> held;
    for (size_t i = 0; i < sent.size(); ++i) {
      absl::StatusOr<IncomingMessage> in = co_await ReceiveWithin(g[1], 10s);
      REQUIRE(in.ok());
      held.push_back(*std::move(in));
    }
    for (size_t i = 0; i < sent.size(); ++i) CHECK(testing::Payload(held[i]) == sent[i]);
    held.clear();
    co_await g.Stop();
  }());
}

TEST_CASE("pooled_messages and inbox_limit at their largest reserve a bounded inbox, and work") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 2, [](int, TransportOptions& o) {
    o.pooled_messages = SIZE_MAX;
    o.inbox_limit = SIZE_MAX;
  });
  ex->BlockOn([&]() -> net::Task<void> {
    absl::StatusOr<IncomingMessage> in = co_await g.Deliver(0, 1, "fits");
    REQUIRE(in.ok());
    CHECK(testing::Payload(*in) == "fits");
    co_await g.Stop();
  }());
}

TEST_CASE("sends to an unknown site or node fail clearly and queue nothing") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 2);
  ex->BlockOn([&]() -> net::Task<void> {
    SendReport unknown = co_await g[0].SendToAll(12345, AppMessage("x"));
    CHECK(absl::IsNotFound(unknown.status));
    CHECK(unknown.queued == 0);
    SendReport outside = co_await g[0].SendTo(g.sites[0], 2, AppMessage("x"));
    CHECK(absl::IsInvalidArgument(outside.status));
    co_await g.Stop();
    SendReport stopped = co_await g[0].SendToAll(g.sites[0], AppMessage("x"));
    CHECK(absl::IsFailedPrecondition(stopped.status));
  }());
}

TEST_CASE("invalid options are refused with the option's name") {
  auto ex = net::testing::NewExecutor();
  TransportOptions o;
  o.self_address = "127.0.0.1:1";
  o.min_version = xdr::ProtocolVersion::kX1_6;
  o.max_version = xdr::ProtocolVersion::kX1_4;
  absl::StatusOr<std::unique_ptr<Transport>> t = Transport::Create(*ex, o);
  CHECK(absl::IsInvalidArgument(t.status()));
  CHECK(std::string(t.status().message()).find("min_version") != std::string::npos);
  o = TransportOptions{};
  o.self_address = "no-port";
  t = Transport::Create(*ex, o);
  CHECK(std::string(t.status().message()).find("self_address") != std::string::npos);
  o.self_address = "127.0.0.1:1";
  o.reaper_period = net::Duration::zero();
  t = Transport::Create(*ex, o);
  CHECK(std::string(t.status().message()).find("reaper_period") != std::string::npos);
}

}  // namespace
}  // namespace uxcom::xcom
