#include "net/tls_failure.h"

#include <string>

#include "absl/strings/cord.h"

namespace uxcom::net {
namespace {
constexpr char kPayloadUrl[] = "type.uxcom/net.TlsFailure";
}

const char* TlsFailureName(TlsFailure failure) {
  switch (failure) {
    case TlsFailure::kPeerClosed:
      return "peer_closed";
    case TlsFailure::kNotTls:
      return "not_tls";
    case TlsFailure::kUntrustedCertificate:
      return "untrusted_certificate";
    case TlsFailure::kCertificateExpired:
      return "certificate_expired";
    case TlsFailure::kCertificateNotYetValid:
      return "certificate_not_yet_valid";
    case TlsFailure::kCertificateRevoked:
      return "certificate_revoked";
    case TlsFailure::kNameMismatch:
      return "name_mismatch";
    case TlsFailure::kNoCertificate:
      return "no_certificate";
    case TlsFailure::kNoCommonParameters:
      return "no_common_parameters";
    case TlsFailure::kTimeout:
      return "timeout";
    case TlsFailure::kIoError:
      return "io_error";
    case TlsFailure::kOther:
    case TlsFailure::kCount:
      break;
  }
  return "other";
}

std::optional<TlsFailure> TlsFailureOf(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  auto p = status.GetPayload(kPayloadUrl);  // absl::optional in Debian's Abseil
  if (!p || p->size() != 1) return std::nullopt;
  auto v = static_cast<uint8_t>(std::string(*p)[0]);
  if (v >= static_cast<uint8_t>(TlsFailure::kCount)) return std::nullopt;
  return static_cast<TlsFailure>(v);
}

absl::Status WithTlsFailure(absl::Status status, TlsFailure failure) {
  if (status.ok()) return status;
  status.SetPayload(kPayloadUrl, absl::Cord(std::string(1, static_cast<char>(failure))));
  return status;
}

}  // namespace uxcom::net
