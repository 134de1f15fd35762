#include "xcom/internal/server_table.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace uxcom::xcom::internal {

bool SameServer(const net::HostPort& a, const net::HostPort& b) {
  return a.port == b.port && a.host == b.host;
}

std::shared_ptr<Server> ServerTable::Find(const net::HostPort& endpoint) const {
  for (const std::shared_ptr<Server>& s : servers_) {
    if (SameServer(s->endpoint, endpoint)) return s;
  }
  return nullptr;
}

std::shared_ptr<Server> ServerTable::Find(std::string_view address) const {
  absl::StatusOr<net::HostPort> endpoint = net::ParseHostPort(address);
  if (!endpoint.ok()) return nullptr;
  return Find(*endpoint);
}

absl::StatusOr<ServerTable::Added> ServerTable::FindOrAdd(std::string_view address, bool local,
                                                          const PeerLogic::Config& config) {
  absl::StatusOr<net::HostPort> endpoint = net::ParseHostPort(address);
  if (!endpoint.ok()) return endpoint.status();
  if (std::shared_ptr<Server> existing = Find(*endpoint)) return Added{std::move(existing), false};
  if (servers_.size() >= capacity_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("server table full: ", servers_.size(), " servers (capacity ", capacity_,
                     "), cannot add ", absl::string_view(address.data(), address.size())));
  }
  auto server = std::make_shared<Server>(std::string(address), *std::move(endpoint), local, config);
  servers_.push_back(server);
  return Added{std::move(server), true};
}

std::shared_ptr<Server> ServerTable::MakeLocal(const std::shared_ptr<Server>& server,
                                               const PeerLogic::Config& config) {
  auto slot = std::find(servers_.begin(), servers_.end(), server);
  if (slot == servers_.end() || server->local) return server;
  *slot = std::make_shared<Server>(server->address, server->endpoint, /*local=*/true, config);
  return *slot;
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

void InvalidateServers(const InstalledSite& old_site, const Site& new_site) {
  std::vector<net::HostPort> listed;
  listed.reserve(new_site.nodes.size());
  for (const SiteNode& n : new_site.nodes) {
    absl::StatusOr<net::HostPort> endpoint = net::ParseHostPort(n.address);
    if (endpoint.ok()) listed.push_back(*std::move(endpoint));
  }
  for (const std::shared_ptr<Server>& s : old_site.servers) {
    if (s == nullptr) continue;  // its address did not parse: no server to invalidate
    bool kept = std::any_of(listed.begin(), listed.end(),
                            [&](const net::HostPort& e) { return SameServer(e, s->endpoint); });
    if (!kept) s->invalid = true;
  }
}

}  // namespace uxcom::xcom::internal
