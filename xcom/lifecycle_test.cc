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
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 2, [](int, TransportOptions& o) { o.reaper_idle_timeout = 200ms; });
  ex->BlockOn([&]() -> net::Task<void> {
    co_await g[0].SendTo(g.sites[0], 1, AppMessage("one"));
    auto awaited = co_await ReceiveWithin(g[1], 5s);
    REQUIRE(awaited.ok());
    bool settled = co_await testing::Eventually(
        [&] { return g[0].statistics().outbound_close(CloseReason::kIdle) == 1; }, 5s);
    CHECK(settled);
    CHECK(g[0].peer(g.addresses[1])->state == PeerConnectionState::kNone);
    // 8.0.18 loses the first message after a reap; uxcom keeps it for the new connection.
    co_await g[0].SendTo(g.sites[0], 1, AppMessage("two"));
    absl::StatusOr<IncomingMessage> in = co_await ReceiveWithin(g[1], 5s);
    REQUIRE(in.ok());
    CHECK(std::get<xdr::Bytes>(in->msg().a[0].body.arm) == "two");
    std::optional<PeerInfo> p = g[0].peer(g.addresses[1]);
    CHECK(p->connects == 2);
    CHECK(p->last_tag == 314);
    CHECK(g[0].statistics().drops_total() == 0);
    co_await g.Stop();
  }());
}

TEST_CASE("a full peer queue drops new messages for that peer and counts them") {
  auto ex = net::testing::NewExecutor();
  uint16_t nobody = testing::ReservePort();
  Group g(*ex, 1, [](int, TransportOptions& o) {
    o.peer_queue_limit = 5;
    o.disconnected_message_ttl = 300ms;
  });
  SiteId site = *g[0].InstallSite(Site{
      .group_id = 1,
      .nodeno = 0,
      .nodes = {{.address = g.addresses[0]}, {.address = absl::StrCat("127.0.0.1:", nobody)}}});
  ex->BlockOn([&]() -> net::Task<void> {
    for (int i = 0; i < 8; ++i) {
      SendReport r = co_await g[0].SendTo(site, 1, AppMessage("m"));
      CHECK(r.queued == (i < 5 ? 1u : 0u));
      if (i >= 5) CHECK(absl::IsResourceExhausted(r.status));
    }
    CHECK(g[0].statistics().drop(DropReason::kQueueFull) == 3);
    // Nobody ever listens: what was queued expires by age, and is counted too; not before it
    // is older than the TTL (the queue's clock is the executor's Now(), read here too).
    const net::TimePoint queued_at = ex->Now();
    net::TimePoint expired_at{};
    bool settled = co_await testing::Eventually(
        [&] {
          if (g[0].statistics().drop(DropReason::kExpiredDisconnected) == 0) return false;
          if (expired_at == net::TimePoint{}) expired_at = ex->Now();
          return g[0].statistics().drop(DropReason::kExpiredDisconnected) == 5;
        },
        5s);
    CHECK(settled);
    CHECK(expired_at - queued_at > 300ms);  // 8.0.18 purged the whole queue every 2 s instead
    CHECK(g[0].peer(absl::StrCat("127.0.0.1:", nobody))->messages_dropped == 8);
    CHECK(g[0].statistics().dial_failures >= 1);
    co_await g.Stop();
  }());
}

TEST_CASE("under the wait policy a send to a full queue suspends until there is room") {
  auto ex = net::testing::NewExecutor();
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
    // While it cannot connect, the sender keeps the oldest message aside to check its age,
    // which frees one slot: "3" still fits, "4" must wait.
    co_await net::Sleep(100ms);
    co_await g[0].SendTo(site, 1, AppMessage("3"));
    bool fourth_done = false;
    // A named lambda: a coroutine lambda's captures live in the closure, which must outlive
    // the spawned task.
    auto send_fourth = [&]() -> net::Task<void> {
      SendReport r = co_await g[0].SendTo(site, 1, AppMessage("4"));
      CHECK(r.queued == 1);
      fourth_done = true;
    };
    net::Scope scope(*ex);
    scope.Spawn(send_fourth());
    co_await net::Sleep(200ms);
    CHECK_FALSE(fourth_done);
    // The peer comes up: the queue drains and the waiting send completes.
    testing::LogCapture logs;
    TransportOptions o = testing::LoopbackOptions(later, logs, "late");
    std::unique_ptr<Transport> peer = *Transport::Create(*ex, o);
    REQUIRE(peer->Start().ok());
    for (const char* want : {"1", "2", "3", "4"}) {
      absl::StatusOr<IncomingMessage> in = co_await ReceiveWithin(*peer, 5s);
      REQUIRE(in.ok());
      CHECK(std::get<xdr::Bytes>(in->msg().a[0].body.arm) == want);
    }
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
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 2);
  ex->BlockOn([&]() -> net::Task<void> {
    co_await g[0].SendTo(g.sites[0], 1, AppMessage("before"));
    auto awaited = co_await ReceiveWithin(g[1], 5s);
    REQUIRE(awaited.ok());
    co_await g[1].Stop();  // the peer goes away
    g.nodes[1].reset();
    co_await net::Sleep(100ms);
    TransportOptions o = testing::LoopbackOptions(
        static_cast<uint16_t>(std::stoi(g.addresses[1].substr(10))), g.logs, "node1-again");
    g.nodes[1] = *Transport::Create(*ex, o);
    REQUIRE(g[1].Start().ok());
    REQUIRE(g[1].InstallSite(g.SiteFor(1)).ok());
    co_await g[0].SendTo(g.sites[0], 1, AppMessage("after"));
    absl::StatusOr<IncomingMessage> in = co_await ReceiveWithin(g[1], 5s);
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
  auto ex = net::testing::NewExecutor();
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
