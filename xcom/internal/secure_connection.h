// The TLS hooks of the transport: where 8.0.18 runs its SSL handshake, and nowhere else.
//
//   dial:   DialServer = connect_tcp, then (TLS on) the client handshake and, under
//           VERIFY_IDENTITY, the name check against the address the site lists; only then is
//           x_version_req written (xcom_transport.c's dial + SSL_CONNECT).
//   accept: SecureInbound, called by RunInboundConnection after the accept callback kept the
//           connection and before it reads a frame (acceptor_learner_task's SSL_accept).
//
// Both are bounded by negotiation_timeout (8.0.18 has no bound), count tls_handshakes and
// tls_handshake_failures, and make every mismatch cost only its connection, with a reason that
// names it: a plaintext x_version_req reaching a TLS node is recognised before OpenSSL sees it
// (and, like 8.0.18, answered with nothing), a TLS ClientHello reaching a plaintext node is
// recognised by NegotiateInbound (LooksLikeTlsRecord), and a TLS dialler whose peer hangs
// up on its ClientHello is told the peer probably has TLS off.
#ifndef UXCOM_XCOM_INTERNAL_SECURE_CONNECTION_H_
#define UXCOM_XCOM_INTERNAL_SECURE_CONNECTION_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/stream.h"
#include "net/task.h"
#include "xdr/frame_header.h"

namespace uxcom::xcom::internal {

struct TransportState;
class Server;

// dial(s): the TCP connection to `server`, TLS established on it when TLS is on. A TLS failure
// is logged (warning) and counted here; the caller treats any error as a failed dial.
net::Task<absl::StatusOr<net::Stream>> DialServer(TransportState& st, const Server& server);

// The accepting side's handshake on `stream` (from `peer`); OK at once when TLS is off. The
// failure is counted here and returned for the caller to close the connection with.
net::Task<absl::Status> SecureInbound(TransportState& st, net::Stream& stream,
                                      const std::string& peer);

// True when a "frame header" is really the start of a TLS handshake record (0x16 0x03 …): a
// TLS node dialling a node that has TLS off.
bool LooksLikeTlsRecord(const xdr::FrameHeader& header);

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_SECURE_CONNECTION_H_
