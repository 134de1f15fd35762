// ThrowawayCa: a private certificate authority made on the spot with OpenSSL's API, for tests
// and demos that need TLS without any key checked in or fetched.
//
// Keys are ECDSA P-256 (fast to make: a certificate costs well under a millisecond). Leaf
// certificates carry the names asked for (CN, subjectAltName DNS and IP entries) and serve as
// both server and client certificates (extendedKeyUsage serverAuth + clientAuth), as one key
// pair serves a Group Replication member in both roles. Validity is relative to now, so expired
// and not-yet-valid certificates are one field away. TempDirectory holds the PEM files for the
// duration of a test or a demo and removes them.
//
//   absl::StatusOr<ThrowawayCa> ca = ThrowawayCa::Create("uxcom test CA");
//   absl::StatusOr<PemPair> node = ca->Issue({.common_name = "node1",
//                                             .ip_addresses = {"127.0.0.1"}});
//   absl::StatusOr<TempDirectory> dir = TempDirectory::Create("uxcom-tls");
//   std::string ca_file = *dir->Write("ca.pem", ca->certificate_pem());
#ifndef UXCOM_NET_THROWAWAY_PKI_H_
#define UXCOM_NET_THROWAWAY_PKI_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace uxcom::net {

struct CertificateSpec {
  std::string common_name{};
  std::vector<std::string> dns_names{};     // subjectAltName DNS entries
  std::vector<std::string> ip_addresses{};  // subjectAltName IP entries ("127.0.0.1", "::1")
  // Validity, relative to now.
  std::chrono::seconds not_before{-3600};
  std::chrono::seconds not_after{30 * 24 * 3600};
};

struct PemPair {
  std::string certificate{};
  std::string private_key{};
};

class ThrowawayCa {
 public:
  static absl::StatusOr<ThrowawayCa> Create(std::string common_name);
  ThrowawayCa(ThrowawayCa&&) noexcept;
  ThrowawayCa& operator=(ThrowawayCa&&) noexcept;
  ~ThrowawayCa();

  const std::string& certificate_pem() const { return certificate_pem_; }
  // A certificate signed by this CA.
  absl::StatusOr<PemPair> Issue(const CertificateSpec& spec) const;
  // A CRL of this CA (valid from an hour ago for a day) revoking the given certificates.
  absl::StatusOr<std::string> RevocationList(const std::vector<std::string>& revoked_pems) const;

 private:
  struct Keys;
  explicit ThrowawayCa(std::unique_ptr<Keys> keys);
  std::unique_ptr<Keys> keys_;
  std::string certificate_pem_;
};

// A directory made with mkdtemp under $TMPDIR (or /tmp), removed with its files on
// destruction.
class TempDirectory {
 public:
  static absl::StatusOr<TempDirectory> Create(std::string_view prefix);
  TempDirectory(TempDirectory&& other) noexcept : path_(std::move(other.path_)) {
    other.path_.clear();
  }
  TempDirectory& operator=(TempDirectory&&) = delete;
  ~TempDirectory();

  const std::string& path() const { return path_; }
  // Writes `contents` to path()/name (mode 0600) and returns the full path.
  absl::StatusOr<std::string> Write(std::string_view name, std::string_view contents) const;

 private:
  explicit TempDirectory(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace uxcom::net

#endif  // UXCOM_NET_THROWAWAY_PKI_H_
