// ServerTable: one Server per distinct peer (host and port), shared by every site, collected by
// mark-and-sweep when no retained site lists it any more.
//
// MySQL 8.0.18 keeps `all_servers[SERVER_MAX]` (200 slots, guarded only by an assert), finds
// servers by the parsed host and port of an address (find_server: the host exactly as written,
// compared with strcmp, and the port as a number), and runs garbage_collect_servers() as a
// mark-and-sweep over the retained site definitions. uxcom keeps the identity rule ("h:80" and
// "h:080" are one server; a host name and its IP address, or "H" and "h", are two, as in
// 8.0.18), makes the capacity an error, and leaves shutting a collected server down to the
// transport.
//
//   ServerTable table(/*capacity=*/200);
//   absl::StatusOr<ServerTable::Added> s = table.FindOrAdd("10.0.0.2:33061", false, config);
//   std::vector<std::shared_ptr<Server>> gone = table.Sweep(retained_sites);
#ifndef UXCOM_XCOM_INTERNAL_SERVER_TABLE_H_
#define UXCOM_XCOM_INTERNAL_SERVER_TABLE_H_

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "net/address.h"
#include "xcom/internal/server.h"
#include "xcom/site.h"

namespace uxcom::xcom::internal {

// A site as the transport holds it: the configuration and the server of every node.
struct InstalledSite {
  SiteId id = 0;
  Site site{};
  xdr::ProtocolVersion common_version = xdr::ProtocolVersion::kUnknown;
  // By node number; null where the node's address could not be parsed.
  std::vector<std::shared_ptr<Server>> servers{};
  // send_to_someone's round-robin position (per site; 8.0.18 shares one global index).
  size_t someone_cursor = 0;
};

// find_server's identity: the same host text (case and spelling included) and port number.
bool SameServer(const net::HostPort& a, const net::HostPort& b);

class ServerTable {
 public:
  explicit ServerTable(size_t capacity) : capacity_(capacity) {}

  size_t size() const { return servers_.size(); }
  size_t capacity() const { return capacity_; }
  const std::vector<std::shared_ptr<Server>>& all() const { return servers_; }

  // find_server: the server for this address's host and port, or null (also when the address
  // does not parse).
  std::shared_ptr<Server> Find(std::string_view address) const;
  std::shared_ptr<Server> Find(const net::HostPort& endpoint) const;

  struct Added {
    std::shared_ptr<Server> server;
    bool created = false;
  };
  // find_server, else addsrv with `local` (this node: a LocalSender, no socket). A server that
  // exists is returned as it is, whatever `local` says (see MakeLocal). A new server's
  // PeerLogic gets `config`. Errors: kInvalidArgument when the address does not parse (the
  // message names it and the rule it broke), kResourceExhausted when the table is full.
  absl::StatusOr<Added> FindOrAdd(std::string_view address, bool local,
                                  const PeerLogic::Config& config);

  // Replaces the remote `server` by a new local one for the same peer, in the same slot, and
  // returns it: a site lists that address as this node, so its messages are delivered without
  // a socket from now on (8.0.18 decides once, by address, in mksrv; uxcom's sites say which
  // node is this one, so locality follows them). The caller re-points the sites that hold the
  // old server, moves its queue and shuts it down.
  std::shared_ptr<Server> MakeLocal(const std::shared_ptr<Server>& server,
                                    const PeerLogic::Config& config);

  // garbage_collect_servers: marks every server of every retained site, removes the others
  // from the table and returns them (the caller shuts them down).
  std::vector<std::shared_ptr<Server>> Sweep(std::span<const InstalledSite> retained);

  // Removes every server and returns them (the transport is stopping).
  std::vector<std::shared_ptr<Server>> TakeAll();

 private:
  size_t capacity_;
  std::vector<std::shared_ptr<Server>> servers_;
};

// invalidate_servers(old, new): the server of every node of `old_site` that `new_site` does not
// list is marked invalid; it gets nothing until a site lists it again. As in 8.0.18
// (node_exists), a node is listed by its address alone: one that comes back at the same
// address with a new uuid keeps its server valid. Unlike 8.0.18, which compares whole
// address strings here but host and port in find_server, "listed" uses the server identity
// (SameServer), so a forced configuration that respells an address ("h:080" for "h:80") does
// not invalidate the server it uses. `new_site` need not be installed (xa_force_config
// invalidates before the forced configuration is installed).
void InvalidateServers(const InstalledSite& old_site, const Site& new_site);

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_SERVER_TABLE_H_
