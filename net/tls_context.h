// TlsContext: the TLS material and policy many connections share (an OpenSSL 3 SSL_CTX), and
// the per-connection choices of Stream::StartTls.
//
// A context holds this node's certificate and key, the trust store (CA file and/or directory,
// CRLs), the protocol versions and ciphers, and how peers are verified in each role. One
// context serves both roles: a connection picks its role when it starts TLS. Reload() reads the
// files again (certificate rotation): connections started afterwards use the new material,
// connections already running keep theirs (each holds a reference to the SSL_CTX it began
// with). A failed Reload() changes nothing.
//
// Fixed policy, whatever the config says: no session resumption (no cache, no tickets: every
// connection does a full handshake, as XCom's), renegotiation refused in both roles, no
// compression, no SNI sent. Only TLS 1.2 and 1.3 can be enabled.
//
//   absl::StatusOr<std::shared_ptr<TlsContext>> ctx = TlsContext::Create({
//       .certificate_file = "node.pem", .private_key_file = "node-key.pem",
//       .ca_file = "ca.pem", .verify_server = true,
//       .client_certificates = ClientCertificatePolicy::kVerifyIfPresented});
//   absl::Status s = co_await stream.StartTls(*ctx, {.role = TlsRole::kClient,
//                                                    .verify_name = "db1.example.com"});
//
// Threading: a context may be used by connections of one executor thread; Reload() runs on
// that thread too.
#ifndef UXCOM_NET_TLS_CONTEXT_H_
#define UXCOM_NET_TLS_CONTEXT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/executor.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace uxcom::net {

enum class TlsVersion : uint8_t { kTls12, kTls13 };
// "TLSv1.2", "TLSv1.3" (OpenSSL's spelling, as SSL_get_version reports it).
const char* TlsVersionName(TlsVersion version);
// Accepts "1.2", "TLSv1.2", "tlsv1.2", "1.3", …
std::optional<TlsVersion> ParseTlsVersion(std::string_view text);

enum class TlsRole : uint8_t { kClient, kServer };

// Whether a server asks for a client certificate, and what it does with the answer.
enum class ClientCertificatePolicy : uint8_t {
  kNotRequested,       // no CertificateRequest (OpenSSL's SSL_VERIFY_NONE)
  kVerifyIfPresented,  // requested; a certificate that is sent must verify, none is accepted
  kRequired,           // requested, must be sent and must verify
};

struct TlsConfig {
  // This node's certificate (PEM; a chain: leaf first) and private key (PEM, unencrypted).
  // Either may name a file holding both. A server needs them; a client without them cannot
  // answer a CertificateRequest (it sends none).
  std::string certificate_file{};
  std::string private_key_file{};
  // Trusted CAs: a PEM file and/or a directory prepared with `openssl rehash`. Neither set:
  // OpenSSL's default locations.
  std::string ca_file{};
  std::string ca_directory{};
  // Certificate revocation lists. Setting either makes every certificate of a peer's chain
  // be checked against them (a chain whose CA has no CRL then fails).
  std::string crl_file{};
  std::string crl_directory{};
  // Ciphers of TLS 1.2 (an OpenSSL cipher string); empty: kDefaultCipherList.
  std::string cipher_list{};
  // Ciphersuites of TLS 1.3 ("TLS_AES_256_GCM_SHA384:…"); nullopt: OpenSSL's default, which
  // prefers TLS_AES_256_GCM_SHA384.
  std::optional<std::string> ciphersuites{};
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;
  // As a client: the server's certificate must chain to a trusted CA (and be valid now, and
  // not revoked when CRLs are set); the handshake fails otherwise.
  bool verify_server = true;
  // As a server.
  ClientCertificatePolicy client_certificates = ClientCertificatePolicy::kNotRequested;

  // Forward-secret AEAD suites only (ECDHE, DHE with RSA or ECDSA; AES-GCM, ChaCha20).
  static constexpr const char* kDefaultCipherList =
      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
      "DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256";
};

// What one connection asks of Stream::StartTls.
struct TlsHandshakeOptions {
  TlsRole role = TlsRole::kClient;
  // Client only: after the handshake, the server's certificate must name this host (a DNS
  // name of its subjectAltName, or its CN when it has none; wildcards allowed) or, failing
  // that, this IP address. Empty: no name check. Like MySQL's XCom, the check runs after the
  // handshake completes, so a mismatch closes the connection without an alert.
  std::string verify_name{};
  // Bytes the caller already read from the stream (e.g. to tell TLS from another protocol):
  // the handshake consumes them first.
  std::span<const std::byte> already_received{};
  // Bounds the whole handshake (kNoTimeout: none): kDeadlineExceeded on expiry.
  Duration timeout = Duration{0};
};

// What a connection negotiated (Stream::tls()).
struct TlsInfo {
  std::string version{};       // "TLSv1.3"
  std::string cipher{};        // "TLS_AES_256_GCM_SHA384"
  std::string peer_subject{};  // "CN = node1, O = …"; empty when the peer sent no certificate
  bool peer_verified = false;  // the peer's certificate was sent and verified
  uint64_t context_generation = 0;  // the TlsContext material the connection began with
};

class TlsContext : public std::enable_shared_from_this<TlsContext> {
 public:
  // Reads every file and validates the config: kInvalidArgument naming the option and
  // OpenSSL's reason ("certificate_file node.pem: no such file", "key does not match the
  // certificate", "cipher_list 'FOO': no cipher matches").
  static absl::StatusOr<std::shared_ptr<TlsContext>> Create(TlsConfig config);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Reads the files again; on success new connections use the new material. On failure
  // nothing changes and the error says why.
  absl::Status Reload();

  const TlsConfig& config() const { return config_; }
  // 1 after Create, +1 per successful Reload.
  uint64_t generation() const { return generation_; }
  bool has_certificate() const { return has_certificate_; }
  // The current SSL_CTX (for StartTls). Its reference stays with the context.
  ssl_ctx_st* native() const { return ctx_; }

 private:
  explicit TlsContext(TlsConfig config) : config_(std::move(config)) {}
  static absl::StatusOr<ssl_ctx_st*> Build(const TlsConfig& config, bool* has_certificate);

  TlsConfig config_;
  ssl_ctx_st* ctx_ = nullptr;
  uint64_t generation_ = 0;
  bool has_certificate_ = false;
};

}  // namespace uxcom::net

#endif  // UXCOM_NET_TLS_CONTEXT_H_
