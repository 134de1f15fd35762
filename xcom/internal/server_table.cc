#include "xcom/internal/server_table.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "net/address.h"

namespace uxcom::xcom::internal {

std::shared_ptr<Server> ServerTable::Find(std::string_view address) const {
  for (const std::shared_ptr<Server>& s : servers_) {
    if (s->address == address) return s;
  }
  return nullptr;
}

absl::StatusOr<ServerTable::Added> ServerTable::FindOrAdd(std::string_view address, bool local,
                                                          const PeerLogic::Config& config) {
  if (std::shared_ptr<Server> existing = Find(address)) return Added{std::move(existing), false};
  absl::StatusOr<net::HostPort> endpoint = net::ParseHostPort(address);
  if (!endpoint.ok()) return endpoint.status();
  if (servers_.size() >= capacity_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("server table full: ", servers_.size(), " servers (capacity ", capacity_,
                     "), cannot add ", absl::string_view(address.data(), address.size())));
  }
  auto server = std::make_shared<Server>(std::string(address), *std::move(endpoint), local, config);
  servers_.push_back(server);
  return Added{std::move(server), true};
}

std::vector<std::shared_ptr<Server>> ServerTable::Sweep(std::span<const InstalledSite> retained) {
  for (const std::shared_ptr<Server>& s : servers_) s->garbage = true;
  for (const InstalledSite& site : retained) {
    for (const std::shared_ptr<Server>& s : site.servers) {
      if (s != nullptr) s->garbage = false;
    }
  }
  std::vector<std::shared_ptr<Server>> removed;
  for (size_t i = 0; i < servers_.size();) {
    if (servers_[i]->garbage) {
      removed.push_back(std::move(servers_[i]));
      // Like rmsrv: the last entry takes the freed slot; order is not preserved.
      servers_[i] = std::move(servers_.back());
      servers_.pop_back();
    } else {
      ++i;
    }
  }
  return removed;
}

std::vector<std::shared_ptr<Server>> ServerTable::TakeAll() { return std::exchange(servers_, {}); }

void InvalidateServers(const InstalledSite& old_site, const InstalledSite& new_site) {
  for (size_t i = 0; i < old_site.site.nodes.size(); ++i) {
    const SiteNode& n = old_site.site.nodes[i];
    bool kept = false;
    for (const SiteNode& m : new_site.site.nodes) {
      if (m.address == n.address && m.uuid == n.uuid) {
        kept = true;
        break;
      }
    }
    if (kept || i >= old_site.servers.size() || old_site.servers[i] == nullptr) continue;
    // A node that comes back under the same address with a new uuid shares the server of its
    // old incarnation; 8.0.18 would invalidate that server too and starve the new member.
    bool still_used = false;
    for (const std::shared_ptr<Server>& s : new_site.servers)
      still_used |= s == old_site.servers[i];
    if (!still_used) old_site.servers[i]->invalid = true;
  }
}

}  // namespace uxcom::xcom::internal
