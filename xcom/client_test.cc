// The one-shot client against a transport, a closed port, a silent peer and a non-XCom peer.
#include "xcom/client.h"

#include <doctest/doctest.h>

#include <string>

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

TEST_CASE("a one-shot client negotiates, sends one message and reads the reply") {
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 1, [](int, TransportOptions& o) { o.max_version = xdr::ProtocolVersion::kX1_4; });
  auto serve = [&]() -> net::Task<void> {
    absl::StatusOr<IncomingMessage> req = co_await testing::ReceiveWithin(g[0], 5s);
    REQUIRE(req.ok());
    CHECK(req->version() == xdr::ProtocolVersion::kX1_4);
    CHECK(std::get<xdr::Bytes>(req->msg().a[0].body.arm) == "add me");
    auto awaited = co_await g[0].Reply(*req, AppMessage("ok", xdr::PaxOp::kXcomClientReply));
    CHECK(awaited.ok());
  };
  ex->BlockOn([&]() -> net::Task<void> {
    net::Scope scope(*ex);
    scope.Spawn(serve());
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
    auto answer_http = [&]() -> net::Task<void> {
      std::unique_ptr<testing::RawPeer> c = co_await http.Accept();
      co_await c->Write(testing::Bytes("HTTP/1.1 400 Bad Request\r\n\r\n"));
      c->stream().Close();
    };
    net::Scope scope(*ex);
    scope.Spawn(answer_http());
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

}  // namespace
}  // namespace uxcom::xcom
