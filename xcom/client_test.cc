// The one-shot client against a transport, a closed port, a silent peer and a non-XCom peer.
#include "xcom/client.h"

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

std::string Message(const absl::Status& s) { return std::string(s.message()); }

// Expects "add me" (x_1_4) and replies "ok".
net::Task<void> AnswerAddMe(Transport& t) {
  absl::StatusOr<IncomingMessage> req = co_await testing::ReceiveWithin(t, 5s);
  REQUIRE(req.ok());
  CHECK(req->version() == xdr::ProtocolVersion::kX1_4);
  CHECK(std::get<xdr::Bytes>(req->msg().a[0].body.arm) == "add me");
  auto awaited = co_await t.Reply(*req, AppMessage("ok", xdr::PaxOp::kXcomClientReply));
  CHECK(awaited.ok());
}

// A peer that speaks another protocol: answers whatever comes with an HTTP error.
net::Task<void> AnswerHttp(testing::RawListener& http) {
  std::unique_ptr<testing::RawPeer> c = co_await http.Accept();
  co_await c->Write(testing::Bytes("HTTP/1.1 400 Bad Request\r\n\r\n"));
  c->stream().Close();
}

TEST_CASE("a one-shot client negotiates, sends one message and reads the reply") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 1, [](int, TransportOptions& o) { o.max_version = xdr::ProtocolVersion::kX1_4; });
  ex->BlockOn([&]() -> net::Task<void> {
    net::Scope scope(*ex);
    scope.Spawn(AnswerAddMe(g[0]));
    absl::StatusOr<ClientResult> r =
        co_await SendOnce(*ex, g.addresses[0], AppMessage("add me"), {.await_reply = true});
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->version == xdr::ProtocolVersion::kX1_4);
    REQUIRE(r->reply.has_value());
    CHECK((*r->reply)->op == xdr::PaxOp::kXcomClientReply);
    CHECK(std::get<xdr::Bytes>((*r->reply)->a[0].body.arm) == "ok");
    co_await scope.Join();
    absl::StatusOr<ClientResult> probe = co_await Negotiate(*ex, g.addresses[0]);
    REQUIRE(probe.ok());
    CHECK(probe->negotiation_rtt > net::Duration::zero());
    co_await g.Stop();
  }());
}

TEST_CASE("the client names the step and the reason of every failure") {
  auto ex = net::testing::NewVirtualExecutor();
  ex->BlockOn([&]() -> net::Task<void> {
    // Nobody listens.
    std::string closed = absl::StrCat("127.0.0.1:", testing::ReservePort());
    absl::StatusOr<ClientResult> refused = co_await Negotiate(*ex, closed, {});
    CHECK(absl::IsUnavailable(refused.status()));
    CHECK(Message(refused.status()).find("connect") != std::string::npos);

    auto no_port = co_await Negotiate(*ex, "no-port-here", {});
    CHECK(absl::IsInvalidArgument(no_port.status()));

    // A peer that accepts and never answers.
    testing::RawListener silent(*ex);
    const net::TimePoint asked = ex->Now();
    absl::StatusOr<ClientResult> timeout =
        co_await Negotiate(*ex, silent.address(), {.timeout = 200ms});
    CHECK(absl::IsDeadlineExceeded(timeout.status()));
    CHECK(ex->Now() - asked == 200ms);  // exactly the step's timeout
    CHECK(Message(timeout.status()).find("negotiation") != std::string::npos);

    // A peer that speaks another protocol.
    testing::RawListener http(*ex);
    net::Scope scope(*ex);
    scope.Spawn(AnswerHttp(http));
    absl::StatusOr<ClientResult> not_xcom = co_await Negotiate(*ex, http.address(), {});
    CHECK(absl::IsFailedPrecondition(not_xcom.status()));
    CHECK(Message(not_xcom.status()).find("not an XCom endpoint") != std::string::npos);
    CHECK(Message(not_xcom.status()).find("48 54 54 50") != std::string::npos);  // "HTTP"
    co_await scope.Close();
  }());
}

TEST_CASE("a client with no version in common with the node is told so") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 1, [](int, TransportOptions& o) { o.max_version = xdr::ProtocolVersion::kX1_2; });
  ex->BlockOn([&]() -> net::Task<void> {
    absl::StatusOr<ClientResult> r =
        co_await Negotiate(*ex, g.addresses[0], {.min_version = xdr::ProtocolVersion::kX1_4});
    CHECK(absl::IsFailedPrecondition(r.status()));
    CHECK(Message(r.status()).find("no protocol version in common") != std::string::npos);
    CHECK(Message(r.status()).find("x_1_2 (3)") != std::string::npos);
    co_await g.Stop();
  }());
}

// A client_msg carrying an add_node (or another node-list cargo) of `addresses`, which must
// outlive it (the node list refers to them).
xdr::PaxMsg AddNode(const std::vector<std::string>& addresses,
                    xdr::CargoType cargo = xdr::CargoType::kAddNodeType) {
  xdr::NodeList nodes;
  for (const std::string& a : addresses) {
    nodes.push_back(
        {.address = a,
         .uuid = {.data = "uuid"},
         .proto = xdr::XProtoRange{xdr::ProtocolVersion::kX1_0, xdr::ProtocolVersion::kX1_6}});
  }
  xdr::PaxMsg m = AppMessage("");
  m.a[0].body = xdr::AppU::Nodes(cargo, std::move(nodes));
  return m;
}

TEST_CASE("an add_node for a node older than x_1_5 is not sent if an address lacks IPv4") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 1, [](int, TransportOptions& o) { o.max_version = xdr::ProtocolVersion::kX1_4; });
  const std::vector<std::string> v6_only = {"127.0.0.1:33061", "[::1]:33061"};
  const std::vector<std::string> with_v4 = {"127.0.0.1:33061", "localhost:33062"};
  const std::vector<std::string> v6 = {"[::1]:33061"};
  xdr::PaxMsg add_v6 = AddNode(v6_only);
  xdr::PaxMsg add_v4 = AddNode(with_v4);
  xdr::PaxMsg remove_v6 = AddNode(v6, xdr::CargoType::kRemoveNodeType);
  ex->BlockOn([&]() -> net::Task<void> {
    absl::StatusOr<ClientResult> refused = co_await SendOnce(*ex, g.addresses[0], add_v6);
    CHECK(absl::IsFailedPrecondition(refused.status()));
    CHECK(Message(refused.status()).find("[::1]:33061 has no IPv4 address") != std::string::npos);
    CHECK(Message(refused.status()).find("Unable to add node to a group of older nodes") !=
          std::string::npos);
    // The connection ends without a frame: the node received nothing.
    bool closed = co_await testing::Eventually(
        [&] { return g[0].statistics().inbound_close(CloseReason::kPeerClosed) == 1; }, 5s);
    CHECK(closed);
    CHECK(g[0].statistics().received[OpSlot(xdr::PaxOp::kClientMsg)].count == 0);
    CHECK(g[0].TryReceive() == std::nullopt);

    // Addresses with an IPv4 address ("localhost" has both) pass the check.
    absl::StatusOr<ClientResult> sent = co_await SendOnce(*ex, g.addresses[0], add_v4);
    REQUIRE_MESSAGE(sent.ok(), sent.status().ToString());
    absl::StatusOr<IncomingMessage> in = co_await testing::ReceiveWithin(g[0], 5s);
    REQUIRE(in.ok());
    CHECK(in->msg().a[0].body.c_t == xdr::CargoType::kAddNodeType);

    // Only add_node is checked: a remove_node of an IPv6-only address is sent.
    absl::StatusOr<ClientResult> removed = co_await SendOnce(*ex, g.addresses[0], remove_v6);
    REQUIRE_MESSAGE(removed.ok(), removed.status().ToString());
    absl::StatusOr<IncomingMessage> in2 = co_await testing::ReceiveWithin(g[0], 5s);
    REQUIRE(in2.ok());
    CHECK(in2->msg().a[0].body.c_t == xdr::CargoType::kRemoveNodeType);
    co_await g.Stop();
  }());
}

TEST_CASE("an add_node for a node at x_1_5 or later is sent whatever its addresses") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 1, [](int, TransportOptions& o) { o.max_version = xdr::ProtocolVersion::kX1_5; });
  const std::vector<std::string> v6 = {"[::1]:33061"};
  xdr::PaxMsg add_v6 = AddNode(v6);
  ex->BlockOn([&]() -> net::Task<void> {
    absl::StatusOr<ClientResult> sent = co_await SendOnce(*ex, g.addresses[0], add_v6);
    REQUIRE_MESSAGE(sent.ok(), sent.status().ToString());
    CHECK(sent->version == xdr::ProtocolVersion::kX1_5);
    absl::StatusOr<IncomingMessage> in = co_await testing::ReceiveWithin(g[0], 5s);
    REQUIRE(in.ok());
    CHECK(in->msg().a[0].body.c_t == xdr::CargoType::kAddNodeType);
    co_await g.Stop();
  }());
}

}  // namespace
}  // namespace uxcom::xcom
