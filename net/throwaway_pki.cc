#include "net/throwaway_pki.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "net/detail/errno_status.h"
#include "net/detail/openssl_error.h"

namespace uxcom::net {
namespace {

using detail::OpenSslError;

absl::Status Failed(const char* what) {
  return absl::InternalError(
      absl::StrCat("ThrowawayCa: ", what, ": ", OpenSslError::Drain().first_reason()));
}

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;

template <typename T, typename Writer>
absl::StatusOr<std::string> ToPem(T* object, Writer write) {
  BIO* mem = BIO_new(BIO_s_mem());
  if (mem == nullptr || write(mem, object) != 1) {
    if (mem != nullptr) BIO_free(mem);
    return Failed("PEM encoding");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(mem, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(mem);
  return pem;
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return Failed("X509V3_EXT_nconf_nid");
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok == 1 ? absl::OkStatus() : Failed("X509_add_ext");
}

// A certificate for `key` named `cn`, valid from now + not_before to now + not_after, with a
// random serial; issuer and signature are set by the caller.
absl::StatusOr<X509Ptr> NewCertificate(EVP_PKEY* key, const std::string& cn,
                                       std::chrono::seconds not_before,
                                       std::chrono::seconds not_after) {
  X509Ptr cert(X509_new());
  if (!cert) return Failed("X509_new");
  X509_set_version(cert.get(), 2);  // v3
  unsigned char serial[8];
  if (RAND_bytes(serial, sizeof serial) != 1) return Failed("RAND_bytes");
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  if (bn == nullptr || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) == nullptr) {
    BN_free(bn);
    return Failed("serial number");
  }
  BN_free(bn);
  time_t now = std::time(nullptr);
  if (ASN1_TIME_adj(X509_getm_notBefore(cert.get()), now, 0,
                    static_cast<long>(not_before.count())) == nullptr ||
      ASN1_TIME_adj(X509_getm_notAfter(cert.get()), now, 0, static_cast<long>(not_after.count())) ==
          nullptr) {
    return Failed("validity");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1) {
    return Failed("subject");
  }
  if (X509_set_pubkey(cert.get(), key) != 1) return Failed("X509_set_pubkey");
  return cert;
}

}  // namespace

struct ThrowawayCa::Keys {
  KeyPtr key;
  X509Ptr cert;
};

ThrowawayCa::ThrowawayCa(std::unique_ptr<Keys> keys) : keys_(std::move(keys)) {}
ThrowawayCa::ThrowawayCa(ThrowawayCa&&) noexcept = default;
ThrowawayCa& ThrowawayCa::operator=(ThrowawayCa&&) noexcept = default;
ThrowawayCa::~ThrowawayCa() = default;

absl::StatusOr<ThrowawayCa> ThrowawayCa::Create(std::string common_name) {
  ERR_clear_error();
  auto keys = std::make_unique<Keys>();
  keys->key.reset(EVP_EC_gen("P-256"));
  if (!keys->key) return Failed("EVP_EC_gen");
  absl::StatusOr<X509Ptr> cert = NewCertificate(
      keys->key.get(), common_name, std::chrono::hours(-1), std::chrono::hours(24 * 365));
  if (!cert.ok()) return cert.status();
  X509* c = cert->get();
  if (X509_set_issuer_name(c, X509_get_subject_name(c)) != 1) return Failed("issuer");
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                            std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
                            std::pair{NID_subject_key_identifier, "hash"}}) {
    absl::Status s = AddExtension(c, c, nid, value);
    if (!s.ok()) return s;
  }
  if (X509_sign(c, keys->key.get(), EVP_sha256()) == 0) return Failed("X509_sign");
  absl::StatusOr<std::string> pem = ToPem(c, PEM_write_bio_X509);
  if (!pem.ok()) return pem.status();
  keys->cert = *std::move(cert);
  ThrowawayCa ca(std::move(keys));
  ca.certificate_pem_ = *std::move(pem);
  return ca;
}

absl::StatusOr<PemPair> ThrowawayCa::Issue(const CertificateSpec& spec) const {
  ERR_clear_error();
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return Failed("EVP_EC_gen");
  absl::StatusOr<X509Ptr> cert =
      NewCertificate(key.get(), spec.common_name, spec.not_before, spec.not_after);
  if (!cert.ok()) return cert.status();
  X509* c = cert->get();
  X509* ca = keys_->cert.get();
  if (X509_set_issuer_name(c, X509_get_subject_name(ca)) != 1) return Failed("issuer");
  std::vector<std::string> alt;
  for (const std::string& d : spec.dns_names) alt.push_back("DNS:" + d);
  for (const std::string& ip : spec.ip_addresses) alt.push_back("IP:" + ip);
  std::vector<std::pair<int, std::string>> extensions = {
      {NID_basic_constraints, "critical,CA:FALSE"},   {NID_key_usage, "critical,digitalSignature"},
      {NID_ext_key_usage, "serverAuth,clientAuth"},   {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"},
  };
  if (!alt.empty()) extensions.emplace_back(NID_subject_alt_name, absl::StrJoin(alt, ","));
  for (const auto& [nid, value] : extensions) {
    absl::Status s = AddExtension(c, ca, nid, value);
    if (!s.ok()) return s;
  }
  if (X509_sign(c, keys_->key.get(), EVP_sha256()) == 0) return Failed("X509_sign");
  absl::StatusOr<std::string> cert_pem = ToPem(c, PEM_write_bio_X509);
  if (!cert_pem.ok()) return cert_pem.status();
  absl::StatusOr<std::string> key_pem = ToPem(key.get(), [](BIO* b, EVP_PKEY* k) {
    return PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (!key_pem.ok()) return key_pem.status();
  return PemPair{*std::move(cert_pem), *std::move(key_pem)};
}

absl::StatusOr<std::string> ThrowawayCa::RevocationList(
    const std::vector<std::string>& revoked_pems) const {
  ERR_clear_error();
  X509_CRL* crl = X509_CRL_new();
  if (crl == nullptr) return Failed("X509_CRL_new");
  struct Free {
    X509_CRL* crl;
    ~Free() { X509_CRL_free(crl); }
  } guard{crl};
  time_t now = std::time(nullptr);
  ASN1_TIME* last = ASN1_TIME_adj(nullptr, now, 0, -3600);
  ASN1_TIME* next = ASN1_TIME_adj(nullptr, now, 1, 0);
  bool ok = X509_CRL_set_version(crl, 1) == 1 &&
            X509_CRL_set_issuer_name(crl, X509_get_subject_name(keys_->cert.get())) == 1 &&
            last != nullptr && next != nullptr && X509_CRL_set1_lastUpdate(crl, last) == 1 &&
            X509_CRL_set1_nextUpdate(crl, next) == 1;
  ASN1_TIME_free(last);
  ASN1_TIME_free(next);
  if (!ok) return Failed("CRL fields");
  for (const std::string& pem : revoked_pems) {
    BIO* mem = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    X509* cert = mem != nullptr ? PEM_read_bio_X509(mem, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(mem);
    if (cert == nullptr) return Failed("revoked certificate PEM");
    X509_REVOKED* r = X509_REVOKED_new();
    ASN1_TIME* when = ASN1_TIME_adj(nullptr, now, 0, -60);
    bool added = r != nullptr && when != nullptr &&
                 X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(cert)) == 1 &&
                 X509_REVOKED_set_revocationDate(r, when) == 1 &&
                 X509_CRL_add0_revoked(crl, r) == 1;
    ASN1_TIME_free(when);
    X509_free(cert);
    if (!added) {
      X509_REVOKED_free(r);
      return Failed("X509_CRL_add0_revoked");
    }
  }
  X509_CRL_sort(crl);
  if (X509_CRL_sign(crl, keys_->key.get(), EVP_sha256()) == 0) return Failed("X509_CRL_sign");
  return ToPem(crl, PEM_write_bio_X509_CRL);
}

// --- TempDirectory ------------------------------------------------------------------------------

absl::StatusOr<TempDirectory> TempDirectory::Create(std::string_view prefix) {
  const char* base = std::getenv("TEST_TMPDIR");
  if (base == nullptr || *base == '\0') base = std::getenv("TMPDIR");
  if (base == nullptr || *base == '\0') base = "/tmp";
  std::string tmpl = absl::StrCat(base, "/", std::string(prefix), ".XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) return detail::ErrnoStatus(errno, "mkdtemp " + tmpl);
  return TempDirectory(std::move(tmpl));
}

TempDirectory::~TempDirectory() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

absl::StatusOr<std::string> TempDirectory::Write(std::string_view name,
                                                 std::string_view contents) const {
  std::string file = absl::StrCat(path_, "/", std::string(name));
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return detail::ErrnoStatus(errno, "open " + file);
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return detail::ErrnoStatus(e, "write " + file);
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return file;
}

}  // namespace uxcom::net
