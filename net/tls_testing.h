// Test support for TLS (testonly): a throwaway PKI on disk, and a blocking OpenSSL peer on a
// plain socket, an implementation independent of net/'s TLS layer to test it against.
//
//   TestPki pki;                                            // a CA, a second CA, a directory
//   CertFiles node = pki.Issue({.common_name = "node1", .ip_addresses = {"127.0.0.1"}});
//   TlsConfig config = pki.Config(node);                    // trusts pki.ca_file()
#ifndef UXCOM_NET_TLS_TESTING_H_
#define UXCOM_NET_TLS_TESTING_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "net/throwaway_pki.h"
#include "net/tls_context.h"

struct ssl_st;

namespace uxcom::net::testing {

struct CertFiles {
  std::string certificate_file{};
  std::string private_key_file{};
  std::string certificate_pem{};  // for RevocationList
};

// A CA ("uxcom test CA"), a second, unrelated CA ("uxcom other CA") and a temporary directory
// holding their PEM files and every certificate issued. Aborts the test program on an OpenSSL
// failure (there is nothing to test without certificates).
class TestPki {
 public:
  TestPki();
  const std::string& ca_file() const { return ca_file_; }
  const std::string& other_ca_file() const { return other_ca_file_; }
  ThrowawayCa& ca() { return ca_; }
  ThrowawayCa& other_ca() { return other_ca_; }
  const TempDirectory& directory() const { return dir_; }

  // A certificate from the test CA (or the other one), written to the directory.
  CertFiles Issue(const CertificateSpec& spec, bool from_other_ca = false);
  // "node-1": CN and DNS name node-1, IP 127.0.0.1 and ::1.
  CertFiles Node(const std::string& name);
  std::string Write(const std::string& name, const std::string& contents);
  // A config presenting `identity`, trusting the test CA, verifying servers, not asking
  // clients for certificates.
  TlsConfig Config(const CertFiles& identity) const;

 private:
  ThrowawayCa ca_;
  ThrowawayCa other_ca_;
  TempDirectory dir_;
  std::string ca_file_;
  std::string other_ca_file_;
  int issued_ = 0;
};

// Two ends of a loopback TCP connection as plain blocking fds: {a, b}. `socket_buffer_bytes`
// > 0 sets both ends' SO_SNDBUF and SO_RCVBUF before the connection exists (see
// net/testing.h's ConnectedPair for why not after).
std::pair<int, int> BlockingTcpPair(int socket_buffer_bytes = 0);

// Runs `body` on its own thread with a blocking OpenSSL connection on `fd` (which it owns and
// closes), set up from `config` in `role`; joins on destruction (or Join()). The body gets the SSL
// after a successful handshake, or nullptr and the error text after a failed one.
class BlockingTlsPeer {
 public:
  using Body = std::function<void(ssl_st* ssl, const std::string& handshake_error)>;
  BlockingTlsPeer(int fd, TlsConfig config, TlsRole role, Body body);
  ~BlockingTlsPeer();
  // Waits for the body to finish (before checking what it recorded).
  void Join();

 private:
  std::thread thread_;
};

}  // namespace uxcom::net::testing

#endif  // UXCOM_NET_TLS_TESTING_H_
