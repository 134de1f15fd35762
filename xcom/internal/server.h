// Server: everything the transport knows about one peer address (XCom's `server`).
//
// One Server per distinct peer (host and port, as 8.0.18's find_server compares them) among the
// retained sites, shared by every site that lists it (server table, server_table.h). A remote
// server has a Sender and, per outbound connection, a ReplyReader; the local server (this node) has
// a LocalSender and never a socket. Tasks run in the server's own scope, so collecting a server
// cancels exactly its tasks. Executor thread only.
#ifndef UXCOM_XCOM_INTERNAL_SERVER_H_
#define UXCOM_XCOM_INTERNAL_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "net/address.h"
#include "net/channel.h"
#include "net/executor.h"
#include "net/scope.h"
#include "xcom/internal/connection.h"
#include "xcom/internal/outgoing_message.h"
#include "xcom/site.h"
#include "xdr/negotiation.h"

namespace uxcom::xcom::internal {

// One entry of a server's queue: a shared message and the node number to stamp as `to`. A
// null message is a wake-up marker (the connection broke: reconnect now).
struct QueuedMessage {
  OutgoingRef message;
  NodeNo to = 0;
  net::TimePoint enqueued_at{};
};

// XCom's connection states: CON_NULL, CON_FD, CON_PROTO.
enum class ConnectionState { kNone, kConnected, kNegotiated };

class Server {
 public:
  Server(std::string address, net::HostPort endpoint, bool local, size_t queue_limit)
      : address(std::move(address)),
        endpoint(std::move(endpoint)),
        local(local),
        queue(queue_limit) {}
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  const std::string address;     // as the first site listing it wrote it (logs, PeerInfo)
  const net::HostPort endpoint;  // the server's identity: host text and port number
  const bool local;              // this node: a LocalSender, no socket

  // Mark bit of the mark-and-sweep collector.
  bool garbage = false;
  // Dropped by a forced configuration: nothing is sent to it until a site lists it again.
  bool invalid = false;

  // Liveness, as XCom keeps it: `active` = last outbound activity (enqueue, send, dial),
  // `detected` = last inbound evidence (any bytes read from the peer).
  net::TimePoint active{};
  net::TimePoint detected{};

  std::shared_ptr<OutboundConnection> connection;  // the current outbound connection
  uint16_t next_tag = xdr::kFirstNegotiationTag;   // TAG_START, then +1 per request
  net::Channel<QueuedMessage> queue;
  std::unique_ptr<net::Scope> scope;  // its Sender (+ ReplyReader) or LocalSender

  // Counters for PeerInfo.
  uint64_t messages_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t messages_dropped = 0;
  uint64_t connects = 0;
  uint64_t dial_failures = 0;
  uint16_t last_tag = 0;  // of the latest x_version_req, kept while disconnected

  ConnectionState state() const {
    if (connection == nullptr || connection->closed) return ConnectionState::kNone;
    return connection->negotiated ? ConnectionState::kNegotiated : ConnectionState::kConnected;
  }
};

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_SERVER_H_
