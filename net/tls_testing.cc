#include "net/tls_testing.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace uxcom::net::testing {
namespace {

template <typename T>
T OrDie(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) {
    std::fprintf(stderr, "TestPki: %s: %s\n", what, v.status().ToString().c_str());
    std::abort();
  }
  return *std::move(v);
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::perror(what);
    std::abort();
  }
}

}  // namespace

TestPki::TestPki()
    : ca_(OrDie(ThrowawayCa::Create("uxcom test CA"), "CA")),
      other_ca_(OrDie(ThrowawayCa::Create("uxcom other CA"), "other CA")),
      dir_(OrDie(TempDirectory::Create("uxcom-tls-test"), "temporary directory")) {
  ca_file_ = Write("ca.pem", ca_.certificate_pem());
  other_ca_file_ = Write("other-ca.pem", other_ca_.certificate_pem());
}

std::string TestPki::Write(const std::string& name, const std::string& contents) {
  return OrDie(dir_.Write(name, contents), "write");
}

CertFiles TestPki::Issue(const CertificateSpec& spec, bool from_other_ca) {
  PemPair pem = OrDie((from_other_ca ? other_ca_ : ca_).Issue(spec), "issue");
  std::string base = absl::StrCat("cert", ++issued_, "-", spec.common_name);
  return {Write(base + ".pem", pem.certificate), Write(base + "-key.pem", pem.private_key),
          pem.certificate};
}

CertFiles TestPki::Node(const std::string& name) {
  return Issue({.common_name = name, .dns_names = {name}, .ip_addresses = {"127.0.0.1", "::1"}});
}

TlsConfig TestPki::Config(const CertFiles& identity) const {
  return TlsConfig{.certificate_file = identity.certificate_file,
                   .private_key_file = identity.private_key_file,
                   .ca_file = ca_file_};
}

std::pair<int, int> BlockingTcpPair(int socket_buffer_bytes) {
  auto small_buffers = [&](int fd) {
    if (socket_buffer_bytes <= 0) return;
    Check(::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &socket_buffer_bytes, sizeof(int)) == 0,
          "SO_SNDBUF");
    Check(::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &socket_buffer_bytes, sizeof(int)) == 0,
          "SO_RCVBUF");
  };
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  Check(listener >= 0, "socket");
  small_buffers(listener);  // accepted sockets inherit them
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Check(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0, "bind");
  Check(::listen(listener, 1) == 0, "listen");
  socklen_t len = sizeof a;
  Check(::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len) == 0, "getsockname");
  int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  Check(client >= 0, "socket");
  small_buffers(client);
  Check(::connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0, "connect");
  int server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  Check(server >= 0, "accept");
  ::close(listener);
  int one = 1;
  ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return {client, server};
}

BlockingTlsPeer::BlockingTlsPeer(int fd, TlsConfig config, TlsRole role, Body body) {
  thread_ = std::thread([fd, config = std::move(config), role, body = std::move(body)] {
    absl::StatusOr<std::shared_ptr<TlsContext>> ctx = TlsContext::Create(config);
    if (!ctx.ok()) {
      body(nullptr, std::string(ctx.status().message()));
      ::close(fd);
      return;
    }
    SSL* ssl = SSL_new((*ctx)->native());
    SSL_set_fd(ssl, fd);
    if (role == TlsRole::kServer) {
      int mode = config.client_certificates == ClientCertificatePolicy::kNotRequested
                     ? SSL_VERIFY_NONE
                     : SSL_VERIFY_PEER;
      SSL_set_verify(ssl, mode, nullptr);
    } else {
      SSL_set_verify(ssl, config.verify_server ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    }
    ERR_clear_error();
    int r = role == TlsRole::kServer ? SSL_accept(ssl) : SSL_connect(ssl);
    if (r == 1) {
      body(ssl, "");
    } else {
      char buf[256];
      ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
      body(nullptr, buf);
    }
    SSL_free(ssl);
    ::close(fd);
    ERR_clear_error();
  });
}

void BlockingTlsPeer::Join() {
  if (thread_.joinable()) thread_.join();
}

BlockingTlsPeer::~BlockingTlsPeer() { Join(); }

}  // namespace uxcom::net::testing
