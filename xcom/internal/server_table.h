// ServerTable: one Server per distinct peer address, shared by every site, collected by
// mark-and-sweep when no retained site lists it any more.
//
// MySQL 8.0.18 keeps `all_servers[SERVER_MAX]` (200 slots, guarded only by an assert), finds
// servers by exact "name + port" (find_server), and runs garbage_collect_servers() as a
// mark-and-sweep over the retained site definitions. uxcom keeps the identity rule (the
// configured address string: a host name and its IP address are two servers, as in 8.0.18),
// makes the capacity an error, and leaves shutting a collected server down to the transport.
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

class ServerTable {
 public:
  explicit ServerTable(size_t capacity) : capacity_(capacity) {}

  size_t size() const { return servers_.size(); }
  size_t capacity() const { return capacity_; }
  const std::vector<std::shared_ptr<Server>>& all() const { return servers_; }

  // The server for exactly this address string, or null.
  std::shared_ptr<Server> Find(std::string_view address) const;

  struct Added {
    std::shared_ptr<Server> server;
    bool created = false;
  };
  // find_server, else addsrv. Errors: kInvalidArgument when the address does not parse (the
  // message names it and the rule it broke), kResourceExhausted when the table is full.
  // A new server's PeerLogic gets `config`.
  absl::StatusOr<Added> FindOrAdd(std::string_view address, bool local,
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

// invalidate_servers: every node of `old_site` that `new_site` does not list (same address
// and uuid) has its server marked invalid; it gets nothing until a site lists it again. A
// server `new_site` still uses (same address, new uuid) is left valid, unlike 8.0.18.
void InvalidateServers(const InstalledSite& old_site, const InstalledSite& new_site);

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_SERVER_TABLE_H_
