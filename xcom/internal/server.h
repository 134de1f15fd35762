// Server: everything the transport knows about one peer address (XCom's `server`).
//
// One Server per distinct peer (host and port, as 8.0.18's find_server compares them) among the
// retained sites, shared by every site that lists it (server table, server_table.h). A remote
// server has a Sender (sender.cc), which opens one outbound Connection at a time; the local
// server (this node) has a LocalSender and never a socket. Its decisions (queue, back-off, tags,
// batching) are its PeerLogic; its tasks run in its own scope, so collecting a server cancels
// exactly its tasks. Executor thread only.
#ifndef UXCOM_XCOM_INTERNAL_SERVER_H_
#define UXCOM_XCOM_INTERNAL_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "net/address.h"
#include "net/event.h"
#include "net/executor.h"
#include "net/scope.h"
#include "xcom/internal/connection.h"
#include "xcom/internal/peer_logic.h"

namespace uxcom::xcom::internal {

class Server {
 public:
  Server(std::string address, net::HostPort endpoint, bool local, const PeerLogic::Config& config)
      : address(std::move(address)), endpoint(std::move(endpoint)), local(local), peer(config) {
    drained.Set();
  }
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

  PeerLogic peer;
  std::shared_ptr<Connection> connection;  // the current outbound connection, if any
  std::unique_ptr<net::Scope> scope;       // its Sender (and connection) or LocalSender
  uint64_t messages_dropped = 0;

  // Set while no message waits or is being written (Transport::Flush waits for it); reset by
  // every enqueue.
  net::Event drained;
  // Set while the outbound connection is negotiated (Transport::WaitForPeer waits for it).
  net::Event ready;

  // Called where the server's tasks are about to wait for work: nothing left to write.
  void NoteIfDrained() {
    if (peer.waiting() == 0 && peer.in_flight() == 0) drained.Set();
  }
  ConnectionState state() const { return peer.state(); }
};

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_SERVER_H_
