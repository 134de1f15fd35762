#include "xcom/tls_options.h"

#include <cctype>

#include "absl/strings/str_cat.h"
#include "net/tls_failure.h"

namespace uxcom::xcom {

const char* SslModeName(SslMode mode) {
  switch (mode) {
    case SslMode::kDisabled:
      return "DISABLED";
    case SslMode::kRequired:
      return "REQUIRED";
    case SslMode::kVerifyCa:
      return "VERIFY_CA";
    case SslMode::kVerifyIdentity:
      return "VERIFY_IDENTITY";
  }
  return "?";
}

std::optional<SslMode> ParseSslMode(std::string_view text) {
  std::string t;
  for (char c : text) {
    t.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  for (SslMode m :
       {SslMode::kDisabled, SslMode::kRequired, SslMode::kVerifyCa, SslMode::kVerifyIdentity}) {
    if (t == SslModeName(m)) return m;
  }
  return std::nullopt;
}

absl::StatusOr<net::TlsConfig> ToTlsConfig(const TlsOptions& o, bool serves) {
  if (!o.enabled()) {
    return absl::InvalidArgumentError("tls: ssl_mode is DISABLED: there is no TLS to configure");
  }
  if (serves && o.cert_file.empty() && o.key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tls: ssl_mode ", SslModeName(o.mode),
        " needs this node's certificate and key (cert_file, key_file) to accept connections"));
  }
  if (o.require_client_certificate && o.mode == SslMode::kRequired) {
    return absl::InvalidArgumentError(
        "tls: require_client_certificate needs ssl_mode VERIFY_CA or VERIFY_IDENTITY (REQUIRED "
        "verifies nothing)");
  }
  net::TlsConfig c;
  c.certificate_file = o.cert_file;
  c.private_key_file = o.key_file;
  c.ca_file = o.ca_file;
  c.ca_directory = o.ca_dir;
  c.crl_file = o.crl_file;
  c.crl_directory = o.crl_dir;
  c.cipher_list = o.cipher_list;
  c.ciphersuites = o.ciphersuites;
  c.min_version = o.min_version;
  c.max_version = o.max_version;
  // XCom: the client context verifies the server (SSL_VERIFY_PEER) unless REQUIRED; the server
  // context asks for a client certificate without requiring one (SSL_VERIFY_PEER |
  // SSL_VERIFY_CLIENT_ONCE) unless REQUIRED (SSL_VERIFY_NONE).
  const bool verify = o.mode != SslMode::kRequired;
  c.verify_server = verify;
  c.client_certificates = !verify ? net::ClientCertificatePolicy::kNotRequested
                          : o.require_client_certificate
                              ? net::ClientCertificatePolicy::kRequired
                              : net::ClientCertificatePolicy::kVerifyIfPresented;
  return c;
}

absl::StatusOr<std::shared_ptr<net::TlsContext>> MakeTlsContext(const TlsOptions& options,
                                                                bool serves) {
  absl::StatusOr<net::TlsConfig> config = ToTlsConfig(options, serves);
  if (!config.ok()) return config.status();
  absl::StatusOr<std::shared_ptr<net::TlsContext>> context = net::TlsContext::Create(*config);
  if (!context.ok()) {
    return absl::Status(context.status().code(), absl::StrCat("tls: ", context.status().message()));
  }
  return context;
}

net::TlsHandshakeOptions DialHandshake(SslMode mode, const std::string& host,
                                       net::Duration timeout) {
  net::TlsHandshakeOptions h;
  h.role = net::TlsRole::kClient;
  if (mode == SslMode::kVerifyIdentity) h.verify_name = host;
  h.timeout = timeout;
  return h;
}

absl::Status ExplainDialFailure(const absl::Status& failure) {
  std::optional<net::TlsFailure> kind = net::TlsFailureOf(failure);
  if (!kind || (*kind != net::TlsFailure::kPeerClosed && *kind != net::TlsFailure::kIoError)) {
    return failure;
  }
  return net::WithTlsFailure(
      absl::Status(failure.code(),
                   absl::StrCat(failure.message(),
                                " (a node with TLS off closes the connection on a ClientHello: is "
                                "its ssl_mode DISABLED?)")),
      *kind);
}

}  // namespace uxcom::xcom
