// TlsFailure: why a TLS handshake failed, as a category a program can act on.
//
// Stream::StartTls returns an absl::Status whose message is for people ("TLS handshake with
// 127.0.0.1:33062 failed: certificate verify failed (unable to get local issuer
// certificate)"); TlsFailureOf() recovers the category from it, for statistics and decisions.
// The category covers both directions: a certificate of ours that the peer rejected (its alert)
// falls in the same category as a peer's certificate we rejected; the message says which.
//
//   absl::Status s = co_await stream.StartTls(ctx, options);
//   if (std::optional<TlsFailure> f = TlsFailureOf(s); f == TlsFailure::kNotTls) …
#ifndef UXCOM_NET_TLS_FAILURE_H_
#define UXCOM_NET_TLS_FAILURE_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"

namespace uxcom::net {

enum class TlsFailure : uint8_t {
  kPeerClosed,              // the peer closed the connection before the handshake completed
  kNotTls,                  // the peer's bytes are not TLS (another protocol, garbage)
  kUntrustedCertificate,    // the chain does not lead to a trusted CA (or a bad signature)
  kCertificateExpired,      // a certificate of the chain is past its notAfter
  kCertificateNotYetValid,  // a certificate of the chain is before its notBefore
  kCertificateRevoked,      // listed in a CRL (or no CRL for a CA while CRLs are on)
  kNameMismatch,            // the server's certificate does not name the host dialled
  kNoCertificate,           // a certificate was required and none was sent
  kNoCommonParameters,      // no TLS version, cipher or signature algorithm in common
  kTimeout,                 // the handshake did not complete in time
  kIoError,                 // the socket failed (reset, …)
  kOther,                   // anything else OpenSSL reports
  kCount,
};
// "peer_closed", "not_tls", "untrusted_certificate", … (for statistics).
const char* TlsFailureName(TlsFailure failure);

// The category a StartTls error carries; nullopt for any other status (or OK).
std::optional<TlsFailure> TlsFailureOf(const absl::Status& status);
// Attaches `failure` to `status` (used by the TLS layer; a no-op on OK).
absl::Status WithTlsFailure(absl::Status status, TlsFailure failure);

}  // namespace uxcom::net

#endif  // UXCOM_NET_TLS_FAILURE_H_
