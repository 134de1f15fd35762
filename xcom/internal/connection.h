// Connection state shared by the tasks that use one socket, and read by the watchdog.
//
// An OutboundConnection is the socket a Sender dialled to a peer (XCom's server->con); its
// ReplyReader reads the same socket. An InboundConnection is one accepted socket and its
// Acceptor. Both record what the watchdog needs to enforce the timeouts the original lacks:
// when the connection opened, whether it negotiated, and when a pending read or write last
// made progress. Closing is idempotent and wakes every task blocked on the socket.
#ifndef UXCOM_XCOM_INTERNAL_CONNECTION_H_
#define UXCOM_XCOM_INTERNAL_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <string>

#include "net/event.h"
#include "net/executor.h"
#include "net/stream.h"
#include "xcom/statistics.h"
#include "xdr/protocol_version.h"

namespace uxcom::xcom::internal {

class Server;

struct Connection {
  Connection(net::Stream s, std::string peer_name, net::TimePoint now)
      : stream(std::move(s)), peer(std::move(peer_name)), opened_at(now) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  net::Stream stream;
  std::string peer;  // for logs: the server's address, or the accepted peer's ip:port
  net::TimePoint opened_at;

  // The protocol version every normal frame must carry, once negotiated.
  bool negotiated = false;
  xdr::ProtocolVersion version = xdr::ProtocolVersion::kUnknown;

  // Progress, for the watchdog.
  bool write_pending = false;
  net::TimePoint write_progress{};
  bool read_mid_frame = false;
  net::TimePoint read_progress{};

  bool closed = false;
  CloseReason close_reason = CloseReason::kShutdown;

  // Closes the socket once; returns false if it was already closed.
  bool Close(CloseReason reason) {
    if (closed) return false;
    closed = true;
    close_reason = reason;
    stream.Close();
    return true;
  }
};

struct OutboundConnection : Connection {
  using Connection::Connection;
  uint16_t sent_tag = 0;  // the tag of our x_version_req (snd_tag)
  // Set once the reply reader has decided the negotiation, or the connection died first.
  net::Event negotiation_done;
};

struct InboundConnection : Connection {
  using Connection::Connection;
  // The server this peer is (found from the `from` and group of its messages), whose
  // `detected` time every read on this connection refreshes. Holding it keeps it alive.
  std::shared_ptr<Server> server;
  uint64_t server_lookup_generation = 0;
  uint32_t server_lookup_group = 0;
  uint32_t server_lookup_from = 0;
};

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_CONNECTION_H_
