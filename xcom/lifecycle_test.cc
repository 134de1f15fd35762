// Servers over time: configurations come and go, connections idle out, peers disappear and
// come back, queues fill up, and the transport stops without leaving anything behind.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/testing.h"
#include "net/timer.h"
#include "xcom/testing/testing.h"
#include "xcom/transport.h"

namespace uxcom::xcom {
namespace {

using namespace std::chrono_literals;
using testing::AppMessage;
using testing::Group;
using testing::ReceiveWithin;

bool Lists(const Transport& t, const std::string& address) { return t.peer(address).has_value(); }

TEST_CASE("a server no retained site lists is collected and its connection closed") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 3);
  ex->BlockOn([&]() -> net::Task<void> {
    co_await g[0].SendToAll(g.sites[0], AppMessage("hello"));
    for (int j = 0; j < 3; ++j) {
      auto received = co_await ReceiveWithin(g[j], 5s);
      REQUIRE(received.ok());
    }
    REQUIRE(g[0].peer(g.addresses[2])->state == PeerConnectionState::kNegotiated);

    Site smaller = g.SiteFor(0);
    smaller.nodes.pop_back();
    absl::StatusOr<SiteId> s2 = g[0].InstallSite(smaller, xdr::CargoType::kRemoveNodeType);
    REQUIRE(s2.ok());
    CHECK(g.logs.Contains("Re-using server node 0"));
    CHECK(Lists(g[0], g.addresses[2]));  // the old site still lists node 2
    CHECK(g[0].RemoveSite(g.sites[0]).ok());
    CHECK_FALSE(Lists(g[0], g.addresses[2]));
    CHECK(Lists(g[0], g.addresses[1]));
    CHECK(g[0].statistics().outbound_close(CloseReason::kServerCollected) == 1);
    // Node 2 sees node 0's connection end.
    bool settled = co_await testing::Eventually(
        [&] { return g[2].statistics().inbound_close(CloseReason::kPeerClosed) == 1; }, 5s);
    CHECK(settled);
    // The new site still works.
    SendReport r = co_await g[0].SendToAll(*s2, AppMessage("after"));
    CHECK(r.queued == 2);
    auto awaited = co_await ReceiveWithin(g[1], 5s);
    CHECK(awaited.ok());
    co_await g.Stop();
  }());
}

TEST_CASE("only the newest sites are retained, and their servers stay") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 3);
  ex->BlockOn([&]() -> net::Task<void> {
    Site two = g.SiteFor(0);
    two.nodes.pop_back();
    REQUIRE(g[0].InstallSite(two).ok());
    REQUIRE(g[0].InstallSite(two).ok());
    CHECK(g[0].peers().size() == 3);
    g[0].RetainNewestSites(2);
    CHECK(g[0].peers().size() == 2);
    CHECK(g[0].site(g.sites[0]) == nullptr);
    co_await g.Stop();
  }());
}

TEST_CASE("a forced configuration invalidates the servers it drops until a site lists them") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 3);
  ex->BlockOn([&]() -> net::Task<void> {
    Site forced = g.SiteFor(0);
    forced.nodes.pop_back();
    absl::StatusOr<SiteId> f = g[0].InstallSite(forced, xdr::CargoType::kForceConfigType);
    REQUIRE(f.ok());
    CHECK(g[0].peer(g.addresses[2])->invalid);
    CHECK_FALSE(g[0].peer(g.addresses[1])->invalid);
    // The old site still lists node 2, but an invalid server gets nothing.
    SendReport r = co_await g[0].SendToAll(g.sites[0], AppMessage("x"));
    CHECK(r.queued == 2);
    CHECK(r.dropped == 1);
    CHECK(absl::IsFailedPrecondition(r.status));
    CHECK(g[0].statistics().drop(DropReason::kInvalidServer) == 1);
    // Listing it again revalidates it.
    REQUIRE(g[0].InstallSite(g.SiteFor(0)).ok());
    CHECK_FALSE(g[0].peer(g.addresses[2])->invalid);
    co_await g.Stop();
  }());
}

TEST_CASE("the reaper closes an idle outbound connection; the next message redials, not lost") {
  auto ex = net::testing::NewVirtualExecutor();
  const net::TimePoint t0 = ex->Now();
  // LoopbackOptions: the reaper looks every 50 ms.
  Group g(*ex, 2, [](int, TransportOptions& o) { o.reaper_idle_timeout = 200ms; });
  ex->BlockOn([&]() -> net::Task<void> {
    co_await g[0].SendTo(g.sites[0], 1, AppMessage("one"));  // the last activity, at t0
    auto awaited = co_await ReceiveWithin(g[1], 5s);
    REQUIRE(awaited.ok());
    absl::Status slept = co_await net::Sleep(1s);
    REQUIRE(slept.ok());
    // Idle for more than 200 ms at the reaper's round at 250 ms (not at 200: not yet "more").
    const std::string to1 =
        absl::StrCat("[node0] INFO: Closing outbound connection to ", g.addresses[1]);
    CHECK(g.logs.Times(to1) == std::vector<net::TimePoint>{t0 + 250ms});
    CHECK(g[0].statistics().outbound_close(CloseReason::kIdle) == 1);
    CHECK(g[0].peer(g.addresses[1])->state == PeerConnectionState::kNone);
    // Nothing to send: no redial (8.0.18's sender also waits for the next message).
    const std::string dials = absl::StrCat("[node0] DEBUG: Connecting to ", g.addresses[1]);
    CHECK(g.logs.Times(dials) == std::vector<net::TimePoint>{t0});
    // 8.0.18 loses the first message after a reap; uxcom dials for it and delivers it.
    absl::StatusOr<IncomingMessage> in = co_await g.Deliver(0, 1, "two");
    REQUIRE(in.ok());
    CHECK(std::get<xdr::Bytes>(in->msg().a[0].body.arm) == "two");
    CHECK(g.logs.Times(dials) == std::vector<net::TimePoint>{t0, t0 + 1s});
    std::optional<PeerInfo> p = g[0].peer(g.addresses[1]);
    CHECK(p->connects == 2);
    CHECK(p->last_tag == 314);
    CHECK(g[0].statistics().drops_total() == 0);
    co_await g.Stop();
  }());
}

TEST_CASE("a full peer queue drops new messages for that peer and counts them") {
  auto ex = net::testing::NewVirtualExecutor();
  const net::TimePoint t0 = ex->Now();
  uint16_t nobody = testing::ReservePort();
  const std::string nobody_address = absl::StrCat("127.0.0.1:", nobody);
  Group g(*ex, 1, [](int, TransportOptions& o) {
    o.peer_queue_limit = 5;
    o.disconnected_message_ttl = 300ms;
  });
  SiteId site =
      *g[0].InstallSite(Site{.group_id = 1,
                             .nodeno = 0,
                             .nodes = {{.address = g.addresses[0]}, {.address = nobody_address}}});
  ex->BlockOn([&]() -> net::Task<void> {
    for (int i = 0; i < 8; ++i) {
      SendReport r = co_await g[0].SendTo(site, 1, AppMessage("m"));
      CHECK(r.queued == (i < 5 ? 1u : 0u));
      if (i >= 5) CHECK(absl::IsResourceExhausted(r.status));
    }
    CHECK(g[0].statistics().drop(DropReason::kQueueFull) == 3);
    CHECK(g[0].peer(nobody_address)->queued == 5);  // exactly peer_queue_limit
    // Nobody ever listens: what was queued expires by age, exactly 300 ms after it was queued
    // (between two dials: back-off 20 ms, then 70, 120, 170 ms), and is counted too.
    absl::Status slept = co_await net::Sleep(299ms);
    REQUIRE(slept.ok());
    CHECK(g[0].statistics().drop(DropReason::kExpiredDisconnected) == 0);
    slept = co_await net::Sleep(1ms);
    REQUIRE(slept.ok());
    CHECK(g[0].statistics().drop(DropReason::kExpiredDisconnected) == 5);
    CHECK(g.logs.Times("Dropped 5 messages queued for") == std::vector<net::TimePoint>{t0 + 300ms});
    CHECK(g[0].peer(nobody_address)->messages_dropped == 8);
    CHECK(g[0].statistics().dial_failures == 4);  // at 0, 20, 90 and 210 ms
    co_await g.Stop();
  }());
}

// Sends `text` to node 1 of `site` and notes when the send completed.
net::Task<void> SendAndNote(Transport& t, SiteId site, std::string text, bool* done) {
  SendReport r = co_await t.SendTo(site, 1, AppMessage(text));
  CHECK(r.queued == 1);
  *done = true;
}

TEST_CASE("under the wait policy a send to a full queue suspends until there is room") {
  auto ex = net::testing::NewVirtualExecutor();
  uint16_t later = testing::ReservePort();
  Group g(*ex, 1, [](int, TransportOptions& o) {
    o.peer_queue_limit = 2;
    o.overflow_policy = QueueOverflowPolicy::kWait;
    o.disconnected_message_ttl = 60s;
  });
  std::string late_address = absl::StrCat("127.0.0.1:", later);
  SiteId site =
      *g[0].InstallSite(Site{.group_id = 1,
                             .nodeno = 0,
                             .nodes = {{.address = g.addresses[0]}, {.address = late_address}}});
  ex->BlockOn([&]() -> net::Task<void> {
    co_await g[0].SendTo(site, 1, AppMessage("1"));
    co_await g[0].SendTo(site, 1, AppMessage("2"));
    // The queue holds peer_queue_limit messages while the peer is unreachable: "3" and "4"
    // wait for room, in the order they were sent.
    bool third_done = false;
    bool fourth_done = false;
    net::Scope scope(*ex);
    scope.Spawn(SendAndNote(g[0], site, "3", &third_done));
    scope.Spawn(SendAndNote(g[0], site, "4", &fourth_done));
    absl::Status slept = co_await net::Sleep(200ms);
    REQUIRE(slept.ok());
    CHECK_FALSE(third_done);
    CHECK_FALSE(fourth_done);
    CHECK(g[0].peer(late_address)->queued == 2);
    // The peer comes up: at the next dial (210 ms) the queue drains and both sends complete.
    testing::LogCapture logs;
    TransportOptions o = testing::LoopbackOptions(later, logs, "late");
    std::unique_ptr<Transport> peer = *Transport::Create(*ex, o);
    REQUIRE(peer->Start().ok());
    for (const char* want : {"1", "2", "3", "4"}) {
      absl::StatusOr<IncomingMessage> in = co_await ReceiveWithin(*peer, 5s);
      REQUIRE(in.ok());
      CHECK(std::get<xdr::Bytes>(in->msg().a[0].body.arm) == want);
    }
    CHECK(third_done);
    CHECK(fourth_done);
    CHECK(g[0].statistics().drops_total() == 0);
    co_await scope.Close();
    co_await peer->Stop();
    co_await g.Stop();
  }());
}

TEST_CASE("a full server table refuses a site and installs nothing") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 1, [](int, TransportOptions& o) { o.server_table_capacity = 3; });
  Site big = g.SiteFor(0);
  for (int i = 0; i < 3; ++i) big.nodes.push_back({.address = absl::StrCat("10.0.0.", i, ":1")});
  size_t before = g[0].peers().size();
  absl::StatusOr<SiteId> s = g[0].InstallSite(big);
  CHECK(absl::IsResourceExhausted(s.status()));
  CHECK(std::string(s.status().message()).find("capacity 3") != std::string::npos);
  CHECK(g[0].peers().size() == before);
  CHECK(g[0].latest_site() == g.sites[0]);
  ex->BlockOn(g.Stop());
}

TEST_CASE("a refused site does not revalidate the invalidated servers it lists") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 3, [](int, TransportOptions& o) { o.server_table_capacity = 3; });
  Site forced = g.SiteFor(0);
  forced.nodes.pop_back();
  REQUIRE(g[0].InstallSite(forced, xdr::CargoType::kForceConfigType).ok());
  REQUIRE(g[0].peer(g.addresses[2])->invalid);
  // Lists node 2 again, but also a fourth server the table has no room for.
  Site too_big = g.SiteFor(0);
  too_big.nodes.push_back({.address = "10.0.0.1:1"});
  CHECK(absl::IsResourceExhausted(g[0].InstallSite(too_big).status()));
  CHECK(g[0].peer(g.addresses[2])->invalid);
  ex->BlockOn(g.Stop());
}

TEST_CASE("a node whose address does not parse gets no server; sends to it are counted drops") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 1);
  Site site = g.SiteFor(0);
  site.nodes.push_back({.address = "::1:33061"});  // IPv6 without brackets: rejected
  absl::StatusOr<SiteId> s = g[0].InstallSite(site);
  REQUIRE(s.ok());
  CHECK(g.logs.Contains("Error parsing the address of node 1"));
  ex->BlockOn([&]() -> net::Task<void> {
    SendReport r = co_await g[0].SendTo(*s, 1, AppMessage("x"));
    CHECK(r.dropped == 1);
    CHECK(g[0].statistics().drop(DropReason::kNoServer) == 1);
    CHECK(absl::IsFailedPrecondition(g[0].liveness(*s, 1).status()));
    co_await g.Stop();
  }());
}

TEST_CASE("a peer that dies and comes back on the same port is redialled with a new tag") {
  auto ex = net::testing::NewVirtualExecutor();
  Group g(*ex, 2);
  ex->BlockOn([&]() -> net::Task<void> {
    absl::StatusOr<IncomingMessage> awaited = co_await g.Deliver(0, 1, "before");
    REQUIRE(awaited.ok());
    co_await g[1].Stop();  // the peer goes away
    g.nodes[1].reset();
    co_await net::Sleep(100ms);
    TransportOptions o = testing::LoopbackOptions(
        static_cast<uint16_t>(std::stoi(g.addresses[1].substr(10))), g.logs, "node1-again");
    g.nodes[1] = *Transport::Create(*ex, o);
    REQUIRE(g[1].Start().ok());
    REQUIRE(g[1].InstallSite(g.SiteFor(1)).ok());
    absl::StatusOr<IncomingMessage> in = co_await g.Deliver(0, 1, "after");
    REQUIRE(in.ok());
    CHECK(std::get<xdr::Bytes>(in->msg().a[0].body.arm) == "after");
    CHECK(g[0].peer(g.addresses[1])->last_tag > 313);
    co_await g.Stop();
  }());
}

// Every task ever spawned on `ex` has finished (BlockOn's own task included, once it returned).
bool NoTaskRunning(net::Executor& ex) {
  net::ExecutorMetrics::Snapshot m = ex.metrics();
  INFO("tasks spawned ", m.tasks_spawned, ", finished ", m.tasks_finished);
  return m.tasks_spawned == m.tasks_finished;
}

TEST_CASE("stopping leaves no descriptor open and no task running") {
  int fds_before = net::testing::CountOpenFds();
  {
    auto ex = net::testing::NewExecutor();
    int fds_with_executor = net::testing::CountOpenFds();
    uint64_t spawned_before = ex->metrics().tasks_spawned;
    {
      Group g(*ex, 3);
      ex->BlockOn([&]() -> net::Task<void> {
        for (int i = 0; i < 3; ++i) co_await g[i].SendToAll(g.sites[i], AppMessage("x"));
        for (int i = 0; i < 3; ++i) {
          for (int k = 0; k < 3; ++k) {
            auto received = co_await ReceiveWithin(g[i], 5s);
            REQUIRE(received.ok());
          }
        }
        // Leave messages queued and received-but-unread when stopping.
        for (int i = 0; i < 3; ++i) co_await g[i].SendToAll(g.sites[i], AppMessage("y"));
        co_await g.Stop();
        absl::StatusOr<IncomingMessage> after = co_await g[0].Receive();
        while (after.ok()) after = co_await g[0].Receive();  // drains, then kOutOfRange
        CHECK(absl::IsOutOfRange(after.status()));
      }());
    }
    CHECK(net::testing::CountOpenFds() == fds_with_executor);
    CHECK(ex->metrics().tasks_spawned > spawned_before + 6);  // the transports' tasks ran here
    CHECK(NoTaskRunning(*ex));
  }
  CHECK(net::testing::CountOpenFds() == fds_before);
}

TEST_CASE("a transport destroyed without Stop() leaves nothing running once its tasks unwind") {
  auto ex = net::testing::NewVirtualExecutor();
  int fds_with_executor = net::testing::CountOpenFds();
  {
    Group g(*ex, 2);
    ex->BlockOn([&]() -> net::Task<void> {
      co_await g[0].SendToAll(g.sites[0], AppMessage("x"));
      auto awaited = co_await ReceiveWithin(g[1], 5s);
      REQUIRE(awaited.ok());
    }());
  }
  // The destroyed transport's tasks were cancelled; they finish as the loop runs.
  for (int turn = 0; turn < 500 && !NoTaskRunning(*ex); ++turn) {
    ex->BlockOn([]() -> net::Task<void> { co_await net::Sleep(10ms); }());
  }
  CHECK(NoTaskRunning(*ex));
  CHECK(net::testing::CountOpenFds() == fds_with_executor);
}

}  // namespace
}  // namespace uxcom::xcom
