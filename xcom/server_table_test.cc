// ServerTable: one server per distinct host and port across sites (find_server), a capacity
// that is an error and not an assert, mark-and-sweep collection over the retained sites, and
// invalidate_servers for forced configurations.
#include "xcom/internal/server_table.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace uxcom::xcom::internal {
namespace {

const PeerLogic::Config kConfig{.queue_limit = 16};

std::shared_ptr<Server> Add(ServerTable& table, const std::string& address) {
  absl::StatusOr<ServerTable::Added> added = table.FindOrAdd(address, false, kConfig);
  REQUIRE(added.ok());
  return added->server;
}

// A site whose node i has address `addresses[i]` and uuid `uuids[i]` ("" when not given),
// with the servers the table has for them (null for an address the table lacks).
InstalledSite SiteOf(const ServerTable& table, std::vector<std::string> addresses,
                     std::vector<std::string> uuids = {}) {
  InstalledSite s;
  for (size_t i = 0; i < addresses.size(); ++i) {
    s.site.nodes.push_back({.address = addresses[i], .uuid = i < uuids.size() ? uuids[i] : ""});
    s.servers.push_back(table.Find(addresses[i]));
  }
  return s;
}

bool Holds(const ServerTable& table, const std::shared_ptr<Server>& server) {
  return std::find(table.all().begin(), table.all().end(), server) != table.all().end();
}

TEST_CASE("an address listed by two sites gets one server, found again instead of re-created") {
  ServerTable table(10);
  absl::StatusOr<ServerTable::Added> first =
      table.FindOrAdd("127.0.0.1:33061", false, {.queue_limit = 7});
  REQUIRE(first.ok());
  CHECK(first->created);
  CHECK(first->server->address == "127.0.0.1:33061");
  CHECK(first->server->endpoint.host == "127.0.0.1");
  CHECK(first->server->endpoint.port == 33061);
  // Found again (as a second site would): the same object, unchanged by the new arguments
  // (a remote server becomes local only through MakeLocal).
  absl::StatusOr<ServerTable::Added> again =
      table.FindOrAdd("127.0.0.1:33061", true, {.queue_limit = 99});
  REQUIRE(again.ok());
  CHECK_FALSE(again->created);
  CHECK(again->server == first->server);
  CHECK_FALSE(again->server->local);
  CHECK(table.size() == 1);
  CHECK(table.Find("127.0.0.1:33061") == first->server);
}

TEST_CASE("identity is find_server's: the host as written and the port as a number") {
  ServerTable table(10);
  std::shared_ptr<Server> by_ip = Add(table, "127.0.0.1:33061");
  std::shared_ptr<Server> by_name = Add(table, "localhost:33061");
  std::shared_ptr<Server> v6 = Add(table, "[::1]:33061");
  // A host name and its IP address are two servers (8.0.18 compares the host with strcmp).
  CHECK(by_ip != by_name);
  CHECK(by_name != v6);
  CHECK(table.size() == 3);
  CHECK(v6->endpoint.host == "::1");
  // The port is a number: a zero-padded or signed spelling is the same server.
  for (const char* same : {"127.0.0.1:033061", "127.0.0.1:+33061", "127.0.0.1: 33061"}) {
    CAPTURE(same);
    absl::StatusOr<ServerTable::Added> again = table.FindOrAdd(same, false, kConfig);
    REQUIRE(again.ok());
    CHECK_FALSE(again->created);
    CHECK(again->server == by_ip);
    CHECK(table.Find(same) == by_ip);
  }
  // The bracketed host is what get_ip_and_port extracts; text around the brackets is ignored.
  CHECK(table.Find("x[::1]y:33061") == v6);
  // The host is compared as written: another case or spelling is another server.
  CHECK(table.Find("LOCALHOST:33061") == nullptr);
  CHECK(table.Find("[0::1]:33061") == nullptr);
  CHECK(table.Find("127.0.0.1:33062") == nullptr);
  CHECK(table.Find("127.0.0.1") == nullptr);  // does not parse
  CHECK(table.size() == 3);
}

TEST_CASE("make-local replaces a remote server by a local one in the same slot") {
  ServerTable table(10);
  std::shared_ptr<Server> a = Add(table, "10.0.0.1:1");
  std::shared_ptr<Server> b = Add(table, "10.0.0.2:1");
  std::shared_ptr<Server> local = table.MakeLocal(b, kConfig);
  CHECK(local != b);
  CHECK(local->local);
  CHECK_FALSE(b->local);
  CHECK(local->address == b->address);
  CHECK(local->endpoint == b->endpoint);
  CHECK(table.size() == 2);
  CHECK(table.all()[0] == a);
  CHECK(table.all()[1] == local);
  CHECK(table.Find("10.0.0.2:1") == local);
  // Already local, or not in the table: nothing to do.
  CHECK(table.MakeLocal(local, kConfig) == local);
  CHECK(table.MakeLocal(b, kConfig) == b);
  CHECK(table.all()[1] == local);
}

TEST_CASE("a full table refuses a new address with ResourceExhausted and still finds old ones") {
  ServerTable table(2);
  std::shared_ptr<Server> a = Add(table, "10.0.0.1:1");
  Add(table, "10.0.0.2:1");
  absl::StatusOr<ServerTable::Added> c = table.FindOrAdd("10.0.0.3:1", false, kConfig);
  REQUIRE(absl::IsResourceExhausted(c.status()));
  CHECK(std::string(c.status().message()).find("10.0.0.3:1") != std::string::npos);
  CHECK(table.size() == 2);
  CHECK(table.Find("10.0.0.3:1") == nullptr);
  // An address already present is not a new server: still found at capacity.
  absl::StatusOr<ServerTable::Added> again = table.FindOrAdd("10.0.0.1:1", false, kConfig);
  REQUIRE(again.ok());
  CHECK_FALSE(again->created);
  CHECK(again->server == a);
}

TEST_CASE("an address that does not parse is refused with InvalidArgument and takes no slot") {
  ServerTable table(1);
  for (const char* bad : {"no-port", "host:0", "host:70000", ":33061", "[name]:1", "a:b:1"}) {
    CAPTURE(bad);
    absl::StatusOr<ServerTable::Added> r = table.FindOrAdd(bad, false, kConfig);
    CHECK(absl::IsInvalidArgument(r.status()));
  }
  CHECK(table.size() == 0);
  // The one slot is still free.
  Add(table, "10.0.0.1:1");
  // At capacity, a malformed address is still reported as malformed (the transport skips the
  // node and installs the site), not as a full table (which would abort the install).
  CHECK(absl::IsInvalidArgument(table.FindOrAdd("no-port", false, kConfig).status()));
}

TEST_CASE("sweep removes exactly the servers no retained site lists and hands them over") {
  ServerTable table(10);
  std::shared_ptr<Server> a = Add(table, "10.0.0.1:1");
  std::shared_ptr<Server> b = Add(table, "10.0.0.2:1");
  std::shared_ptr<Server> c = Add(table, "10.0.0.3:1");
  std::shared_ptr<Server> d = Add(table, "10.0.0.4:1");
  std::vector<InstalledSite> retained;
  retained.push_back(SiteOf(table, {"10.0.0.1:1", "10.0.0.2:1"}));
  // A node whose address did not parse has a null server: ignored by the marking.
  retained.push_back(SiteOf(table, {"10.0.0.2:1", "10.0.0.3:1", "unparsed"}));
  CHECK(retained[1].servers[2] == nullptr);

  std::vector<std::shared_ptr<Server>> removed = table.Sweep(retained);
  REQUIRE(removed.size() == 1);
  CHECK(removed[0] == d);
  CHECK(d->garbage);
  CHECK(table.size() == 3);
  for (const std::shared_ptr<Server>& kept : {a, b, c}) {
    CHECK(Holds(table, kept));
    CHECK_FALSE(kept->garbage);
  }
  CHECK(table.Find("10.0.0.4:1") == nullptr);

  // Sweeping again with the same sites removes nothing: the mark bits were reset.
  CHECK(table.Sweep(retained).empty());
  CHECK(table.size() == 3);
}

TEST_CASE("reference counts: the table and every site hold a server, and sweep drops the table's") {
  ServerTable table(10);
  std::weak_ptr<Server> b;
  std::weak_ptr<Server> c;
  {
    b = Add(table, "10.0.0.2:1");
    c = Add(table, "10.0.0.3:1");
  }
  CHECK(b.use_count() == 1);  // the table only
  std::vector<InstalledSite> retained;
  retained.push_back(SiteOf(table, {"10.0.0.2:1"}));
  retained.push_back(SiteOf(table, {"10.0.0.2:1", "10.0.0.3:1"}));
  CHECK(b.use_count() == 3);  // the table and two sites
  CHECK(c.use_count() == 2);

  retained.erase(retained.begin() + 1);  // the site listing c is no longer retained
  CHECK(b.use_count() == 2);
  CHECK(c.use_count() == 1);
  {
    std::vector<std::shared_ptr<Server>> removed = table.Sweep(retained);
    REQUIRE(removed.size() == 1);
    // The caller now holds the collected server's last reference, to shut it down.
    CHECK(removed[0].use_count() == 1);
    CHECK(removed[0] == c.lock());
  }
  CHECK(c.expired());  // freed with the caller's list
  CHECK(b.use_count() == 2);
}

TEST_CASE("a server listed only by an older retained site survives until that site goes") {
  ServerTable table(10);
  Add(table, "10.0.0.1:1");
  Add(table, "10.0.0.2:1");
  std::vector<InstalledSite> retained;
  retained.push_back(SiteOf(table, {"10.0.0.1:1", "10.0.0.2:1"}));  // older
  retained.push_back(SiteOf(table, {"10.0.0.1:1"}));                // newest
  CHECK(table.Sweep(retained).empty());
  CHECK(table.size() == 2);
  retained.erase(retained.begin());
  std::vector<std::shared_ptr<Server>> removed = table.Sweep(retained);
  REQUIRE(removed.size() == 1);
  CHECK(removed[0]->address == "10.0.0.2:1");
  CHECK(table.size() == 1);
  CHECK(table.Find("10.0.0.1:1") != nullptr);
}

TEST_CASE("sweeping frees capacity, and a collected address comes back as a new server") {
  ServerTable table(2);
  std::shared_ptr<Server> a = Add(table, "10.0.0.1:1");
  Add(table, "10.0.0.2:1");
  a->invalid = true;
  std::vector<std::shared_ptr<Server>> removed = table.Sweep({});
  CHECK(removed.size() == 2);
  CHECK(table.size() == 0);
  absl::StatusOr<ServerTable::Added> back = table.FindOrAdd("10.0.0.1:1", false, kConfig);
  REQUIRE(back.ok());
  CHECK(back->created);
  CHECK(back->server != a);  // the old object is the caller's, being shut down
  CHECK_FALSE(back->server->invalid);
  CHECK_FALSE(back->server->garbage);
  Add(table, "10.0.0.3:1");
  CHECK(table.size() == 2);
}

TEST_CASE("sweep keeps every survivor when it removes entries from the middle and the end") {
  ServerTable table(20);
  std::vector<std::shared_ptr<Server>> all;
  std::vector<std::string> kept_addresses;
  for (int i = 0; i < 12; ++i) {
    std::string address = "10.0.0." + std::to_string(i + 1) + ":1";
    all.push_back(Add(table, address));
    if (i % 3 == 1) kept_addresses.push_back(address);  // 1, 4, 7, 10
  }
  std::vector<InstalledSite> retained;
  retained.push_back(SiteOf(table, kept_addresses));
  std::vector<std::shared_ptr<Server>> removed = table.Sweep(retained);
  CHECK(removed.size() == 8);
  CHECK(table.size() == 4);
  for (int i = 0; i < 12; ++i) {
    CAPTURE(i);
    bool kept = i % 3 == 1;
    CHECK(Holds(table, all[i]) == kept);
    CHECK((std::find(removed.begin(), removed.end(), all[i]) != removed.end()) == !kept);
  }
  for (const std::shared_ptr<Server>& s : table.all()) CHECK(s != nullptr);
}

TEST_CASE("take-all empties the table and returns every server") {
  ServerTable table(3);
  std::shared_ptr<Server> a = Add(table, "10.0.0.1:1");
  std::shared_ptr<Server> b = Add(table, "10.0.0.2:1");
  std::vector<std::shared_ptr<Server>> all = table.TakeAll();
  CHECK(all.size() == 2);
  CHECK(std::find(all.begin(), all.end(), a) != all.end());
  CHECK(std::find(all.begin(), all.end(), b) != all.end());
  CHECK(table.size() == 0);
  CHECK(table.Find("10.0.0.1:1") == nullptr);
}

TEST_CASE("invalidate_servers marks the nodes the new site drops, and only those") {
  ServerTable table(10);
  Add(table, "10.0.0.1:1");
  Add(table, "10.0.0.2:1");
  Add(table, "10.0.0.3:1");
  InstalledSite old_site =
      SiteOf(table, {"10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"}, {"u1", "u2", "u3"});
  // The forced configuration is a plain Site: xa_force_config invalidates before installing.
  Site forced{
      .nodes = {{.address = "10.0.0.1:1", .uuid = "u1"}, {.address = "10.0.0.2:1", .uuid = "u2"}}};
  InvalidateServers(old_site, forced);
  CHECK_FALSE(table.Find("10.0.0.1:1")->invalid);
  CHECK_FALSE(table.Find("10.0.0.2:1")->invalid);
  CHECK(table.Find("10.0.0.3:1")->invalid);
}

TEST_CASE("a node back at the same address with a new uuid keeps its server valid, as in 8.0.18") {
  // node_exists compares addresses only (no uuid), so 8.0.18 leaves this server valid too.
  ServerTable table(10);
  Add(table, "10.0.0.1:1");
  Add(table, "10.0.0.2:1");
  InstalledSite old_site = SiteOf(table, {"10.0.0.1:1", "10.0.0.2:1"}, {"u1", "u2"});
  InstalledSite new_site = SiteOf(table, {"10.0.0.1:1", "10.0.0.2:1"}, {"u1", "u2-reborn"});
  InvalidateServers(old_site, new_site.site);
  CHECK_FALSE(table.Find("10.0.0.2:1")->invalid);
  CHECK_FALSE(table.Find("10.0.0.1:1")->invalid);
}

TEST_CASE("a forced site that respells an address does not invalidate the server it uses") {
  // 8.0.18 compares whole strings in node_exists but host and port in find_server, so it would
  // invalidate the server of "10.0.0.2:01" although the forced configuration uses it.
  ServerTable table(10);
  Add(table, "10.0.0.1:1");
  Add(table, "10.0.0.2:1");
  InstalledSite old_site = SiteOf(table, {"10.0.0.1:1", "10.0.0.2:1"}, {"u1", "u2"});
  Site forced{.nodes = {{.address = "10.0.0.1:1"}, {.address = "10.0.0.2:01"}}};
  InvalidateServers(old_site, forced);
  CHECK_FALSE(table.Find("10.0.0.2:1")->invalid);
  CHECK_FALSE(table.Find("10.0.0.1:1")->invalid);
}

TEST_CASE("a dropped node whose address never got a server is skipped by invalidation") {
  ServerTable table(10);
  Add(table, "10.0.0.1:1");
  InstalledSite old_site = SiteOf(table, {"10.0.0.1:1", "unparsed"}, {"u1", "u2"});
  CHECK(old_site.servers[1] == nullptr);
  // The forced site has an address that does not parse either: it lists nobody.
  Site forced{.nodes = {{.address = "unparsed"}}};
  InvalidateServers(old_site, forced);
  CHECK(table.Find("10.0.0.1:1")->invalid);
}

}  // namespace
}  // namespace uxcom::xcom::internal
