#include "net/tls_context.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <cctype>
#include <string>

#include "absl/strings/str_cat.h"
#include "net/detail/openssl_error.h"

namespace uxcom::net {
namespace {

using detail::OpenSslError;

int ProtocolNumber(TlsVersion v) {
  return v == TlsVersion::kTls12 ? TLS1_2_VERSION : TLS1_3_VERSION;
}

absl::Status Invalid(const std::string& what, const OpenSslError& e) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", e.first_reason()));
}

// Deletes an SSL_CTX that has not been handed out yet.
struct CtxGuard {
  SSL_CTX* ctx;
  ~CtxGuard() {
    if (ctx != nullptr) SSL_CTX_free(ctx);
  }
  SSL_CTX* Release() { return std::exchange(ctx, nullptr); }
};

const char* OrNull(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

}  // namespace

const char* TlsVersionName(TlsVersion version) {
  return version == TlsVersion::kTls12 ? "TLSv1.2" : "TLSv1.3";
}

std::optional<TlsVersion> ParseTlsVersion(std::string_view text) {
  std::string t;
  for (char c : text) t.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (t.rfind("tlsv", 0) == 0) t = t.substr(4);
  if (t == "1.2") return TlsVersion::kTls12;
  if (t == "1.3") return TlsVersion::kTls13;
  return std::nullopt;
}

absl::StatusOr<SSL_CTX*> TlsContext::Build(const TlsConfig& c, bool* has_certificate) {
  ERR_clear_error();
  if (c.min_version > c.max_version) {
    return absl::InvalidArgumentError(absl::StrCat("min_version ", TlsVersionName(c.min_version),
                                                   " is above max_version ",
                                                   TlsVersionName(c.max_version)));
  }
  CtxGuard guard{SSL_CTX_new(TLS_method())};
  SSL_CTX* ctx = guard.ctx;
  if (ctx == nullptr) return Invalid("SSL_CTX_new", OpenSslError::Drain());

  SSL_CTX_set_min_proto_version(ctx, ProtocolNumber(c.min_version));
  SSL_CTX_set_max_proto_version(ctx, ProtocolNumber(c.max_version));
  // Every connection does a full handshake (XCom turns the session cache off too); no
  // renegotiation in either role; no compression.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  // OpenSSL's record buffers stay allocated for the connection's life: no malloc per record.
  SSL_CTX_clear_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_dh_auto(ctx, 1);

  const std::string& ciphers =
      c.cipher_list.empty() ? TlsConfig::kDefaultCipherList : c.cipher_list;
  if (SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1) {
    return Invalid(absl::StrCat("cipher_list '", ciphers, "'"), OpenSslError::Drain());
  }
  if (c.ciphersuites.has_value()) {
    if (c.ciphersuites->empty() && c.min_version == TlsVersion::kTls13) {
      return absl::InvalidArgumentError(
          "ciphersuites is empty while only TLS 1.3 is enabled: no suite could be negotiated");
    }
    if (SSL_CTX_set_ciphersuites(ctx, c.ciphersuites->c_str()) != 1) {
      return Invalid(absl::StrCat("ciphersuites '", *c.ciphersuites, "'"), OpenSslError::Drain());
    }
  }

  if (!c.ca_file.empty() || !c.ca_directory.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, OrNull(c.ca_file), OrNull(c.ca_directory)) != 1) {
      return Invalid(
          absl::StrCat("ca_file '", c.ca_file, "' / ca_directory '", c.ca_directory, "'"),
          OpenSslError::Drain());
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return Invalid("OpenSSL's default CA locations", OpenSslError::Drain());
  }

  if (!c.crl_file.empty() || !c.crl_directory.empty()) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    if (!c.crl_file.empty() && X509_STORE_load_file(store, c.crl_file.c_str()) != 1) {
      return Invalid(absl::StrCat("crl_file '", c.crl_file, "'"), OpenSslError::Drain());
    }
    if (!c.crl_directory.empty() && X509_STORE_load_path(store, c.crl_directory.c_str()) != 1) {
      return Invalid(absl::StrCat("crl_directory '", c.crl_directory, "'"), OpenSslError::Drain());
    }
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  }

  // One file may hold both (XCom uses either for the other when only one is given).
  const std::string& cert = c.certificate_file.empty() ? c.private_key_file : c.certificate_file;
  const std::string& key = c.private_key_file.empty() ? c.certificate_file : c.private_key_file;
  *has_certificate = !cert.empty();
  if (!cert.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1) {
      return Invalid(absl::StrCat("certificate_file '", cert, "'"), OpenSslError::Drain());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
      return Invalid(absl::StrCat("private_key_file '", key, "'"), OpenSslError::Drain());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return Invalid(absl::StrCat("private_key_file '", key, "' and certificate_file '", cert, "'"),
                     OpenSslError::Drain());
    }
  }
  return guard.Release();
}

absl::StatusOr<std::shared_ptr<TlsContext>> TlsContext::Create(TlsConfig config) {
  std::shared_ptr<TlsContext> context(new TlsContext(std::move(config)));
  absl::Status s = context->Reload();
  if (!s.ok()) return s;
  return context;
}

absl::Status TlsContext::Reload() {
  bool has_certificate = false;
  absl::StatusOr<SSL_CTX*> ctx = Build(config_, &has_certificate);
  if (!ctx.ok()) return ctx.status();
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);  // connections using it hold their own reference
  ctx_ = *ctx;
  has_certificate_ = has_certificate;
  ++generation_;
  return absl::OkStatus();
}

TlsContext::~TlsContext() {
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

}  // namespace uxcom::net
