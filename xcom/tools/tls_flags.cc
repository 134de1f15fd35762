#include "xcom/tools/tls_flags.h"

#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

ABSL_FLAG(std::string, ssl_mode, "DISABLED",
          "TLS on every connection: DISABLED, REQUIRED (encrypt only), VERIFY_CA (the peer's "
          "certificate must chain to --ssl_ca), VERIFY_IDENTITY (and name the dialled host)");
ABSL_FLAG(std::string, ssl_cert, "", "this node's certificate (PEM)");
ABSL_FLAG(std::string, ssl_key, "", "this node's private key (PEM, unencrypted)");
ABSL_FLAG(std::string, ssl_ca, "", "trusted CA certificates (PEM file)");
ABSL_FLAG(std::string, ssl_capath, "", "trusted CA directory (prepared with openssl rehash)");
ABSL_FLAG(std::string, ssl_crl, "", "certificate revocation list (PEM file)");
ABSL_FLAG(std::string, ssl_crlpath, "", "directory of certificate revocation lists");
ABSL_FLAG(std::string, ssl_cipher, "", "TLS 1.2 ciphers (OpenSSL syntax); empty: uxcom's default");
ABSL_FLAG(std::string, tls_ciphersuites, "",
          "TLS 1.3 ciphersuites (OpenSSL syntax); empty: OpenSSL's default");
ABSL_FLAG(std::string, tls_version, "TLSv1.2,TLSv1.3", "allowed TLS versions, comma-separated");
ABSL_FLAG(bool, ssl_require_client_cert, false,
          "beyond XCom: under VERIFY_CA/VERIFY_IDENTITY, refuse a client without a certificate");

namespace uxcom::xcom {

void NormalizeFlagSpelling(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    char* a = argv[i];
    if (std::strcmp(a, "--") == 0) return;
    if (a[0] != '-') continue;
    char* name = a + (a[1] == '-' ? 2 : 1);
    for (char* c = name; *c != '\0' && *c != '='; ++c) {
      if (*c == '-') *c = '_';
    }
  }
}

absl::StatusOr<TlsOptions> TlsOptionsFromFlags() {
  TlsOptions o;
  std::string mode = absl::GetFlag(FLAGS_ssl_mode);
  std::optional<SslMode> parsed = ParseSslMode(mode);
  if (!parsed) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--ssl_mode=", mode, ": expected DISABLED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY"));
  }
  o.mode = *parsed;
  o.cert_file = absl::GetFlag(FLAGS_ssl_cert);
  o.key_file = absl::GetFlag(FLAGS_ssl_key);
  o.ca_file = absl::GetFlag(FLAGS_ssl_ca);
  o.ca_dir = absl::GetFlag(FLAGS_ssl_capath);
  o.crl_file = absl::GetFlag(FLAGS_ssl_crl);
  o.crl_dir = absl::GetFlag(FLAGS_ssl_crlpath);
  o.cipher_list = absl::GetFlag(FLAGS_ssl_cipher);
  if (std::string suites = absl::GetFlag(FLAGS_tls_ciphersuites); !suites.empty()) {
    o.ciphersuites = suites;
  }
  o.require_client_certificate = absl::GetFlag(FLAGS_ssl_require_client_cert);
  std::string versions = absl::GetFlag(FLAGS_tls_version);
  std::optional<net::TlsVersion> lo, hi;
  for (absl::string_view v : absl::StrSplit(versions, ',', absl::SkipWhitespace())) {
    std::optional<net::TlsVersion> one =
        net::ParseTlsVersion(std::string(absl::StripAsciiWhitespace(v)));
    if (!one) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tls_version=", versions, ": '", v, "' is not TLSv1.2 or TLSv1.3"));
    }
    if (!lo || *one < *lo) lo = one;
    if (!hi || *one > *hi) hi = one;
  }
  if (!lo) return absl::InvalidArgumentError("--tls_version is empty");
  o.min_version = *lo;
  o.max_version = *hi;
  if (!o.enabled() && (!o.cert_file.empty() || !o.ca_file.empty() || !o.ca_dir.empty())) {
    return absl::InvalidArgumentError(
        "--ssl_cert/--ssl_ca given with --ssl_mode=DISABLED: set --ssl_mode (REQUIRED, "
        "VERIFY_CA or VERIFY_IDENTITY) to use them");
  }
  return o;
}

}  // namespace uxcom::xcom
