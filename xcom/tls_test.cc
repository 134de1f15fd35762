// XCom over TLS: groups in every Group Replication SSL mode, mutual verification, every kind of
// mismatch costing only its own connection (with its reason logged and counted), certificate
// rotation, mixed protocol maximums. Certificates are made at test time (net/tls_testing.h).
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "net/testing.h"
#include "net/timer.h"
#include "net/tls_failure.h"
#include "net/tls_testing.h"
#include "xcom/client.h"
#include "xcom/testing/testing.h"
#include "xcom/transport.h"
#include "xdr/negotiation.h"

namespace uxcom::xcom {
namespace {

using namespace std::chrono_literals;
using net::TlsFailure;
using net::testing::CertFiles;
using net::testing::TestPki;
using testing::Eventually;
using testing::ExchangeExactlyOnce;
using testing::Group;

TlsOptions NodeTls(const TestPki& pki, SslMode mode, const CertFiles& cert) {
  return TlsOptions{.mode = mode,
                    .cert_file = cert.certificate_file,
                    .key_file = cert.private_key_file,
                    .ca_file = pki.ca_file()};
}

// A TLS group of three in `mode`, each node with its own certificate naming 127.0.0.1.
Group::Customize TlsGroup(TestPki& pki, SslMode mode) {
  return [&pki, mode](int i, TransportOptions& o) {
    o.tls = NodeTls(pki, mode, pki.Node(absl::StrCat("node", i)));
    o.negotiation_timeout = 1s;
  };
}

// One more transport on loopback, logging into `g`'s capture, listed (with the group's nodes)
// in a site of its own and in a second site installed on node 0; returns its node number 3.
struct Extra {
  std::unique_ptr<Transport> transport;
  SiteId own_site = 0;
  SiteId site_on_node0 = 0;  // node 0's site that lists the extra node
};
Extra AddExtraNode(net::Executor& ex, Group& g, const TlsOptions& tls, std::string name) {
  TransportOptions o = testing::LoopbackOptions(testing::ReservePort(), g.logs, std::move(name));
  o.tls = tls;
  o.negotiation_timeout = 1s;
  absl::StatusOr<std::unique_ptr<Transport>> t = Transport::Create(ex, o);
  INFO(t.status().ToString());
  REQUIRE(t.ok());
  REQUIRE((*t)->Start().ok());
  Site site = g.SiteFor(0);
  site.nodes.push_back({.address = o.self_address, .uuid = "uuid-extra"});
  site.nodeno = 3;
  Extra e{*std::move(t)};
  absl::StatusOr<SiteId> own = e.transport->InstallSite(site);
  REQUIRE(own.ok());
  e.own_site = *own;
  site.nodeno = 0;
  absl::StatusOr<SiteId> on0 = g[0].InstallSite(site);
  REQUIRE(on0.ok());
  e.site_on_node0 = *on0;
  return e;
}

TEST_CASE("a 3-node TLS group delivers every message once, in order, in every SSL mode") {
  for (SslMode mode : {SslMode::kRequired, SslMode::kVerifyCa, SslMode::kVerifyIdentity}) {
    INFO("ssl_mode ", SslModeName(mode));
    TestPki pki;
    auto ex = net::testing::NewExecutor();
    Group g(*ex, 3, TlsGroup(pki, mode));
    absl::Status s = ex->BlockOn([&]() -> net::Task<absl::Status> {
      absl::Status exchanged = co_await ExchangeExactlyOnce(g, 30);
      co_return exchanged;
    }());
    INFO(s.ToString());
    CHECK(s.ok());
    for (int i = 0; i < 3; ++i) {
      for (const PeerInfo& p : g[i].peers()) {
        if (p.local) {
          CHECK(p.tls_version.empty());  // delivery to self never touches TLS
          continue;
        }
        CHECK(p.tls_version == "TLSv1.3");
        CHECK(p.tls_cipher == "TLS_AES_256_GCM_SHA384");
        CHECK(p.tls_peer_subject.find("CN = node") == 0);
      }
      TransportStatistics::Snapshot st = g[i].statistics();
      CHECK(st.tls_handshakes == 4);  // two dialled, two accepted; none for self
      for (uint64_t f : st.tls_handshake_failures) CHECK(f == 0);
      CHECK(st.ToJson().find("\"tls_handshakes\":4") != std::string::npos);
    }
    ex->BlockOn(g.Stop());
  }
}

TEST_CASE("TLS and protocol negotiation compose: mixed protocol maximums over TLS") {
  TestPki pki;
  auto ex = net::testing::NewExecutor();
  Group::Customize tls = TlsGroup(pki, SslMode::kVerifyIdentity);
  Group g(*ex, 3, [&](int i, TransportOptions& o) {
    tls(i, o);
    if (i == 0) o.max_version = xdr::ProtocolVersion::kX1_4;
    if (i == 1) o.max_version = xdr::ProtocolVersion::kX1_5;
  });
  absl::Status s = ex->BlockOn([&]() -> net::Task<absl::Status> {
    absl::Status exchanged = co_await ExchangeExactlyOnce(g, 20);
    co_return exchanged;
  }());
  INFO(s.ToString());
  CHECK(s.ok());
  std::optional<PeerInfo> two_to_zero = g[2].peer(g.addresses[0]);
  std::optional<PeerInfo> two_to_one = g[2].peer(g.addresses[1]);
  REQUIRE(two_to_zero.has_value());
  REQUIRE(two_to_one.has_value());
  CHECK(two_to_zero->version == xdr::ProtocolVersion::kX1_4);
  CHECK(two_to_one->version == xdr::ProtocolVersion::kX1_5);
  CHECK(two_to_zero->tls_version == "TLSv1.3");
  ex->BlockOn(g.Stop());
}

TEST_CASE("TLS on one side only costs that connection, and each side names the mismatch") {
  TestPki pki;
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 3, TlsGroup(pki, SslMode::kVerifyIdentity));
  Extra plain = AddExtraNode(*ex, g, TlsOptions{}, "plain");
  absl::Status s = ex->BlockOn([&]() -> net::Task<absl::Status> {
    // The plaintext node dials the TLS nodes; TLS node 0 dials the plaintext node.
    SendReport out =
        co_await plain.transport->SendToOthers(plain.own_site, testing::AppMessage("p"));
    CHECK(out.queued == 3);
    SendReport in = co_await g[0].SendTo(plain.site_on_node0, 3, testing::AppMessage("t"));
    CHECK(in.queued == 1);
    bool named = co_await Eventually(
        [&] {
          return g.logs.Contains("plaintext XCom version request (proposing x_1_6") &&
                 g.logs.Contains("a TLS ClientHello where a version request was expected") &&
                 g.logs.Contains("does it require TLS") &&
                 g.logs.Contains("is its ssl_mode DISABLED?");
        },
        10s);
    CHECK_MESSAGE(named, g.logs.Dump());
    absl::Status exchanged = co_await ExchangeExactlyOnce(g, 20);
    co_await plain.transport->Stop();
    co_return exchanged;
  }());
  INFO(s.ToString(), "\n", g.logs.Dump());
  CHECK(s.ok());
  CHECK(g[1].statistics().tls_handshake_failure(TlsFailure::kNotTls) >= 1);
  CHECK(g[1].statistics().inbound_close(CloseReason::kTlsHandshakeFailed) >= 1);
  // A plaintext node hangs up on the ClientHello (a FIN, or a reset if bytes were unread).
  CHECK(g[0].statistics().tls_handshake_failure(TlsFailure::kPeerClosed) +
            g[0].statistics().tls_handshake_failure(TlsFailure::kIoError) >=
        1);
  CHECK(plain.transport->statistics().inbound_close(CloseReason::kTlsMismatch) >= 1);
  ex->BlockOn(g.Stop());
}

struct BadCertificate {
  const char* what;
  net::CertificateSpec spec;
  bool from_other_ca;
  TlsFailure failure;
};

TEST_CASE("a bad certificate fails the handshake in both directions with its own reason") {
  const BadCertificate cases[] = {
      {"unknown CA",
       {.common_name = "x", .ip_addresses = {"127.0.0.1"}},
       true,
       TlsFailure::kUntrustedCertificate},
      {"expired",
       {.common_name = "x", .ip_addresses = {"127.0.0.1"}, .not_before = -48h, .not_after = -24h},
       false,
       TlsFailure::kCertificateExpired},
      {"not yet valid",
       {.common_name = "x", .ip_addresses = {"127.0.0.1"}, .not_before = 24h, .not_after = 48h},
       false,
       TlsFailure::kCertificateNotYetValid},
  };
  for (const BadCertificate& c : cases) {
    INFO(c.what);
    TestPki pki;
    auto ex = net::testing::NewExecutor();
    Group g(*ex, 3, TlsGroup(pki, SslMode::kVerifyCa));
    Extra bad = AddExtraNode(
        *ex, g, NodeTls(pki, SslMode::kVerifyCa, pki.Issue(c.spec, c.from_other_ca)), "bad");
    absl::Status s = ex->BlockOn([&]() -> net::Task<absl::Status> {
      // Node 0 dials the bad node (checks its server certificate); the bad node dials node 1
      // (which checks its client certificate, as XCom's server context asks for one).
      SendReport to_bad = co_await g[0].SendTo(bad.site_on_node0, 3, testing::AppMessage("t"));
      CHECK(to_bad.queued == 1);
      SendReport from_bad =
          co_await bad.transport->SendTo(bad.own_site, 1, testing::AppMessage("b"));
      CHECK(from_bad.queued == 1);
      bool failed = co_await Eventually(
          [&] {
            return g[0].statistics().tls_handshake_failure(c.failure) >= 1 &&
                   g[1].statistics().tls_handshake_failure(c.failure) >= 1;
          },
          10s);
      CHECK(failed);
      absl::Status exchanged = co_await ExchangeExactlyOnce(g, 20);
      co_await bad.transport->Stop();
      co_return exchanged;
    }());
    INFO(s.ToString(), "\n", g.logs.Dump());
    CHECK(s.ok());
    CHECK(g.logs.Contains("certificate verify failed"));
    CHECK(g[1].statistics().inbound_close(CloseReason::kTlsHandshakeFailed) >= 1);
    ex->BlockOn(g.Stop());
  }
}

TEST_CASE("VERIFY_IDENTITY checks the dialled name; the accepting side never checks a client's") {
  TestPki pki;
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 3, TlsGroup(pki, SslMode::kVerifyIdentity));
  // A valid certificate from the group's CA that names another host.
  Extra elsewhere = AddExtraNode(
      *ex, g,
      NodeTls(pki, SslMode::kVerifyIdentity,
              pki.Issue({.common_name = "elsewhere", .dns_names = {"elsewhere.example"}})),
      "elsewhere");
  absl::Status s = ex->BlockOn([&]() -> net::Task<absl::Status> {
    SendReport to = co_await g[0].SendTo(elsewhere.site_on_node0, 3, testing::AppMessage("t"));
    CHECK(to.queued == 1);
    bool refused = co_await Eventually(
        [&] { return g[0].statistics().tls_handshake_failure(TlsFailure::kNameMismatch) >= 1; },
        10s);
    CHECK(refused);
    CHECK(g.logs.Contains("does not match '127.0.0.1'"));
    // Its own dial to node 1 is accepted: XCom checks the server's name only.
    SendReport from = co_await elsewhere.transport->SendTo(elsewhere.own_site, 1,
                                                           testing::AppMessage("from elsewhere"));
    CHECK(from.queued == 1);
    absl::StatusOr<IncomingMessage> got = co_await testing::ReceiveWithin(g[1], 10s);
    CHECK(got.ok());
    if (got.ok()) CHECK(got->msg().from == 3);
    absl::Status exchanged = co_await ExchangeExactlyOnce(g, 10);
    co_await elsewhere.transport->Stop();
    co_return exchanged;
  }());
  INFO(s.ToString(), "\n", g.logs.Dump());
  CHECK(s.ok());
  ex->BlockOn(g.Stop());
}

TEST_CASE("raw peers at a TLS node: a plaintext request, garbage, and a stalled handshake") {
  TestPki pki;
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 3, [&](int i, TransportOptions& o) {
    TlsGroup(pki, SslMode::kRequired)(i, o);
    o.negotiation_timeout = 300ms;
  });
  uint16_t port = g[0].listen_address().port();
  // Counted from once the group is up: on a loaded machine a member's own handshake can also
  // take longer than the short negotiation_timeout while the group connects.
  TransportStatistics::Snapshot before;
  absl::Status s = ex->BlockOn([&]() -> net::Task<absl::Status> {
    absl::Status up = co_await ExchangeExactlyOnce(g, 10);
    if (!up.ok()) co_return up;
    before = g[0].statistics();
    // A plaintext version request is named, and answered with nothing (as 8.0.18).
    absl::StatusOr<std::unique_ptr<testing::RawPeer>> plain =
        co_await testing::RawPeer::Connect(*ex, port);
    REQUIRE(plain.ok());
    auto request = xdr::FrameHeaderBytes(xdr::VersionRequest(xdr::ProtocolVersion::kX1_6, 313));
    absl::Status w = co_await (*plain)->Write(request);
    CHECK(w.ok());
    absl::Status closed = co_await (*plain)->ExpectClosed(3s);
    CHECK(closed.ok());
    CHECK(g.logs.Contains("plaintext XCom version request (proposing x_1_6 (7), tag 313)"));

    // Garbage is named with its first bytes.
    absl::StatusOr<std::unique_ptr<testing::RawPeer>> junk =
        co_await testing::RawPeer::Connect(*ex, port);
    REQUIRE(junk.ok());
    std::vector<std::byte> get = testing::Bytes("GET / HTTP/1.1\r\n\r\n");
    absl::Status wj = co_await (*junk)->Write(get);
    CHECK(wj.ok());
    absl::Status junk_closed = co_await (*junk)->ExpectClosed(3s);
    CHECK(junk_closed.ok());
    CHECK(g.logs.Contains("not a TLS handshake: the peer's first bytes are 47 45 54 20"));

    // A peer that starts a handshake record and stalls is cut off at negotiation_timeout.
    absl::StatusOr<std::unique_ptr<testing::RawPeer>> stall =
        co_await testing::RawPeer::Connect(*ex, port);
    REQUIRE(stall.ok());
    std::vector<std::byte> start = {std::byte{0x16}, std::byte{0x03}, std::byte{0x01}};
    absl::Status ws = co_await (*stall)->Write(start);
    CHECK(ws.ok());
    auto t0 = std::chrono::steady_clock::now();
    absl::Status stall_closed = co_await (*stall)->ExpectClosed(5s);
    CHECK(stall_closed.ok());
    CHECK(std::chrono::steady_clock::now() - t0 >= 250ms);
    const TransportStatistics::Snapshot after = g[0].statistics();
    CHECK(after.tls_handshake_failure(TlsFailure::kTimeout) -
              before.tls_handshake_failure(TlsFailure::kTimeout) ==
          1);
    CHECK(after.tls_handshake_failure(TlsFailure::kNotTls) -
              before.tls_handshake_failure(TlsFailure::kNotTls) ==
          2);

    absl::Status exchanged = co_await ExchangeExactlyOnce(g, 10);
    co_return exchanged;
  }());
  INFO(s.ToString(), "\n", g.logs.Dump());
  CHECK(s.ok());
  // The watchdog's negotiation_timeout may close the stalled one first (same bound).
  const TransportStatistics::Snapshot after = g[0].statistics();
  CHECK(after.inbound_close(CloseReason::kTlsHandshakeFailed) +
            after.inbound_close(CloseReason::kNegotiationTimeout) -
            before.inbound_close(CloseReason::kTlsHandshakeFailed) -
            before.inbound_close(CloseReason::kNegotiationTimeout) ==
        3);
  ex->BlockOn(g.Stop());
}

std::string ReadFile(const std::string& path) {
  std::string data;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return data;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) data.append(buf, n);
  std::fclose(f);
  return data;
}

TEST_CASE("ReloadTls: new connections present the new certificate, existing ones keep going") {
  TestPki pki;
  auto ex = net::testing::NewExecutor();
  // Node 0's certificate lives in files an operator replaces in place.
  const std::string cert = pki.directory().path() + "/node0.pem";
  const std::string key = pki.directory().path() + "/node0-key.pem";
  auto install = [&](const CertFiles& c) {
    (void)pki.Write("node0.pem", ReadFile(c.certificate_file));
    (void)pki.Write("node0-key.pem", ReadFile(c.private_key_file));
  };
  install(pki.Node("node0-2025"));
  Group::Customize tls = TlsGroup(pki, SslMode::kVerifyIdentity);
  Group g(*ex, 3, [&](int i, TransportOptions& o) {
    tls(i, o);
    if (i == 0) {
      o.tls.cert_file = cert;
      o.tls.key_file = key;
    }
  });
  absl::Status s = ex->BlockOn([&]() -> net::Task<absl::Status> {
    absl::Status first = co_await ExchangeExactlyOnce(g, 10);
    if (!first.ok()) co_return first;
    CHECK(g[1].peer(g.addresses[0])->tls_peer_subject == "CN = node0-2025");

    install(pki.Node("node0-2026"));
    absl::Status reloaded = g[0].ReloadTls();
    CHECK(reloaded.ok());
    // A node that connects now sees the new certificate…
    Extra late =
        AddExtraNode(*ex, g, NodeTls(pki, SslMode::kVerifyIdentity, pki.Node("late")), "late");
    SendReport r = co_await late.transport->SendTo(late.own_site, 0, testing::AppMessage("hi"));
    CHECK(r.queued == 1);
    absl::StatusOr<IncomingMessage> hi = co_await testing::ReceiveWithin(g[0], 10s);
    CHECK(hi.ok());
    std::optional<PeerInfo> seen = late.transport->peer(g.addresses[0]);
    REQUIRE(seen.has_value());
    CHECK(seen->tls_peer_subject == "CN = node0-2026");
    // …while node 1's connection, made before, still carries traffic with the old one.
    CHECK(g[1].peer(g.addresses[0])->tls_peer_subject == "CN = node0-2025");
    absl::Status second = co_await ExchangeExactlyOnce(g, 10);

    // A reload that cannot read the files changes nothing.
    (void)pki.Write("node0-key.pem", "garbage");
    absl::Status bad = g[0].ReloadTls();
    CHECK(absl::IsInvalidArgument(bad));
    CHECK(std::string(bad.message()).find("node0-key.pem") != std::string::npos);
    co_await late.transport->Stop();
    co_return second;
  }());
  INFO(s.ToString(), "\n", g.logs.Dump());
  CHECK(s.ok());
  CHECK(g.logs.Contains("TLS material reloaded (generation 2)"));
  ex->BlockOn(g.Stop());
}

TEST_CASE("the one-shot client speaks TLS, and a plaintext probe learns that the peer does") {
  TestPki pki;
  auto ex = net::testing::NewExecutor();
  Group g(*ex, 3, TlsGroup(pki, SslMode::kVerifyIdentity));
  absl::StatusOr<std::shared_ptr<net::TlsContext>> client_tls =
      MakeTlsContext(NodeTls(pki, SslMode::kVerifyIdentity, pki.Node("probe")), /*serves=*/false);
  REQUIRE(client_tls.ok());
  // Only a CA: a client without a certificate is still accepted under VERIFY_IDENTITY.
  absl::StatusOr<std::shared_ptr<net::TlsContext>> anonymous = MakeTlsContext(
      TlsOptions{.mode = SslMode::kVerifyCa, .ca_file = pki.ca_file()}, /*serves=*/false);
  REQUIRE(anonymous.ok());
  ex->BlockOn([&]() -> net::Task<void> {
    ClientOptions tls{
        .timeout = 5s, .ssl_mode = SslMode::kVerifyIdentity, .tls = client_tls->get()};
    absl::StatusOr<ClientResult> r = co_await Negotiate(*ex, g.addresses[0], tls);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    CHECK(r->version == xdr::ProtocolVersion::kX1_6);
    CHECK(r->tls_version == "TLSv1.3");
    CHECK(r->tls_cipher == "TLS_AES_256_GCM_SHA384");

    ClientOptions ca_only{.timeout = 5s, .ssl_mode = SslMode::kVerifyCa, .tls = anonymous->get()};
    absl::StatusOr<ClientResult> a = co_await Negotiate(*ex, g.addresses[1], ca_only);
    INFO(a.status().ToString());
    CHECK(a.ok());

    ClientOptions plain{.timeout = 5s};
    absl::StatusOr<ClientResult> p = co_await Negotiate(*ex, g.addresses[2], plain);
    INFO(p.status().ToString());
    CHECK(PeerSpeaksTls(p.status()));
    CHECK(std::string(p.status().message()).find("the peer speaks TLS") != std::string::npos);

    // The name check is the dialled host's: "localhost" is not in the certificates.
    std::string by_name = "localhost:" + g.addresses[0].substr(g.addresses[0].find(':') + 1);
    absl::StatusOr<ClientResult> n = co_await Negotiate(*ex, by_name, tls);
    INFO(n.status().ToString());
    CHECK(net::TlsFailureOf(n.status()) == TlsFailure::kNameMismatch);
    co_await g.Stop();
  }());
}

TEST_CASE("Transport::Create refuses TLS options it cannot use, naming the option") {
  TestPki pki;
  auto ex = net::testing::NewExecutor();
  testing::LogCapture logs;
  TransportOptions o = testing::LoopbackOptions(testing::ReservePort(), logs, "n");
  o.tls.mode = SslMode::kRequired;
  absl::Status no_cert = Transport::Create(*ex, o).status();
  CHECK(absl::IsInvalidArgument(no_cert));
  CHECK(std::string(no_cert.message()).find("cert_file") != std::string::npos);
  o.tls.cert_file = "/nonexistent/node.pem";
  absl::Status missing = Transport::Create(*ex, o).status();
  CHECK(absl::IsInvalidArgument(missing));
  CHECK(std::string(missing.message()).find("/nonexistent/node.pem") != std::string::npos);
  o.tls = NodeTls(pki, SslMode::kRequired, pki.Node("n"));
  o.tls.require_client_certificate = true;
  CHECK(absl::IsInvalidArgument(Transport::Create(*ex, o).status()));
  o.tls.mode = SslMode::kVerifyCa;
  CHECK(Transport::Create(*ex, o).ok());
  TransportOptions plain = testing::LoopbackOptions(testing::ReservePort(), logs, "p");
  absl::StatusOr<std::unique_ptr<Transport>> t = Transport::Create(*ex, plain);
  REQUIRE(t.ok());
  CHECK(absl::IsFailedPrecondition((*t)->ReloadTls()));
  CHECK(ParseSslMode("verify_identity") == SslMode::kVerifyIdentity);
  CHECK(ParseSslMode("VERIFY-CA") == SslMode::kVerifyCa);
  CHECK(ParseSslMode("PREFERRED") == std::nullopt);
}

}  // namespace
}  // namespace uxcom::xcom
