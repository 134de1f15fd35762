// send_msg's stamps on everything a transport sends: `from` and `group_id` of the site, and the
// max_synode and delivered_msg of SetSynodeStamps, on every send_* path and on every reply
// path (8.0.18 stamps the acceptor's replies and reply_msg's sends alike).
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "net/scope.h"
#include "net/testing.h"
#include "xcom/client.h"
#include "xcom/testing/testing.h"
#include "xcom/transport.h"

namespace uxcom::xcom {
namespace {

using namespace std::chrono_literals;
using testing::AppMessage;
using testing::Group;
using testing::ReceiveWithin;

constexpr uint32_t kGroup = 0x5eed;  // testing::Group's

std::string PayloadOf(const xdr::PaxMsg& m) {
  return m.a.empty() ? "" : std::string(std::get<xdr::Bytes>(m.a[0].body.arm));
}

// A message whose own header fields are wrong, so that stamping is visible.
xdr::PaxMsg Unstamped(std::string_view payload, xdr::PaxOp op = xdr::PaxOp::kClientMsg) {
  xdr::PaxMsg m = AppMessage(payload, op);
  m.from = 77;
  m.group_id = 0xbad;
  m.max_synode = {.group_id = 1, .msgno = 1, .node = 1};
  m.delivered_msg = xdr::SynodeNo{.group_id = 1, .msgno = 1, .node = 1};
  return m;
}

struct Stamps {
  xdr::SynodeNo max_synode;
  xdr::SynodeNo delivered;
};

void CheckStamped(const xdr::PaxMsg& m, NodeNo from, uint32_t group, const Stamps& s) {
  CAPTURE(PayloadOf(m));
  CHECK(m.from == from);
  CHECK(m.group_id == group);
  CHECK(m.max_synode == s.max_synode);
  REQUIRE(m.delivered_msg.has_value());
  CHECK(*m.delivered_msg == s.delivered);
}

// Receives `n` messages at `t` and returns them by payload.
net::Task<std::map<std::string, IncomingMessage>> ReceiveN(Transport& t, int n) {
  std::map<std::string, IncomingMessage> out;
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<IncomingMessage> in = co_await ReceiveWithin(t, 5s);
    REQUIRE(in.ok());
    std::string payload = PayloadOf(in->msg());
    out.emplace(std::move(payload), *std::move(in));
  }
  co_return out;
}

TEST_CASE("every send_* path stamps from, group_id, max_synode and delivered_msg") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 3);
  const Stamps first{.max_synode = {.group_id = kGroup, .msgno = 41, .node = 2},
                     .delivered = {.group_id = kGroup, .msgno = 40, .node = 1}};
  const Stamps later{.max_synode = {.group_id = kGroup, .msgno = 90, .node = 0},
                     .delivered = {.group_id = kGroup, .msgno = 89, .node = 0}};
  const std::vector<std::string> self_paths = {"all", "self", "acceptors"};
  const std::vector<std::string> node1_paths = {"to", "all", "others", "acceptors", "someone"};
  const std::vector<std::string> node2_paths = {"all", "others", "acceptors"};
  ex->BlockOn([&]() -> net::Task<void> {
    // Without SetSynodeStamps a message keeps its own values (node 1 never calls it); node 0
    // hears from node 1, so SendToSomeone can choose it.
    co_await g[1].SendTo(g.sites[1], 0, Unstamped("unstamped", xdr::PaxOp::kLearnOp));
    std::map<std::string, IncomingMessage> hello = co_await ReceiveN(g[0], 1);
    const xdr::PaxMsg& own = hello.at("unstamped").msg();
    CHECK(own.from == 1);
    CHECK(own.group_id == kGroup);
    CHECK(own.max_synode == xdr::SynodeNo{.group_id = 1, .msgno = 1, .node = 1});

    g[0].SetSynodeStamps(first.max_synode, first.delivered);
    SiteId s = g.sites[0];
    SendReport to = co_await g[0].SendTo(s, 1, Unstamped("to"));
    SendReport all = co_await g[0].SendToAll(s, Unstamped("all"));
    SendReport others = co_await g[0].SendToOthers(s, Unstamped("others"));
    SendReport self = co_await g[0].SendToSelf(s, Unstamped("self"));
    SendReport acceptors = co_await g[0].SendToAcceptors(s, Unstamped("acceptors"));
    SendReport someone = co_await g[0].SendToSomeone(s, Unstamped("someone"));
    CHECK(to.queued == 1);
    CHECK(all.queued == 3);
    CHECK(others.queued == 2);
    CHECK(self.queued == 1);
    CHECK(acceptors.queued == 3);
    CHECK(someone.chosen == 1);

    std::map<std::string, IncomingMessage> at0 = co_await ReceiveN(g[0], 3);
    std::map<std::string, IncomingMessage> at1 = co_await ReceiveN(g[1], 5);
    std::map<std::string, IncomingMessage> at2 = co_await ReceiveN(g[2], 3);
    for (const std::string& p : self_paths) {
      CHECK(at0.at(p).origin() == MessageOrigin::kSelf);
      CheckStamped(at0.at(p).msg(), 0, kGroup, first);
    }
    for (const std::string& p : node1_paths) {
      CheckStamped(at1.at(p).msg(), 0, kGroup, first);
    }
    for (const std::string& p : node2_paths) {
      CheckStamped(at2.at(p).msg(), 0, kGroup, first);
    }

    // New stamps apply to the messages sent after the call.
    g[0].SetSynodeStamps(later.max_synode, later.delivered);
    co_await g[0].SendTo(s, 2, Unstamped("later"));
    std::map<std::string, IncomingMessage> late = co_await ReceiveN(g[2], 1);
    CheckStamped(late.at("later").msg(), 0, kGroup, later);
    co_await g.Stop();
  }());
}

TEST_CASE("a member's reply is stamped like a send on every path: inbound, outbound and self") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 2);
  const Stamps s0{.max_synode = {.group_id = kGroup, .msgno = 10, .node = 0},
                  .delivered = {.group_id = kGroup, .msgno = 9, .node = 0}};
  const Stamps s1{.max_synode = {.group_id = kGroup, .msgno = 20, .node = 1},
                  .delivered = {.group_id = kGroup, .msgno = 19, .node = 1}};
  ex->BlockOn([&]() -> net::Task<void> {
    g[0].SetSynodeStamps(s0.max_synode, s0.delivered);
    g[1].SetSynodeStamps(s1.max_synode, s1.delivered);

    // Node 1 answers on the connection the request came in on (kInbound).
    absl::StatusOr<IncomingMessage> req = co_await g.Deliver(0, 1, "request");
    REQUIRE(req.ok());
    REQUIRE(req->origin() == MessageOrigin::kInbound);
    absl::Status replied = co_await g[1].Reply(*req, Unstamped("reply", xdr::PaxOp::kAckPrepareOp));
    REQUIRE(replied.ok());
    absl::StatusOr<IncomingMessage> rep = co_await ReceiveWithin(g[0], 5s);
    REQUIRE(rep.ok());
    CHECK(rep->origin() == MessageOrigin::kOutbound);
    CHECK(rep->msg().to == 0);
    CheckStamped(rep->msg(), 1, kGroup, s1);

    // Node 0 answers that through its own connection to node 1 (kOutbound).
    absl::Status acked = co_await g[0].Reply(*rep, Unstamped("ack", xdr::PaxOp::kLearnOp));
    REQUIRE(acked.ok());
    absl::StatusOr<IncomingMessage> ack = co_await ReceiveWithin(g[1], 5s);
    REQUIRE(ack.ok());
    CHECK(ack->msg().to == 1);
    CheckStamped(ack->msg(), 0, kGroup, s0);

    // And a message to itself is answered locally (kSelf), stamped the same way.
    co_await g[0].SendToSelf(g.sites[0], AppMessage("me"));
    absl::StatusOr<IncomingMessage> me = co_await ReceiveWithin(g[0], 5s);
    REQUIRE(me.ok());
    REQUIRE(me->origin() == MessageOrigin::kSelf);
    absl::Status answered = co_await g[0].Reply(*me, Unstamped("myself"));
    REQUIRE(answered.ok());
    absl::StatusOr<IncomingMessage> mine = co_await ReceiveWithin(g[0], 5s);
    REQUIRE(mine.ok());
    CHECK(mine->origin() == MessageOrigin::kSelf);
    CHECK(PayloadOf(mine->msg()) == "myself");
    CHECK(mine->msg().to == 0);
    CheckStamped(mine->msg(), 0, kGroup, s0);
    co_await g.Stop();
  }());
}

// Answers the next request with an unstamped reply "a node".
net::Task<void> ReplyAsANode(Transport& t) {
  absl::StatusOr<IncomingMessage> req = co_await ReceiveWithin(t, 5s);
  REQUIRE(req.ok());
  xdr::PaxMsg reply = Unstamped("a node", xdr::PaxOp::kXcomClientReply);
  absl::Status replied = co_await t.Reply(*req, reply);
  CHECK(replied.ok());
}

TEST_CASE("a reply to a non-member keeps its group and comes from the request's to") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 1);
  const Stamps s0{.max_synode = {.group_id = kGroup, .msgno = 5, .node = 0},
                  .delivered = {.group_id = kGroup, .msgno = 4, .node = 0}};
  g[0].SetSynodeStamps(s0.max_synode, s0.delivered);
  // A client of another group, as xcom_send_client_app_data sends it: to = VOID_NODE_NO.
  xdr::PaxMsg request = AppMessage("who are you");
  request.synode = {.group_id = 0x0dd, .msgno = 0, .node = 0};
  request.to = kVoidNodeNo;
  request.from = 3;
  ex->BlockOn([&]() -> net::Task<void> {
    net::Scope scope(*ex);
    scope.Spawn(ReplyAsANode(g[0]));
    absl::StatusOr<ClientResult> r =
        co_await SendOnce(*ex, g.addresses[0], request, {.await_reply = true});
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    REQUIRE(r->reply.has_value());
    const xdr::PaxMsg& reply = **r->reply;
    CHECK(reply.to == 3);
    CHECK(reply.from == kVoidNodeNo);
    CheckStamped(reply, kVoidNodeNo, 0xbad, s0);  // the reply's own group_id
    co_await scope.Join();
    co_await g.Stop();
  }());
}

}  // namespace
}  // namespace uxcom::xcom
