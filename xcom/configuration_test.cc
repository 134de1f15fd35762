// Sites and servers through the public API: server identity (find_server's host and port),
// locality that follows the sites, invalidate_servers before a forced configuration is
// installed and what an invalid server's messages become, latest_common_proto, and the
// operator log lines 8.0.18 writes while doing all that.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/testing.h"
#include "xcom/testing/testing.h"
#include "xcom/transport.h"

namespace uxcom::xcom {
namespace {

using namespace std::chrono_literals;
using testing::AppMessage;
using testing::Group;
using testing::ReceiveWithin;
using xdr::ProtocolVersion;

TEST_CASE("two spellings of one host and port are one server with one connection") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 2);
  const uint16_t port1 = g[1].listen_address().port();
  const std::string respelled = absl::StrCat("127.0.0.1:0", port1);  // zero-padded port
  ex->BlockOn([&]() -> net::Task<void> {
    Site other = g.SiteFor(0);
    other.nodes[1].address = respelled;
    absl::StatusOr<SiteId> second = g[0].InstallSite(other);
    REQUIRE(second.ok());
    CHECK(g[0].peers().size() == 2);
    CHECK(g.logs.Contains("Re-using server node 1 host 127.0.0.1"));
    std::optional<PeerInfo> p = g[0].peer(respelled);
    REQUIRE(p.has_value());
    CHECK(p->address == g.addresses[1]);  // the first spelling names it

    co_await g[0].SendTo(g.sites[0], 1, AppMessage("by the first"));
    co_await g[0].SendTo(*second, 1, AppMessage("by the second"));
    absl::StatusOr<IncomingMessage> first = co_await ReceiveWithin(g[1], 5s);
    absl::StatusOr<IncomingMessage> next = co_await ReceiveWithin(g[1], 5s);
    REQUIRE(first.ok());
    REQUIRE(next.ok());
    CHECK(testing::Payload(*first) == "by the first");
    CHECK(testing::Payload(*next) == "by the second");
    CHECK(g[0].peer(g.addresses[1])->connects == 1);
    CHECK(g[0].statistics().dials == 1);
    co_await g.Stop();
  }());
}

TEST_CASE("a server first known as remote becomes local when a site lists it as this node") {
  auto ex = net::testing::NewExecutor();
  testing::LogCapture logs;
  uint16_t port = testing::ReservePort();
  std::unique_ptr<Transport> t =
      *Transport::Create(*ex, testing::LoopbackOptions(port, logs, "joiner"));
  REQUIRE(t->Start().ok());
  // Known first as someone else's configuration (this node is not a member, nodeno VOID), at
  // an address that is not self_address and where nobody listens.
  const std::string me = absl::StrCat("127.0.0.1:", testing::ReservePort());
  SiteId before = *t->InstallSite(Site{.group_id = 3, .nodes = {{.address = me}}});
  ex->BlockOn([&]() -> net::Task<void> {
    SendReport q1 = co_await t->SendTo(before, 0, AppMessage("q1"));
    SendReport q2 = co_await t->SendTo(before, 0, AppMessage("q2"));
    REQUIRE(q1.queued == 1);
    REQUIRE(q2.queued == 1);
    CHECK_FALSE(t->peer(me)->local);

    // The configuration that admits this node lists it at that address, as node 0.
    absl::StatusOr<SiteId> member =
        t->InstallSite(Site{.group_id = 3, .nodeno = 0, .nodes = {{.address = me}}});
    REQUIRE(member.ok());
    std::optional<PeerInfo> p = t->peer(me);
    REQUIRE(p.has_value());
    CHECK(p->local);
    CHECK(p->state == PeerConnectionState::kNone);
    CHECK(t->peers().size() == 1);
    CHECK(logs.Contains("is this node: its messages are delivered locally from now on"));

    // What was queued for it is delivered locally (but the one message a failing sender holds
    // aside to age it, if any, is lost with that sender), then what follows, by either site.
    co_await t->SendTo(*member, 0, AppMessage("as a member"));
    co_await t->SendTo(before, 0, AppMessage("by the old site"));
    std::vector<std::string> got;
    while (got.empty() || got.back() != "by the old site") {
      absl::StatusOr<IncomingMessage> in = co_await ReceiveWithin(*t, 5s);
      REQUIRE(in.ok());
      CHECK(in->origin() == MessageOrigin::kSelf);
      got.push_back(testing::Payload(*in));
    }
    REQUIRE(got.size() >= 3);
    CHECK(got[got.size() - 2] == "as a member");
    got.resize(got.size() - 2);
    CHECK(got.back() == "q2");  // queue order kept
    bool counted = co_await testing::Eventually(
        [&] { return got.size() + t->statistics().drop(DropReason::kServerCollected) == 2; }, 5s);
    CHECK(counted);
    co_await t->Stop();
  }());
}

TEST_CASE("invalidate_servers applies before the forced site is installed, which keeps it") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 3);
  ex->BlockOn([&]() -> net::Task<void> {
    Site forced = g.SiteFor(0);
    forced.nodes.pop_back();
    // xa_force_config: invalidate first; the forced configuration is installed once agreed.
    REQUIRE(g[0].InvalidateServers(g.sites[0], forced).ok());
    CHECK(g[0].latest_site() == g.sites[0]);  // nothing was installed
    CHECK(g[0].peer(g.addresses[2])->invalid);
    CHECK_FALSE(g[0].peer(g.addresses[1])->invalid);
    CHECK_FALSE(g[0].peer(g.addresses[0])->invalid);
    SendReport r = co_await g[0].SendToAll(g.sites[0], AppMessage("x"));
    CHECK(r.queued == 2);
    CHECK(r.dropped == 1);
    CHECK(absl::IsFailedPrecondition(r.status));
    CHECK(g[0].statistics().drop(DropReason::kInvalidServer) == 1);

    absl::StatusOr<SiteId> installed = g[0].InstallSite(forced, xdr::CargoType::kForceConfigType);
    REQUIRE(installed.ok());
    CHECK(g[0].peer(g.addresses[2])->invalid);
    CHECK(absl::IsNotFound(g[0].InvalidateServers(12345, forced)));
    co_await g.Stop();
  }());
}

TEST_CASE("a node that comes back with a new uuid at the same address is not invalidated") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 3);
  ex->BlockOn([&]() -> net::Task<void> {
    Site forced = g.SiteFor(0);
    forced.nodes[2].uuid = "reborn";  // node_exists compares addresses only
    REQUIRE(g[0].InvalidateServers(g.sites[0], forced).ok());
    REQUIRE(g[0].InstallSite(forced, xdr::CargoType::kForceConfigType).ok());
    CHECK_FALSE(g[0].peer(g.addresses[2])->invalid);
    co_await g.Stop();
  }());
}

TEST_CASE("what an invalid server sends on our connection is read, counted and not delivered") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 3);
  ex->BlockOn([&]() -> net::Task<void> {
    // Node 0 asks node 2, then forces a configuration without node 2 before the answer.
    absl::StatusOr<IncomingMessage> question = co_await g.Deliver(0, 2, "question");
    REQUIRE(question.ok());
    Site forced = g.SiteFor(0);
    forced.nodes.pop_back();
    REQUIRE(g[0].InvalidateServers(g.sites[0], forced).ok());

    // The answer comes back on node 0's own connection to node 2 (its reply reader).
    absl::Status answered = co_await g[2].Reply(*question, AppMessage("answer"));
    REQUIRE(answered.ok());
    bool ignored = co_await testing::Eventually(
        [&] { return g[0].statistics().ignored_from_invalid == 1; }, 5s);
    CHECK(ignored);
    CHECK(g[0].TryReceive() == std::nullopt);  // decided when it was read: not delivered
    CHECK(g[0].statistics().received[OpSlot(xdr::PaxOp::kClientMsg)].count == 1);

    // Its inbound connection still delivers, as 8.0.18's acceptor does.
    absl::StatusOr<IncomingMessage> in = co_await g.Deliver(2, 0, "inbound");
    REQUIRE(in.ok());
    CHECK(in->origin() == MessageOrigin::kInbound);
    CHECK(testing::Payload(*in) == "inbound");
    co_await g.Stop();
  }());
}

Site WithMaxima(const std::string& self, std::vector<ProtocolVersion> maxima) {
  Site site{.group_id = 1, .nodeno = 0};
  for (size_t i = 0; i < maxima.size(); ++i) {
    site.nodes.push_back({.address = i == 0 ? self : absl::StrCat("127.0.0.1:", 20000 + i),
                          .proto = {ProtocolVersion::kX1_0, maxima[i]}});
  }
  return site;
}

TEST_CASE("latest_common_proto: our maximum until a site is installed, then the newest site's") {
  auto ex = net::testing::NewExecutor();
  testing::LogCapture logs;
  TransportOptions o = testing::LoopbackOptions(testing::ReservePort(), logs, "n");
  o.max_version = ProtocolVersion::kX1_5;
  std::unique_ptr<Transport> t = *Transport::Create(*ex, o);  // not started: no I/O needed
  CHECK(t->latest_common_version() == ProtocolVersion::kX1_5);
  SiteId a = *t->InstallSite(WithMaxima(
      o.self_address, {ProtocolVersion::kX1_6, ProtocolVersion::kX1_3, ProtocolVersion::kX1_4}));
  CHECK(t->latest_common_version() == ProtocolVersion::kX1_3);
  // Our own maximum caps it.
  SiteId b =
      *t->InstallSite(WithMaxima(o.self_address, {ProtocolVersion::kX1_6, ProtocolVersion::kX1_6}));
  CHECK(t->latest_common_version() == ProtocolVersion::kX1_5);
  // Set when a site is pushed, as set_latest_common_proto is; removing sites does not reset it.
  REQUIRE(t->RemoveSite(b).ok());
  CHECK(t->latest_common_version() == ProtocolVersion::kX1_5);
  REQUIRE(t->RemoveSite(a).ok());
  CHECK(t->latest_common_version() == ProtocolVersion::kX1_5);
  REQUIRE(
      t->InstallSite(WithMaxima(o.self_address, {ProtocolVersion::kX1_6, ProtocolVersion::kX1_1}))
          .ok());
  CHECK(t->latest_common_version() == ProtocolVersion::kX1_1);
}

TEST_CASE("8.0.18's operator log lines are written, or their uxcom equivalents") {
  auto ex = net::testing::NewExecutor();
  testing::RawListener peer(*ex);
  testing::DialingNode d(*ex, peer.address());
  const uint16_t port = d.t->listen_address().port();
  ex->BlockOn([&]() -> net::Task<void> {
    std::unique_ptr<testing::RawPeer> c = co_await peer.Accept();
    absl::StatusOr<testing::RawFrame> request = co_await c->ReadFrame();
    REQUIRE(request.ok());
    c->stream().Close();  // a peer that goes away: the read fails
    bool closed = co_await testing::Eventually(
        [&] {
          return d.logs.Contains(
              absl::StrCat("Closing outbound connection to ", peer.address(), " (fd="));
        },
        5s);
    CHECK(closed);
    Site again = *d.t->site(d.site);
    again.nodes.push_back({.address = "bad-address"});
    REQUIRE(d.t->InstallSite(again).ok());
    co_await d.t->Stop();
  }());
  const testing::LogCapture& logs = d.logs;
  CAPTURE(logs.Dump());
  // Verbatim (8.0.18's text, uxcom may append details).
  CHECK(logs.Contains("XCom protocol version: x_1_6 (7)"));
  CHECK(logs.Contains(
      absl::StrCat("XCom initialized and ready to accept incoming connections on port ", port)));
  CHECK(logs.Contains("Creating new server node 1 host 127.0.0.1"));
  CHECK(logs.Contains("Re-using server node 1 host 127.0.0.1"));
  CHECK(logs.Contains("Error parsing ip:port for new server. Incorrect value is bad-address"));
  // Equivalents: "Failure reading from fd=… n=…" is the close line naming the fd and reason;
  // "sent negotiation request for protocol …" (debug) names the tag and peer too.
  CHECK(logs.Contains(absl::StrCat("Closing outbound connection to ", peer.address(), " (fd=")));
  CHECK(logs.Contains(
      absl::StrCat("Sent negotiation request for protocol x_1_6 (7) tag 313 to ", peer.address())));
}

}  // namespace
}  // namespace uxcom::xcom
