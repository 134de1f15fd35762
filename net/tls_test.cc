// TLS over net::Stream, end to end on loopback: handshakes and what they negotiate, peer
// verification in every policy and every way it fails, large transfers through tiny socket
// buffers, close_notify, timeouts and cancellation mid-handshake, renegotiation refused,
// KeyUpdates asked by either end in the middle of traffic (answered, never stalling a read,
// bounded), rotation. The peer is either another Stream or a blocking OpenSSL
// connection on a plain socket (an independent implementation).
#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "net/executor.h"
#include "net/listener.h"
#include "net/scope.h"
#include "net/stream.h"
#include "net/testing.h"
#include "net/timer.h"
#include "net/tls_context.h"
#include "net/tls_failure.h"
#include "net/tls_testing.h"

namespace uxcom::net {
namespace {

using namespace std::chrono_literals;
using testing::BlockingTcpPair;
using testing::BlockingTlsPeer;
using testing::CertFiles;
using testing::ConnectedPair;
using testing::NewExecutor;
using testing::TestPki;

std::byte Pattern(uint64_t i, uint32_t seed = 0) {
  return static_cast<std::byte>((i * 2654435761u + seed) >> 13);
}

std::shared_ptr<TlsContext> Context(const TlsConfig& config) {
  absl::StatusOr<std::shared_ptr<TlsContext>> c = TlsContext::Create(config);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  return *c;
}

Task<void> ServerHandshake(Stream& s, std::shared_ptr<TlsContext> ctx, absl::Status& out) {
  TlsHandshakeOptions o{.role = TlsRole::kServer, .timeout = 5s};
  out = co_await s.StartTls(std::move(ctx), o);
}

// One end's handshake with a context made from `config`.
Task<absl::Status> TlsAs(Stream& s, const TlsConfig& config, TlsRole role, Duration timeout = 5s) {
  std::shared_ptr<TlsContext> ctx = Context(config);
  TlsHandshakeOptions o{.role = role, .timeout = timeout};
  co_return co_await s.StartTls(ctx, o);
}

struct Handshaken {
  Stream client;
  Stream server;
  absl::Status client_status;
  absl::Status server_status;
};

// What HandshakePair sets up. Built as a named variable: GCC 12 mishandles temporaries with
// destructors (braced options, a shared_ptr made in place) in a co_await's full expression.
struct PairSpec {
  std::shared_ptr<TlsContext> client;
  std::shared_ptr<TlsContext> server;
  std::string verify_name{};
  int socket_buffer_bytes = 0;  // see ConnectedPair
};

// A loopback pair on which both ends run their handshake at once.
Task<Handshaken> HandshakePair(Executor& ex, const PairSpec& spec) {
  absl::StatusOr<std::pair<Stream, Stream>> pair =
      co_await ConnectedPair(ex, spec.socket_buffer_bytes);
  REQUIRE(pair.ok());
  Handshaken h{std::move(pair->first), std::move(pair->second), {}, {}};
  TlsHandshakeOptions options{
      .role = TlsRole::kClient, .verify_name = spec.verify_name, .timeout = 5s};
  Scope scope(ex);
  scope.Spawn(ServerHandshake(h.server, spec.server, h.server_status));
  h.client_status = co_await h.client.StartTls(spec.client, options);
  // A client that gave up closes, so the server's handshake ends too.
  if (!h.client_status.ok()) h.client.Close();
  co_await scope.Join();
  co_return h;
}

std::string Text(const absl::Status& s) { return std::string(s.message()); }

TEST_CASE(
    "a TLS handshake negotiates TLS 1.3 with TLS_AES_256_GCM_SHA384 and data flows both ways") {
  TestPki pki;
  auto ex = NewExecutor();
  TlsConfig server = pki.Config(pki.Node("server"));
  TlsConfig client = pki.Config(pki.Node("client"));
  auto body = [&]() -> Task<void> {
    PairSpec h_spec{Context(client), Context(server), "127.0.0.1"};
    Handshaken h = co_await HandshakePair(*ex, h_spec);
    INFO(h.client_status.ToString(), " / ", h.server_status.ToString());
    REQUIRE(h.client_status.ok());
    REQUIRE(h.server_status.ok());
    REQUIRE(h.client.tls() != nullptr);
    REQUIRE(h.server.tls() != nullptr);
    CHECK(h.client.tls()->version == "TLSv1.3");
    CHECK(h.client.tls()->cipher == "TLS_AES_256_GCM_SHA384");
    CHECK(h.server.tls()->cipher == "TLS_AES_256_GCM_SHA384");
    CHECK(h.client.tls()->peer_subject == "CN = server");
    CHECK(h.client.tls()->peer_verified);
    CHECK(h.server.tls()->peer_subject.empty());  // the server did not ask
    for (int i = 0; i < 50; ++i) {
      std::string msg = "ping " + std::to_string(i);
      absl::Status w = co_await h.client.Write(std::as_bytes(std::span(msg)));
      REQUIRE(w.ok());
      std::vector<std::byte> got(msg.size());
      absl::Status r = co_await h.server.ReadExactly(got);
      REQUIRE(r.ok());
      CHECK(std::memcmp(got.data(), msg.data(), msg.size()) == 0);
      absl::Status back = co_await h.server.WriteV(std::as_bytes(std::span(msg)).first(2),
                                                   std::as_bytes(std::span(msg)).subspan(2));
      REQUIRE(back.ok());
      absl::Status r2 = co_await h.client.ReadExactly(got);
      REQUIRE(r2.ok());
      CHECK(std::memcmp(got.data(), msg.data(), msg.size()) == 0);
    }
  };
  ex->BlockOn(body());
}

TEST_CASE("TLS 1.2 can be forced, with a chosen cipher") {
  TestPki pki;
  auto ex = NewExecutor();
  TlsConfig server = pki.Config(pki.Node("server"));
  TlsConfig client = pki.Config(pki.Node("client"));
  client.max_version = TlsVersion::kTls12;
  client.cipher_list = "ECDHE-ECDSA-AES128-GCM-SHA256";
  auto body = [&]() -> Task<void> {
    PairSpec h_spec{Context(client), Context(server)};
    Handshaken h = co_await HandshakePair(*ex, h_spec);
    REQUIRE(h.client_status.ok());
    CHECK(h.client.tls()->version == "TLSv1.2");
    CHECK(h.server.tls()->cipher == "ECDHE-ECDSA-AES128-GCM-SHA256");
  };
  ex->BlockOn(body());
}

TEST_CASE("mutual verification: a server that asks verifies the client's certificate") {
  TestPki pki;
  auto ex = NewExecutor();
  TlsConfig server = pki.Config(pki.Node("server"));
  server.client_certificates = ClientCertificatePolicy::kVerifyIfPresented;
  TlsConfig client = pki.Config(pki.Node("client"));
  auto body = [&]() -> Task<void> {
    PairSpec h_spec{Context(client), Context(server)};
    Handshaken h = co_await HandshakePair(*ex, h_spec);
    REQUIRE(h.server_status.ok());
    CHECK(h.server.tls()->peer_subject == "CN = client");
    CHECK(h.server.tls()->peer_verified);

    // A client without a certificate is accepted under kVerifyIfPresented…
    TlsConfig anonymous{.ca_file = pki.ca_file()};
    PairSpec a_spec{Context(anonymous), Context(server)};
    Handshaken a = co_await HandshakePair(*ex, a_spec);
    CHECK(a.server_status.ok());
    CHECK(a.server.tls()->peer_subject.empty());

    // …and refused under kRequired. TLS 1.3 clients finish before the server decides: the
    // client learns it from the server's alert on its first read.
    server.client_certificates = ClientCertificatePolicy::kRequired;
    PairSpec r_spec{Context(anonymous), Context(server)};
    Handshaken r = co_await HandshakePair(*ex, r_spec);
    INFO(r.server_status.ToString());
    CHECK(TlsFailureOf(r.server_status) == TlsFailure::kNoCertificate);
    CHECK(Text(r.server_status).find("TLS handshake with 127.0.0.1:") == 0);
    if (r.client_status.ok()) {
      std::byte b[1];
      absl::StatusOr<size_t> n = co_await r.client.ReadSome(b);
      INFO(n.status().ToString());
      CHECK(!n.ok());
      CHECK(Text(n.status()).find("certificate required") != std::string::npos);
    }

    // A client certificate from another CA is refused, and the client hears why.
    server.client_certificates = ClientCertificatePolicy::kVerifyIfPresented;
    TlsConfig rogue = pki.Config(pki.Issue({.common_name = "rogue"}, /*from_other_ca=*/true));
    PairSpec u_spec{Context(rogue), Context(server)};
    Handshaken u = co_await HandshakePair(*ex, u_spec);
    INFO(u.server_status.ToString());
    CHECK(TlsFailureOf(u.server_status) == TlsFailure::kUntrustedCertificate);
    CHECK(Text(u.server_status).find("certificate verify failed") != std::string::npos);
  };
  ex->BlockOn(body());
}

TEST_CASE("a certificate from an unknown CA fails on both sides, each naming the reason") {
  TestPki pki;
  auto ex = NewExecutor();
  TlsConfig server = pki.Config(pki.Issue({.common_name = "rogue"}, /*from_other_ca=*/true));
  TlsConfig client = pki.Config(pki.Node("client"));
  auto body = [&]() -> Task<void> {
    PairSpec h_spec{Context(client), Context(server)};
    Handshaken h = co_await HandshakePair(*ex, h_spec);
    INFO(h.client_status.ToString(), " / ", h.server_status.ToString());
    CHECK(TlsFailureOf(h.client_status) == TlsFailure::kUntrustedCertificate);
    CHECK(Text(h.client_status)
              .find("failed: certificate verify failed (unable to get local issuer certificate)") !=
          std::string::npos);
    CHECK(absl::IsUnauthenticated(h.client_status));
    CHECK(TlsFailureOf(h.server_status) == TlsFailure::kUntrustedCertificate);
    CHECK(Text(h.server_status).find("tlsv1 alert unknown ca") != std::string::npos);
    CHECK(h.client.tls() == nullptr);
  };
  ex->BlockOn(body());
}

TEST_CASE("expired and not-yet-valid certificates are refused with their own category") {
  TestPki pki;
  auto ex = NewExecutor();
  TlsConfig client{.ca_file = pki.ca_file()};
  TlsConfig expired =
      pki.Config(pki.Issue({.common_name = "old", .not_before = -48h, .not_after = -24h}));
  TlsConfig future =
      pki.Config(pki.Issue({.common_name = "new", .not_before = 24h, .not_after = 48h}));
  auto body = [&]() -> Task<void> {
    PairSpec e_spec{Context(client), Context(expired)};
    Handshaken e = co_await HandshakePair(*ex, e_spec);
    INFO(e.client_status.ToString());
    CHECK(TlsFailureOf(e.client_status) == TlsFailure::kCertificateExpired);
    CHECK(Text(e.client_status).find("(certificate has expired)") != std::string::npos);
    CHECK(TlsFailureOf(e.server_status) == TlsFailure::kCertificateExpired);
    PairSpec f_spec{Context(client), Context(future)};
    Handshaken f = co_await HandshakePair(*ex, f_spec);
    INFO(f.client_status.ToString());
    CHECK(TlsFailureOf(f.client_status) == TlsFailure::kCertificateNotYetValid);
    CHECK(Text(f.client_status).find("(certificate is not yet valid)") != std::string::npos);
  };
  ex->BlockOn(body());
}

TEST_CASE("the name check matches the dialled host name, then its IP address") {
  TestPki pki;
  auto ex = NewExecutor();
  TlsConfig client{.ca_file = pki.ca_file()};
  TlsConfig named = pki.Config(pki.Issue({.common_name = "node-a",
                                          .dns_names = {"node-a.example", "*.cluster.example"},
                                          .ip_addresses = {"127.0.0.1"}}));
  TlsConfig cn_only = pki.Config(pki.Issue({.common_name = "cn-only.example"}));
  auto body = [&]() -> Task<void> {
    for (const char* ok : {"node-a.example", "x.cluster.example", "127.0.0.1"}) {
      PairSpec h_spec{Context(client), Context(named), ok};
      Handshaken h = co_await HandshakePair(*ex, h_spec);
      INFO(ok, ": ", h.client_status.ToString());
      CHECK(h.client_status.ok());
    }
    for (const char* bad : {"node-b.example", "127.0.0.2", "a.b.cluster.example"}) {
      PairSpec h_spec{Context(client), Context(named), bad};
      Handshaken h = co_await HandshakePair(*ex, h_spec);
      INFO(bad, ": ", h.client_status.ToString());
      CHECK(TlsFailureOf(h.client_status) == TlsFailure::kNameMismatch);
      CHECK(Text(h.client_status).find(absl::StrCat("does not match '", bad, "'")) !=
            std::string::npos);
      CHECK(Text(h.client_status).find("DNS:node-a.example") != std::string::npos);
    }
    // Without a DNS subjectAltName the CN is the name.
    PairSpec c_spec{Context(client), Context(cn_only), "cn-only.example"};
    Handshaken c = co_await HandshakePair(*ex, c_spec);
    CHECK(c.client_status.ok());
  };
  ex->BlockOn(body());
}

TEST_CASE("a revoked certificate is refused when CRLs are configured") {
  TestPki pki;
  auto ex = NewExecutor();
  CertFiles revoked = pki.Node("revoked");
  CertFiles good = pki.Node("good");
  absl::StatusOr<std::string> crl = pki.ca().RevocationList({revoked.certificate_pem});
  REQUIRE(crl.ok());
  TlsConfig client{.ca_file = pki.ca_file(), .crl_file = pki.Write("ca.crl", *crl)};
  auto body = [&]() -> Task<void> {
    PairSpec r_spec{Context(client), Context(pki.Config(revoked))};
    Handshaken r = co_await HandshakePair(*ex, r_spec);
    INFO(r.client_status.ToString());
    CHECK(TlsFailureOf(r.client_status) == TlsFailure::kCertificateRevoked);
    CHECK(Text(r.client_status).find("(certificate revoked)") != std::string::npos);
    PairSpec g_spec{Context(client), Context(pki.Config(good))};
    Handshaken g = co_await HandshakePair(*ex, g_spec);
    CHECK(g.client_status.ok());
  };
  ex->BlockOn(body());
}

TEST_CASE("configuration errors name the option and OpenSSL's reason") {
  TestPki pki;
  CertFiles a = pki.Node("a");
  CertFiles b = pki.Node("b");
  auto fails = [](TlsConfig c) { return TlsContext::Create(std::move(c)).status(); };
  absl::Status missing = fails({.certificate_file = "/nonexistent/cert.pem"});
  CHECK(absl::IsInvalidArgument(missing));
  CHECK(Text(missing).find("certificate_file '/nonexistent/cert.pem'") != std::string::npos);
  absl::Status mismatch =
      fails({.certificate_file = a.certificate_file, .private_key_file = b.private_key_file});
  CHECK(Text(mismatch).find("private_key_file") != std::string::npos);
  absl::Status ciphers = fails({.cipher_list = "NO-SUCH-CIPHER"});
  CHECK(Text(ciphers).find("cipher_list 'NO-SUCH-CIPHER'") != std::string::npos);
  absl::Status ca = fails({.ca_file = "/nonexistent/ca.pem"});
  CHECK(Text(ca).find("ca_file '/nonexistent/ca.pem'") != std::string::npos);
  absl::Status versions =
      fails({.min_version = TlsVersion::kTls13, .max_version = TlsVersion::kTls12});
  CHECK(absl::IsInvalidArgument(versions));
  // One file holding both certificate and key serves as either.
  std::string both = pki.Write("both.pem", [&] {
    PemPair p = *pki.ca().Issue({.common_name = "both"});
    return p.certificate + p.private_key;
  }());
  CHECK(TlsContext::Create({.certificate_file = both}).ok());
  CHECK(TlsContext::Create({.private_key_file = both}).ok());
}

Task<void> Sender(Stream& s, uint64_t total, uint32_t seed, absl::Status& out) {
  std::vector<std::byte> buf(200 * 1024);
  uint64_t sent = 0;
  size_t step = 1;
  while (sent < total) {
    size_t n = std::min<uint64_t>({step, buf.size(), total - sent});
    for (size_t i = 0; i < n; ++i) buf[i] = Pattern(sent + i, seed);
    if (n > 6 && step % 3 == 0) {
      // Several pieces in one write, small ones among them.
      std::span<const std::byte> b(buf.data(), n);
      out = co_await s.WriteV(b.first(1), b.subspan(1, 2), b.subspan(3, 3), b.subspan(6));
    } else {
      out = co_await s.Write({buf.data(), n});
    }
    if (!out.ok()) co_return;
    sent += n;
    step = step * 7 % 150001 + 1;
  }
}

Task<void> Receiver(Stream& s, uint64_t total, uint32_t seed, bool chunks, absl::Status& out) {
  std::vector<std::byte> buf(70 * 1024);
  uint64_t got = 0;
  size_t want = 1;
  while (got < total) {
    size_t n = 0;
    if (chunks) {
      uint64_t at = got;
      bool ok = true;
      absl::StatusOr<size_t> c = co_await s.ReadChunk([&](std::span<const std::byte> d) {
        size_t take = std::min(d.size(), want);
        for (size_t i = 0; i < take; ++i) ok = ok && d[i] == Pattern(at + i, seed);
        return take;
      });
      if (!c.ok()) {
        out = c.status();
        co_return;
      }
      if (!ok) {
        out = absl::DataLossError(absl::StrCat("wrong byte near ", at));
        co_return;
      }
      n = *c;
    } else {
      absl::StatusOr<size_t> r = co_await s.ReadSome({buf.data(), std::min(buf.size(), want)});
      if (!r.ok() || *r == 0) {
        out = r.ok() ? absl::OutOfRangeError("early EOF") : r.status();
        co_return;
      }
      n = *r;
      for (size_t i = 0; i < n; ++i) {
        if (buf[i] != Pattern(got + i, seed)) {
          out = absl::DataLossError(absl::StrCat("wrong byte at ", got + i));
          co_return;
        }
      }
    }
    got += n;
    want = want * 13 % 70001 + 1;
  }
  out = absl::OkStatus();
}

TEST_CASE("large transfers through tiny socket buffers arrive intact, both ways at once") {
  TestPki pki;
  auto ex = NewExecutor();
  TlsConfig server = pki.Config(pki.Node("server"));
  TlsConfig client = pki.Config(pki.Node("client"));
  constexpr uint64_t kBytes = 6 << 20;
  auto body = [&]() -> Task<void> {
    // Set before connecting: shrunk afterwards, the kernel crawls (see ConnectedPair).
    PairSpec h_spec{Context(client), Context(server), {}, /*socket_buffer_bytes=*/4096};
    Handshaken h = co_await HandshakePair(*ex, h_spec);
    REQUIRE(h.client_status.ok());
    for (Stream* s : {&h.client, &h.server}) {
      int rcvbuf = 0;
      socklen_t len = sizeof rcvbuf;
      REQUIRE(::getsockopt(s->fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len) == 0);
      CHECK(rcvbuf <= 2 * 4096);  // the kernel doubles what was asked for
    }
    absl::Status w1, w2, r1, r2;
    Scope scope(*ex);
    scope.Spawn(Sender(h.client, kBytes, 1, w1));
    scope.Spawn(Sender(h.server, kBytes, 2, w2));
    scope.Spawn(Receiver(h.server, kBytes, 1, /*chunks=*/false, r1));
    scope.Spawn(Receiver(h.client, kBytes, 2, /*chunks=*/true, r2));
    co_await scope.Join();
    INFO(w1.ToString(), " ", w2.ToString(), " ", r1.ToString(), " ", r2.ToString());
    CHECK(w1.ok());
    CHECK(w2.ok());
    CHECK(r1.ok());
    CHECK(r2.ok());
  };
  ex->BlockOn(body());
}

// Writes `count` messages: a 4-byte length, then that many copies of `id`.
Task<void> LengthPrefixedWriter(Stream& s, uint8_t id, int count) {
  std::vector<std::byte> msg;
  for (int i = 0; i < count; ++i) {
    uint32_t len = 1 + (i * 7919 + id * 104729) % 40000;
    msg.assign(4 + len, static_cast<std::byte>(id));
    std::memcpy(msg.data(), &len, 4);
    absl::Status w = co_await s.Write(msg);
    if (!w.ok()) co_return;
  }
}

TEST_CASE("concurrent writers on one TLS stream keep each write whole and in call order") {
  TestPki pki;
  auto ex = NewExecutor();
  TlsConfig config = pki.Config(pki.Node("n"));
  auto body = [&]() -> Task<void> {
    PairSpec h_spec{Context(config), Context(config)};
    Handshaken h = co_await HandshakePair(*ex, h_spec);
    REQUIRE(h.client_status.ok());
    REQUIRE(h.client.SetSendBufferSize(4096).ok());
    Scope scope(*ex);
    for (uint8_t id = 1; id <= 4; ++id) scope.Spawn(LengthPrefixedWriter(h.client, id, 50));
    int frames = 0;
    bool intact = true;
    for (; frames < 200; ++frames) {
      uint32_t len = 0;
      absl::Status r = co_await h.server.ReadExactly(std::as_writable_bytes(std::span(&len, 1)));
      REQUIRE(r.ok());
      std::vector<std::byte> body(len);
      absl::Status rb = co_await h.server.ReadExactly(body);
      REQUIRE(rb.ok());
      for (std::byte b : body) intact = intact && b == body[0];
    }
    co_await scope.Join();
    CHECK(intact);
    CHECK(frames == 200);
  };
  ex->BlockOn(body());
}

TEST_CASE("close_notify: sent by Close(), and the peer's reads as end of stream") {
  TestPki pki;
  auto ex = NewExecutor();
  TlsConfig config = pki.Config(pki.Node("n"));
  auto [ours, theirs] = BlockingTcpPair();
  std::atomic<int> peer_read_error{-1};
  std::string peer_handshake;
  {
    // The peer reads our "bye", expects our close_notify, then sends its own.
    BlockingTlsPeer peer(theirs, config, TlsRole::kServer, [&](SSL* ssl, const std::string& e) {
      peer_handshake = e;
      if (ssl == nullptr) return;
      char buf[16];
      size_t n = 0;
      SSL_read_ex(ssl, buf, sizeof buf, &n);
      int r = SSL_read_ex(ssl, buf, sizeof buf, &n);
      peer_read_error = SSL_get_error(ssl, r);
    });
    auto body = [&]() -> Task<void> {
      absl::StatusOr<Stream> s = Stream::Adopt(*ex, Socket(ours));
      REQUIRE(s.ok());
      absl::Status h = co_await TlsAs(*s, config, TlsRole::kClient, 5s);
      REQUIRE(h.ok());
      absl::Status w = co_await s->Write(std::as_bytes(std::span("bye", 3)));
      REQUIRE(w.ok());
      s->Close();
    };
    ex->BlockOn(body());
  }
  CHECK(peer_handshake.empty());
  CHECK(peer_read_error == SSL_ERROR_ZERO_RETURN);  // a close_notify, not a bare FIN

  auto [ours2, theirs2] = BlockingTcpPair();
  {
    BlockingTlsPeer peer(theirs2, config, TlsRole::kServer, [&](SSL* ssl, const std::string&) {
      if (ssl == nullptr) return;
      size_t n = 0;
      SSL_write_ex(ssl, "last", 4, &n);
      SSL_shutdown(ssl);
    });
    auto body = [&]() -> Task<void> {
      absl::StatusOr<Stream> s = Stream::Adopt(*ex, Socket(ours2));
      REQUIRE(s.ok());
      absl::Status h = co_await TlsAs(*s, config, TlsRole::kClient, 5s);
      REQUIRE(h.ok());
      std::byte buf[4];
      absl::Status r = co_await s->ReadExactly(buf);
      CHECK(r.ok());
      absl::StatusOr<size_t> eof = co_await s->ReadSome(buf);
      REQUIRE(eof.ok());
      CHECK(*eof == 0);
    };
    ex->BlockOn(body());
  }
}

Task<void> SilentPeer(Stream& s) {
  std::byte b[1];
  (void)co_await s.ReadSome(b);  // reads the ClientHello's first byte, never answers
  (void)co_await Sleep(10s);
}

TEST_CASE("a handshake with a silent peer times out; a cancelled one returns at once") {
  TestPki pki;
  auto ex = NewExecutor();
  TlsConfig config = pki.Config(pki.Node("n"));
  auto body = [&]() -> Task<void> {
    absl::StatusOr<std::pair<Stream, Stream>> pair = co_await ConnectedPair(*ex);
    REQUIRE(pair.ok());
    Scope silent(*ex);
    silent.Spawn(SilentPeer(pair->second));
    auto t0 = std::chrono::steady_clock::now();
    absl::Status s = co_await TlsAs(pair->first, config, TlsRole::kClient, 200ms);
    auto took = std::chrono::steady_clock::now() - t0;
    INFO(s.ToString());
    CHECK(absl::IsDeadlineExceeded(s));
    CHECK(TlsFailureOf(s) == TlsFailure::kTimeout);
    CHECK(Text(s).find("TLS handshake with 127.0.0.1:") == 0);
    CHECK(took >= 200ms);
    CHECK(took < 3s);
    co_await silent.Close();

    // Cancellation: the scope owning a server-side handshake is closed mid-way.
    absl::StatusOr<std::pair<Stream, Stream>> p2 = co_await ConnectedPair(*ex);
    REQUIRE(p2.ok());
    absl::Status server_status;
    Scope handshakes(*ex);
    std::shared_ptr<TlsContext> ctx = Context(config);
    handshakes.Spawn(ServerHandshake(p2->second, ctx, server_status));
    (void)co_await Sleep(20ms);
    co_await handshakes.Close();
    CHECK(absl::IsCancelled(server_status));
    // Neither stream may be used for data now; the failed one says why.
    std::byte b[1];
    absl::StatusOr<size_t> n = co_await p2->second.ReadSome(b);
    CHECK(!n.ok());
  };
  ex->BlockOn(body());
}

Task<void> WriteRaw(Stream& s, std::string bytes) {
  (void)co_await s.Write(std::as_bytes(std::span(bytes)));
  std::byte b[64];
  (void)co_await s.ReadSome(b);
}

TEST_CASE("bytes that are not TLS, and a peer that closes, fail the handshake by category") {
  TestPki pki;
  auto ex = NewExecutor();
  TlsConfig config = pki.Config(pki.Node("n"));
  auto body = [&]() -> Task<void> {
    absl::StatusOr<std::pair<Stream, Stream>> pair = co_await ConnectedPair(*ex);
    REQUIRE(pair.ok());
    Scope peer(*ex);
    peer.Spawn(WriteRaw(pair->first, std::string("\0\0\0\x06\0\0\0\0\x01\x01\x39\0", 12)));
    absl::Status s = co_await TlsAs(pair->second, config, TlsRole::kServer, 5s);
    INFO(s.ToString());
    CHECK(TlsFailureOf(s) == TlsFailure::kNotTls);
    CHECK(Text(s).find("00 00 00 06 00 00 00 00") != std::string::npos);
    pair->second.Close();
    co_await peer.Close();

    absl::StatusOr<std::pair<Stream, Stream>> p2 = co_await ConnectedPair(*ex);
    REQUIRE(p2.ok());
    p2->second.Close();  // a plaintext server that hangs up on the ClientHello
    absl::Status c = co_await TlsAs(p2->first, config, TlsRole::kClient, 5s);
    INFO(c.ToString());
    CHECK((TlsFailureOf(c) == TlsFailure::kPeerClosed || TlsFailureOf(c) == TlsFailure::kIoError));
    CHECK(Text(c).find("TLS handshake with 127.0.0.1:") == 0);
  };
  ex->BlockOn(body());
}

TEST_CASE("renegotiation is refused in both roles; a KeyUpdate is answered") {
  TestPki pki;
  auto ex = NewExecutor();
  TlsConfig config = pki.Config(pki.Node("n"));
  TlsConfig tls12 = config;
  tls12.max_version = TlsVersion::kTls12;

  // The peer lifts the refusal uxcom's contexts carry, then asks; it records OpenSSL's verdict.
  auto ask_to_renegotiate = [](SSL* ssl, bool& started, std::string& error) {
    SSL_clear_options(ssl, SSL_OP_NO_RENEGOTIATION);
    started = SSL_renegotiate(ssl) == 1;
    int r = SSL_do_handshake(ssl);
    if (r == 1) {  // the request is out (a HelloRequest, or a ClientHello): the answer is read
      char buf[8];
      size_t n = 0;
      r = SSL_read_ex(ssl, buf, sizeof buf, &n);
    }
    unsigned long e = ERR_peek_last_error();
    if (r != 1) error = e != 0 ? ERR_reason_error_string(e) : "no error queued";
  };

  SUBCASE("a client asking to renegotiate with our server") {
    auto [ours, theirs] = BlockingTcpPair();
    bool started = false;
    std::string error;
    BlockingTlsPeer peer(theirs, tls12, TlsRole::kClient, [&](SSL* ssl, const std::string&) {
      if (ssl != nullptr) ask_to_renegotiate(ssl, started, error);
    });
    auto body = [&]() -> Task<void> {
      absl::StatusOr<Stream> s = Stream::Adopt(*ex, Socket(ours));
      REQUIRE(s.ok());
      absl::Status h = co_await TlsAs(*s, config, TlsRole::kServer, 5s);
      REQUIRE(h.ok());
      CHECK(s->tls()->version == "TLSv1.2");
      std::byte b[16];
      absl::StatusOr<size_t> n = co_await s->ReadSome(b);
      INFO(n.status().ToString());
      REQUIRE_FALSE(n.ok());  // the peer gave up with an alert, and our error says why
      CHECK(Text(n.status()).find("the peer asked to renegotiate and was refused") !=
            std::string::npos);
    };
    ex->BlockOn(body());
    peer.Join();
    CHECK(started);
    CHECK(error == "no renegotiation");
  }
  SUBCASE("a server asking our client to renegotiate") {
    auto [ours, theirs] = BlockingTcpPair();
    bool started = false;
    std::string error;
    BlockingTlsPeer peer(theirs, tls12, TlsRole::kServer, [&](SSL* ssl, const std::string&) {
      if (ssl != nullptr) ask_to_renegotiate(ssl, started, error);
    });
    auto body = [&]() -> Task<void> {
      absl::StatusOr<Stream> s = Stream::Adopt(*ex, Socket(ours));
      REQUIRE(s.ok());
      absl::Status h = co_await TlsAs(*s, config, TlsRole::kClient, 5s);
      REQUIRE(h.ok());
      std::byte b[16];
      // Our read sees the HelloRequest and answers no_renegotiation (a write from a read).
      absl::StatusOr<size_t> n = co_await s->ReadSome(b);
      INFO(n.status().ToString());
      REQUIRE_FALSE(n.ok());  // the peer gave up with an alert, and our error says why
      CHECK(Text(n.status()).find("the peer asked to renegotiate and was refused") !=
            std::string::npos);
    };
    ex->BlockOn(body());
    peer.Join();
    CHECK(started);
    CHECK(error == "no renegotiation");
  }
  SUBCASE("a TLS 1.3 KeyUpdate asking for ours") {
    auto [ours, theirs] = BlockingTcpPair();
    std::string echoed;
    BlockingTlsPeer peer(theirs, config, TlsRole::kServer, [&](SSL* ssl, const std::string&) {
      if (ssl == nullptr) return;
      SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED);
      size_t n = 0;
      SSL_write_ex(ssl, "after", 5, &n);  // sent under the new keys
      char buf[16];
      if (SSL_read_ex(ssl, buf, sizeof buf, &n) == 1) echoed.assign(buf, n);
    });
    auto body = [&]() -> Task<void> {
      absl::StatusOr<Stream> s = Stream::Adopt(*ex, Socket(ours));
      REQUIRE(s.ok());
      absl::Status h = co_await TlsAs(*s, config, TlsRole::kClient, 5s);
      REQUIRE(h.ok());
      std::byte b[5];
      absl::Status r = co_await s->ReadExactly(b);
      INFO(r.ToString());
      REQUIRE(r.ok());
      absl::Status w = co_await s->Write(b);  // under our updated keys
      CHECK(w.ok());
      std::byte end[1];
      (void)co_await s->ReadSome(end);
    };
    ex->BlockOn(body());
    peer.Join();
    CHECK(echoed == "after");
  }
}

// --- post-handshake messages in the middle of traffic: KeyUpdates both ways ---------------------

// Closes `streams` if the test has not finished after `limit`, so that a stall fails the test
// (every pending operation ends with kCancelled) instead of hanging it.
Task<void> CloseIfStalled(std::vector<Stream*> streams, Duration limit, bool& stalled) {
  absl::Status slept = co_await Sleep(limit);
  if (!slept.ok()) co_return;  // cancelled: the test finished in time
  stalled = true;
  for (Stream* s : streams) s->Close();
}

// Counts the KeyUpdate messages an OpenSSL peer receives (its message callback), by kind.
struct KeyUpdatesReceived {
  int requested = 0;      // update_requested: the sender asks for ours
  int not_requested = 0;  // an answer (or an update nobody asked for)

  static void OnMessage(int write_p, int, int content_type, const void* buf, size_t len, SSL*,
                        void* arg) {
    const auto* m = static_cast<const unsigned char*>(buf);
    if (write_p != 0 || content_type != SSL3_RT_HANDSHAKE || len < 5 ||
        m[0] != SSL3_MT_KEY_UPDATE) {
      return;
    }
    auto* self = static_cast<KeyUpdatesReceived*>(arg);
    ++(m[4] == SSL_KEY_UPDATE_REQUESTED ? self->requested : self->not_requested);
  }
  void Watch(SSL* ssl) {
    SSL_set_msg_callback(ssl, &OnMessage);
    SSL_set_msg_callback_arg(ssl, this);
  }
};

// A blocking peer's socket gives up after `limit` rather than block its thread for ever.
void BoundBlocking(int fd, std::chrono::seconds limit) {
  timeval tv{.tv_sec = static_cast<time_t>(limit.count()), .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool PeerWriteAll(SSL* ssl, std::span<const std::byte> data) {
  while (!data.empty()) {
    size_t n = 0;
    if (SSL_write_ex(ssl, data.data(), data.size(), &n) != 1) return false;
    data = data.subspan(n);
  }
  return true;
}

// Reads `total` bytes of Pattern(i, seed) on a blocking peer: false if one differs or the
// connection fails first.
bool PeerReadPattern(SSL* ssl, uint64_t total, uint32_t seed) {
  std::vector<std::byte> buf(64 * 1024);
  for (uint64_t got = 0; got < total;) {
    size_t n = 0;
    if (SSL_read_ex(ssl, buf.data(), std::min<uint64_t>(buf.size(), total - got), &n) != 1) {
      return false;
    }
    for (size_t i = 0; i < n; ++i) {
      if (buf[i] != Pattern(got + i, seed)) return false;
    }
    got += n;
  }
  return true;
}

// Reads `total` bytes of Pattern(i, seed) and asks for a key update after every `every` bytes.
Task<absl::Status> ReadAskingForKeyUpdates(Stream& s, uint64_t total, uint32_t seed, uint64_t every,
                                           int& asked) {
  testing::PatternReader reader{.seed = seed};
  while (reader.received < total) {
    uint64_t until = std::min(total, reader.received + every);
    absl::Status r = co_await testing::ReadPattern(s, reader, until, /*per_read=*/70000);
    if (!r.ok()) co_return r;
    if (!reader.intact) co_return absl::DataLossError("a byte differs");
    if (reader.received < total) {
      absl::Status asking = s.RequestKeyUpdate();
      if (!asking.ok()) co_return asking;
      ++asked;
    }
  }
  co_return absl::OkStatus();
}

TEST_CASE(
    "a peer that asks for a key update before each write and reads only once it has written "
    "everything: our reads never wait for the answers, and every request is answered once") {
  // Our answers queue behind our own large write, which the peer reads only at the end: a read
  // that waited for its answer to be written would wait for ever (the peer waits for us to read).
  TestPki pki;
  auto ex = NewExecutor();
  TlsConfig config = pki.Config(pki.Node("n"));
  constexpr uint64_t kChunk = 64 * 1024;
  constexpr uint64_t kPeerBytes = 4 << 20;  // 64 KeyUpdates asking for ours
  constexpr uint64_t kOurBytes = 1 << 20;
  constexpr uint64_t kOurUpdateEvery = 512 * 1024;
  auto [ours, theirs] = BlockingTcpPair(/*socket_buffer_bytes=*/4096);
  BoundBlocking(theirs, 20s);
  int peer_asked = 0;
  bool peer_read_all = false;
  std::string peer_error;
  KeyUpdatesReceived peer_got;
  BlockingTlsPeer peer(theirs, config, TlsRole::kServer, [&](SSL* ssl, const std::string& e) {
    peer_error = e;
    if (ssl == nullptr) return;
    peer_got.Watch(ssl);
    std::vector<std::byte> chunk(kChunk);
    for (uint64_t at = 0; at < kPeerBytes; at += kChunk) {
      if (SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED) != 1) return;
      ++peer_asked;
      for (uint64_t i = 0; i < kChunk; ++i) chunk[i] = Pattern(at + i, 1);
      if (!PeerWriteAll(ssl, chunk)) {
        peer_error = "write failed";
        return;
      }
    }
    // Our data, then "done", written after every answer: all of them are in by then.
    peer_read_all = PeerReadPattern(ssl, kOurBytes, 2) && PeerReadPattern(ssl, 4, 3);
  });
  int we_asked = 0;
  auto body = [&]() -> Task<void> {
    absl::StatusOr<Stream> s = Stream::Adopt(*ex, Socket(ours));
    REQUIRE(s.ok());
    absl::Status h = co_await TlsAs(*s, config, TlsRole::kClient, 5s);
    REQUIRE(h.ok());
    REQUIRE(s->tls()->version == "TLSv1.3");
    bool stalled = false;
    Scope watchdog(*ex);
    std::vector<Stream*> guarded{&*s};
    watchdog.Spawn(CloseIfStalled(guarded, 10s, stalled));
    absl::Status wrote;
    Scope writer(*ex);
    writer.Spawn(testing::WritePattern(*s, kOurBytes, 2, &wrote));
    absl::Status read =
        co_await ReadAskingForKeyUpdates(*s, kPeerBytes, 1, kOurUpdateEvery, we_asked);
    co_await writer.Join();
    std::vector<std::byte> done(4);
    for (size_t i = 0; i < done.size(); ++i) done[i] = Pattern(i, 3);
    absl::Status wrote_done = co_await s->Write(done);
    std::byte end[1];
    absl::StatusOr<size_t> eof = co_await s->ReadSome(end);  // the peer closes once it has all
    co_await watchdog.Close();
    CHECK_FALSE(stalled);
    INFO(read.ToString(), " / ", wrote.ToString(), " / ", wrote_done.ToString());
    CHECK(read.ok());
    CHECK(wrote.ok());
    CHECK(wrote_done.ok());
    CHECK((eof.ok() && *eof == 0));
  };
  ex->BlockOn(body());
  peer.Join();
  CHECK(peer_error.empty());
  CHECK(peer_read_all);
  CHECK(peer_asked == static_cast<int>(kPeerBytes / kChunk));
  CHECK(we_asked >= 6);  // every ~512 KiB read (a read may take up to 70000 bytes more)
  CHECK(peer_got.requested == we_asked);
  CHECK(peer_got.not_requested == peer_asked);  // each request answered, once
}

// Writes `total` bytes of Pattern(i, seed) in writes of varying size and asks for a key update
// after every `every` bytes; `asked` counts the requests.
Task<void> WriteAskingForKeyUpdates(Stream& s, uint64_t total, uint32_t seed, uint64_t every,
                                    absl::Status& out, int& asked) {
  std::vector<std::byte> buf(40 * 1024);
  uint64_t sent = 0;
  uint64_t next_update = every;
  size_t step = 1;
  while (sent < total) {
    size_t n = std::min<uint64_t>({step, buf.size(), total - sent});
    for (size_t i = 0; i < n; ++i) buf[i] = Pattern(sent + i, seed);
    out = co_await s.Write({buf.data(), n});
    if (!out.ok()) co_return;
    sent += n;
    if (sent >= next_update && sent < total) {
      out = s.RequestKeyUpdate();
      if (!out.ok()) co_return;
      ++asked;
      next_update += every;
    }
    step = step * 7 % 40961 + 1;
  }
}

Task<void> ReadAll(Stream& s, uint64_t total, uint32_t seed, absl::Status& out) {
  testing::PatternReader reader{.seed = seed};
  out = co_await testing::ReadPattern(s, reader, total, /*per_read=*/70000);
  if (out.ok() && !reader.intact) out = absl::DataLossError("a byte differs");
}

TEST_CASE(
    "both ends ask for key updates in the middle of large transfers both ways through tiny "
    "socket buffers: every byte arrives, in order, and nothing stalls") {
  TestPki pki;
  auto ex = NewExecutor();
  TlsConfig config = pki.Config(pki.Node("n"));
  constexpr uint64_t kBytes = 4 << 20;
  constexpr uint64_t kUpdateEvery = 48 * 1024;  // ~85 requests each way, as many answers
  auto body = [&]() -> Task<void> {
    PairSpec h_spec{Context(config), Context(config), {}, /*socket_buffer_bytes=*/4096};
    Handshaken h = co_await HandshakePair(*ex, h_spec);
    REQUIRE(h.client_status.ok());
    REQUIRE(h.server_status.ok());
    bool stalled = false;
    Scope watchdog(*ex);
    std::vector<Stream*> guarded{&h.client, &h.server};
    watchdog.Spawn(CloseIfStalled(guarded, 10s, stalled));
    absl::Status w1, w2, r1, r2;
    int asked1 = 0, asked2 = 0;
    Scope scope(*ex);
    scope.Spawn(WriteAskingForKeyUpdates(h.client, kBytes, 1, kUpdateEvery, w1, asked1));
    scope.Spawn(WriteAskingForKeyUpdates(h.server, kBytes, 2, kUpdateEvery, w2, asked2));
    scope.Spawn(ReadAll(h.server, kBytes, 1, r1));
    scope.Spawn(ReadAll(h.client, kBytes, 2, r2));
    co_await scope.Join();
    co_await watchdog.Close();
    CHECK_FALSE(stalled);
    INFO(w1.ToString(), " ", w2.ToString(), " ", r1.ToString(), " ", r2.ToString());
    CHECK(w1.ok());
    CHECK(w2.ok());
    CHECK(r1.ok());
    CHECK(r2.ok());
    CHECK(asked1 >= 80);
    CHECK(asked2 >= 80);
  };
  ex->BlockOn(body());
}

TEST_CASE(
    "a peer that keeps asking for key updates and never reads fails our read once 64 KiB of "
    "answers wait, instead of growing them without end") {
  TestPki pki;
  auto ex = NewExecutor();
  TlsConfig config = pki.Config(pki.Node("n"));
  auto [ours, theirs] = BlockingTcpPair(/*socket_buffer_bytes=*/4096);
  BoundBlocking(theirs, 20s);
  int peer_asked = 0;
  BlockingTlsPeer peer(theirs, config, TlsRole::kServer, [&](SSL* ssl, const std::string&) {
    if (ssl == nullptr) return;
    // ~27 bytes a KeyUpdate record: 6000 answers would be 160 KB.
    for (int i = 0; i < 6000; ++i) {
      if (SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED) != 1 || SSL_do_handshake(ssl) != 1) break;
      ++peer_asked;
    }
  });
  auto body = [&]() -> Task<void> {
    absl::StatusOr<Stream> s = Stream::Adopt(*ex, Socket(ours));
    REQUIRE(s.ok());
    absl::Status h = co_await TlsAs(*s, config, TlsRole::kClient, 5s);
    REQUIRE(h.ok());
    bool stalled = false;
    Scope watchdog(*ex);
    std::vector<Stream*> guarded{&*s};
    watchdog.Spawn(CloseIfStalled(guarded, 10s, stalled));
    absl::Status wrote;
    Scope writer(*ex);
    writer.Spawn(testing::WritePattern(*s, 1 << 20, 2, &wrote));  // the peer never reads it
    std::vector<std::byte> buf(1024);
    absl::Status read;
    for (;;) {
      absl::StatusOr<size_t> n = co_await s->ReadSome(buf);
      if (!n.ok() || *n == 0) {
        read = n.ok() ? absl::OutOfRangeError("EOF") : n.status();
        break;
      }
    }
    s->Close();
    co_await writer.Join();
    co_await watchdog.Close();
    CHECK_FALSE(stalled);
    INFO(read.ToString());
    CHECK(absl::IsResourceExhausted(read));
    CHECK(Text(read).find("faster than it reads") != std::string::npos);
    CHECK(Text(read).find("127.0.0.1:") != std::string::npos);
    CHECK(absl::IsCancelled(wrote));
  };
  ex->BlockOn(body());
  peer.Join();
  CHECK(peer_asked > 2400);
}

TEST_CASE("RequestKeyUpdate needs an established TLS 1.3 session, and says why otherwise") {
  TestPki pki;
  auto ex = NewExecutor();
  TlsConfig config = pki.Config(pki.Node("n"));
  TlsConfig tls12 = config;
  tls12.max_version = TlsVersion::kTls12;
  auto body = [&]() -> Task<void> {
    absl::StatusOr<std::pair<Stream, Stream>> plain = co_await ConnectedPair(*ex);
    REQUIRE(plain.ok());
    absl::Status no_tls = plain->first.RequestKeyUpdate();
    CHECK(absl::IsFailedPrecondition(no_tls));
    CHECK(Text(no_tls).find("no established TLS session") != std::string::npos);

    PairSpec h_spec{Context(tls12), Context(config)};
    Handshaken h = co_await HandshakePair(*ex, h_spec);
    REQUIRE(h.client_status.ok());
    REQUIRE(h.client.tls()->version == "TLSv1.2");
    absl::Status old = h.client.RequestKeyUpdate();
    CHECK(absl::IsFailedPrecondition(old));
    CHECK(Text(old).find("TLSv1.2") != std::string::npos);
    // The connection is unharmed.
    absl::Status w = co_await h.client.Write(std::as_bytes(std::span("ok", 2)));
    CHECK(w.ok());
    std::byte got[2];
    absl::Status r = co_await h.server.ReadExactly(got);
    CHECK(r.ok());
    h.client.Close();
    absl::Status closed = h.client.RequestKeyUpdate();
    CHECK(absl::IsFailedPrecondition(closed));
  };
  ex->BlockOn(body());
}

TEST_CASE("Reload: new connections present the new certificate, running ones keep going") {
  TestPki pki;
  auto ex = NewExecutor();
  CertFiles first = pki.Node("first");
  CertFiles second = pki.Node("second");
  // The server's files are replaced in place, as an operator rotating certificates would.
  auto copy = [&](const CertFiles& from) {
    std::string c, k;
    for (auto [src, dst] : {std::pair{from.certificate_file, std::string("server.pem")},
                            std::pair{from.private_key_file, std::string("server-key.pem")}}) {
      FILE* f = std::fopen(src.c_str(), "rb");
      REQUIRE(f != nullptr);
      std::string data;
      char buf[4096];
      for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) data.append(buf, n);
      std::fclose(f);
      (void)pki.Write(dst, data);
    }
  };
  copy(first);
  TlsConfig server_config{.certificate_file = pki.directory().path() + "/server.pem",
                          .private_key_file = pki.directory().path() + "/server-key.pem",
                          .ca_file = pki.ca_file()};
  std::shared_ptr<TlsContext> server = Context(server_config);
  TlsConfig client{.ca_file = pki.ca_file()};
  auto body = [&]() -> Task<void> {
    PairSpec before_spec{Context(client), server};
    Handshaken before = co_await HandshakePair(*ex, before_spec);
    REQUIRE(before.client_status.ok());
    CHECK(before.client.tls()->peer_subject == "CN = first");
    CHECK(before.server.tls()->context_generation == 1);

    copy(second);
    absl::Status reloaded = server->Reload();
    REQUIRE(reloaded.ok());
    CHECK(server->generation() == 2);
    PairSpec after_spec{Context(client), server};
    Handshaken after = co_await HandshakePair(*ex, after_spec);
    REQUIRE(after.client_status.ok());
    CHECK(after.client.tls()->peer_subject == "CN = second");
    CHECK(after.server.tls()->context_generation == 2);

    // The connection made before the reload still carries data.
    absl::Status w = co_await before.server.Write(std::as_bytes(std::span("still", 5)));
    REQUIRE(w.ok());
    std::byte b[5];
    absl::Status r = co_await before.client.ReadExactly(b);
    CHECK(r.ok());

    // A reload that fails keeps the current material.
    (void)pki.Write("server-key.pem", "not a key");
    absl::Status bad = server->Reload();
    CHECK(!bad.ok());
    CHECK(server->generation() == 2);
    PairSpec still_spec{Context(client), server};
    Handshaken still = co_await HandshakePair(*ex, still_spec);
    CHECK(still.client_status.ok());
  };
  ex->BlockOn(body());
}

}  // namespace
}  // namespace uxcom::net
