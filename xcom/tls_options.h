// TlsOptions: Group Replication's SSL settings for the XCom transport, and their meaning.
//
// The modes are group_replication_ssl_mode's; what each side asks for and checks follows
// MySQL 8.0.18's XCom (xcom_ssl_transport.c) exactly, so a uxcom node and a MySQL member agree
// in every mode and direction:
//
//   | mode            | dialling side checks                  | accepting side | | ---------------
//   | ------------------------------------- | ---------------------------------- | | DISABLED | no
//   TLS                                | no TLS                             | | REQUIRED        |
//   nothing (encryption only)             | asks for no client certificate     | | VERIFY_CA | the
//   server's chain to the CA          | asks for one; one that is sent     | |                 | |
//   must chain to the CA; none is fine | | VERIFY_IDENTITY | the chain, then the name: the address
//   | as VERIFY_CA (the client's name is | |                 | dialled (host name match, then IP)
//   | never checked)                     |
//
// Group Replication fills these from the server's own options: ssl_cert/ssl_key (one key pair
// for both roles), ssl_ca/ssl_capath, ssl_crl/ssl_crlpath, ssl_cipher, tls_version,
// tls_ciphersuites. Beyond the original, and off by default: require_client_certificate.
// Differences from 8.0.18 (xcom/README.md): TLS 1.2 and 1.3 only; a cipher list of forward-
// secret AEAD suites unless one is given; no TLS session resumption; a handshake bounded by
// negotiation_timeout; certificates reloadable without a restart (Transport::ReloadTls).
//
//   TlsOptions tls{.mode = SslMode::kVerifyIdentity, .cert_file = "node1.pem",
//                  .key_file = "node1-key.pem", .ca_file = "ca.pem"};
//   options.tls = tls;
#ifndef UXCOM_XCOM_TLS_OPTIONS_H_
#define UXCOM_XCOM_TLS_OPTIONS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "net/executor.h"
#include "net/tls_context.h"

namespace uxcom::xcom {

enum class SslMode : uint8_t { kDisabled, kRequired, kVerifyCa, kVerifyIdentity };
// "DISABLED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY".
const char* SslModeName(SslMode mode);
// Case-insensitive; also accepts "-" for "_" (verify-ca).
std::optional<SslMode> ParseSslMode(std::string_view text);

struct TlsOptions {
  SslMode mode = SslMode::kDisabled;
  // This node's certificate and private key (PEM). Either alone names a file holding both.
  // Needed by a transport in every mode but DISABLED; optional for a client that only dials.
  std::string cert_file{};
  std::string key_file{};
  // Trusted CAs; neither set: OpenSSL's default locations (as XCom).
  std::string ca_file{};
  std::string ca_dir{};
  // Revocation lists: with either set, every certificate of a peer's chain is checked.
  std::string crl_file{};
  std::string crl_dir{};
  // TLS 1.2 ciphers (OpenSSL syntax); empty: net::TlsConfig::kDefaultCipherList.
  std::string cipher_list{};
  // TLS 1.3 suites; nullopt: OpenSSL's default (TLS_AES_256_GCM_SHA384 first).
  std::optional<std::string> ciphersuites{};
  net::TlsVersion min_version = net::TlsVersion::kTls12;
  net::TlsVersion max_version = net::TlsVersion::kTls13;
  // Beyond the original: in VERIFY_CA and VERIFY_IDENTITY, refuse a client that sends no
  // certificate (8.0.18 accepts it).
  bool require_client_certificate = false;

  bool enabled() const { return mode != SslMode::kDisabled; }
};

// The net/ configuration of `options` (kInvalidArgument naming the option when inconsistent).
// `serves`: the context must also accept connections (it then needs a certificate).
absl::StatusOr<net::TlsConfig> ToTlsConfig(const TlsOptions& options, bool serves);
// ToTlsConfig, then the context (reads every file). Errors name the option and the reason.
absl::StatusOr<std::shared_ptr<net::TlsContext>> MakeTlsContext(const TlsOptions& options,
                                                                bool serves);
// What the dialling side asks of its handshake with `host` (the name the site lists).
net::TlsHandshakeOptions DialHandshake(SslMode mode, const std::string& host,
                                       net::Duration timeout);

// A dialling handshake's failure, with a hint when the peer hung up on the ClientHello (what a
// node with TLS off does: "is its ssl_mode DISABLED?"). The TlsFailure payload is kept.
absl::Status ExplainDialFailure(const absl::Status& failure);

}  // namespace uxcom::xcom

#endif  // UXCOM_XCOM_TLS_OPTIONS_H_
