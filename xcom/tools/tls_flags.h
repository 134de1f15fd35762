// The TLS option group xcom_probe, xcom_node and xcom_cluster share, declared on the tool's
// cli::FlagSet (tools/cli/flags.h) and named after Group Replication's options
// (group_replication_ssl_mode, ssl_cert, ssl_key, ssl_ca, ssl_capath, ssl_crl, ssl_crlpath,
// ssl_cipher, tls_ciphersuites, tls_version):
//
//   --ssl_mode=DISABLED|REQUIRED|VERIFY_CA|VERIFY_IDENTITY   (default DISABLED)
//   --ssl_cert=node.pem --ssl_key=node-key.pem               this node's key pair (PEM)
//   --ssl_ca=ca.pem --ssl_capath=DIR                         trusted CAs
//   --ssl_crl=crl.pem --ssl_crlpath=DIR                      revocation lists
//   --ssl_cipher=LIST --tls_ciphersuites=LIST                TLS 1.2 ciphers, TLS 1.3 suites
//   --tls_version=TLSv1.2,TLSv1.3                            allowed versions
//   --ssl_require_client_cert                                beyond XCom (off by default)
//
// Each is also accepted hyphenated (--ssl-mode=VERIFY_CA), as mysqld spells them. A malformed
// value is a usage error (64) naming the flag when parsed; what needs several flags is checked
// after parsing by CheckTlsFlags:
//
//   cli::FlagSet flags("xcom_probe", "HOST:PORT...", "…");
//   TlsOptions tls;
//   AddTlsFlags(flags, &tls);
//   if (std::optional<int> exit = flags.ParseOrExit(argc, argv, &targets)) return *exit;
//   if (absl::Status s = CheckTlsFlags(tls); !s.ok()) return flags.UsageError("ssl_mode",
//                                                                            s.message());
#ifndef UXCOM_XCOM_TOOLS_TLS_FLAGS_H_
#define UXCOM_XCOM_TOOLS_TLS_FLAGS_H_

#include "absl/status/status.h"
#include "tools/cli/flags.h"
#include "xcom/tls_options.h"

namespace uxcom::xcom::tools {

// Declares the flags above on `flags`; each writes its field of `*tls` when given.
void AddTlsFlags(cli::FlagSet& flags, TlsOptions* tls);

// The rules across flags: key material given with --ssl_mode=DISABLED is a mistake, not
// something to ignore silently.
absl::Status CheckTlsFlags(const TlsOptions& tls);

}  // namespace uxcom::xcom::tools

#endif  // UXCOM_XCOM_TOOLS_TLS_FLAGS_H_
