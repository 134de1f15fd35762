#include "xcom/tools/tls_flags.h"

#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace uxcom::xcom::tools {
namespace {

// Declares `name` and its hyphenated spelling (ssl_mode and ssl-mode).
void WithHyphenAlias(cli::FlagSet& flags, const std::string& name) {
  std::string hyphenated = absl::StrReplaceAll(name, {{"_", "-"}});
  if (hyphenated != name) flags.Alias(hyphenated, name);
}

absl::Status SetVersions(std::string_view text, TlsOptions* tls) {
  std::optional<net::TlsVersion> lo, hi;
  for (absl::string_view v :
       absl::StrSplit(absl::string_view(text.data(), text.size()), ',', absl::SkipWhitespace())) {
    std::optional<net::TlsVersion> one =
        net::ParseTlsVersion(std::string(absl::StripAsciiWhitespace(v)));
    if (!one) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", std::string(text), "': '", v, "' is not TLSv1.2 or TLSv1.3"));
    }
    if (!lo || *one < *lo) lo = one;
    if (!hi || *one > *hi) hi = one;
  }
  if (!lo) return absl::InvalidArgumentError("no version given (e.g. TLSv1.2,TLSv1.3)");
  tls->min_version = *lo;
  tls->max_version = *hi;
  return absl::OkStatus();
}

}  // namespace

void AddTlsFlags(cli::FlagSet& flags, TlsOptions* tls) {
  flags.Custom("ssl_mode", "MODE",
               "TLS on every connection: DISABLED (default), REQUIRED (encrypt only), VERIFY_CA "
               "(the peer's certificate must chain to --ssl_ca), VERIFY_IDENTITY (and name the "
               "dialled host)",
               [tls](std::string_view v) -> absl::Status {
                 std::optional<SslMode> mode = ParseSslMode(v);
                 if (!mode) {
                   return absl::InvalidArgumentError(
                       absl::StrCat("'", std::string(v),
                                    "': expected DISABLED, REQUIRED, VERIFY_CA or "
                                    "VERIFY_IDENTITY"));
                 }
                 tls->mode = *mode;
                 return absl::OkStatus();
               });
  flags.String("ssl_cert", &tls->cert_file, "this node's certificate (PEM)");
  flags.String("ssl_key", &tls->key_file, "this node's private key (PEM, unencrypted)");
  flags.String("ssl_ca", &tls->ca_file, "trusted CA certificates (PEM file)");
  flags.String("ssl_capath", &tls->ca_dir, "trusted CA directory (prepared with openssl rehash)");
  flags.String("ssl_crl", &tls->crl_file, "certificate revocation list (PEM file)");
  flags.String("ssl_crlpath", &tls->crl_dir, "directory of certificate revocation lists");
  flags.String("ssl_cipher", &tls->cipher_list,
               "TLS 1.2 ciphers (OpenSSL syntax); empty: uxcom's default");
  flags.Custom("tls_ciphersuites", "LIST",
               "TLS 1.3 ciphersuites (OpenSSL syntax); empty: OpenSSL's default",
               [tls](std::string_view v) -> absl::Status {
                 if (v.empty()) {
                   tls->ciphersuites.reset();
                 } else {
                   tls->ciphersuites = std::string(v);
                 }
                 return absl::OkStatus();
               });
  flags.Custom("tls_version", "LIST",
               "allowed TLS versions, comma-separated (default TLSv1.2,TLSv1.3)",
               [tls](std::string_view v) { return SetVersions(v, tls); });
  flags.Bool("ssl_require_client_cert", &tls->require_client_certificate,
             "beyond XCom: under VERIFY_CA/VERIFY_IDENTITY, refuse a client without a "
             "certificate");
  for (const char* name :
       {"ssl_mode", "ssl_cert", "ssl_key", "ssl_ca", "ssl_capath", "ssl_crl", "ssl_crlpath",
        "ssl_cipher", "tls_ciphersuites", "tls_version", "ssl_require_client_cert"}) {
    WithHyphenAlias(flags, name);
  }
}

absl::Status CheckTlsFlags(const TlsOptions& tls) {
  if (!tls.enabled() && (!tls.cert_file.empty() || !tls.ca_file.empty() || !tls.ca_dir.empty())) {
    return absl::InvalidArgumentError(
        "--ssl_cert/--ssl_ca given with --ssl_mode=DISABLED: set --ssl_mode (REQUIRED, "
        "VERIFY_CA or VERIFY_IDENTITY) to use them");
  }
  return absl::OkStatus();
}

}  // namespace uxcom::xcom::tools
