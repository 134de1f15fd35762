// The TLS flags xcom_probe, xcom_node and xcom_cluster share, named after Group Replication's
// options (group_replication_ssl_mode, ssl_cert, ssl_key, ssl_ca, ssl_capath, ssl_crl,
// ssl_crlpath, ssl_cipher, tls_ciphersuites, tls_version):
//
//   --ssl_mode=DISABLED|REQUIRED|VERIFY_CA|VERIFY_IDENTITY   (default DISABLED)
//   --ssl_cert=node.pem --ssl_key=node-key.pem               this node's key pair (PEM)
//   --ssl_ca=ca.pem --ssl_capath=DIR                         trusted CAs
//   --ssl_crl=crl.pem --ssl_crlpath=DIR                      revocation lists
//   --ssl_cipher=LIST --tls_ciphersuites=LIST                TLS 1.2 ciphers, TLS 1.3 suites
//   --tls_version=TLSv1.2,TLSv1.3                            allowed versions
//   --ssl_require_client_cert                                beyond XCom (off by default)
//
// Hyphenated spellings (--ssl-mode=VERIFY_CA) are accepted too: call NormalizeFlagSpelling on
// argv before absl::ParseCommandLine.
//
//   NormalizeFlagSpelling(argc, argv);
//   absl::ParseCommandLine(argc, argv);
//   absl::StatusOr<TlsOptions> tls = TlsOptionsFromFlags();
#ifndef UXCOM_XCOM_TOOLS_TLS_FLAGS_H_
#define UXCOM_XCOM_TOOLS_TLS_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "xcom/tls_options.h"

namespace uxcom::xcom {

// Rewrites "--a-b=v" as "--a_b=v" in place (the name only, never the value), up to a "--".
void NormalizeFlagSpelling(int argc, char** argv);

// The flags above as TlsOptions; kInvalidArgument naming the flag when one is malformed.
absl::StatusOr<TlsOptions> TlsOptionsFromFlags();

}  // namespace uxcom::xcom

#endif  // UXCOM_XCOM_TOOLS_TLS_FLAGS_H_
