// Transport's methods are executor-thread only (transport.h, "Threading"): in a debug build a
// call from another thread while the loop runs aborts at once, naming the method, instead of
// racing with the transport's tasks. Each case runs in a child process that must abort.
#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "net/testing.h"
#include "test/skip.h"
#include "xcom/testing/testing.h"
#include "xcom/transport.h"

namespace uxcom::xcom {
namespace {

using testing::Group;

// In a child: a started one-node group whose loop runs on another thread, then `call` on
// this thread. Returns how the child ended.
[[maybe_unused]] net::testing::ChildExit CallFromAnotherThread(
    const std::function<void(Group&)>& call) {
  return net::testing::RunInChild([&call] {
    std::unique_ptr<net::Executor> ex = net::testing::NewExecutor();
    Group g(*ex, 1);
    net::testing::LoopOnOtherThread loop(*ex);
    call(g);
  });
}

struct Call {
  const char* method;
  std::function<void(Group&)> call;
};

const Call kCalls[] = {
    {"Transport::InstallSite", [](Group& g) { (void)g[0].InstallSite(g.SiteFor(0)); }},
    {"Transport::RemoveSite", [](Group& g) { (void)g[0].RemoveSite(g.sites[0]); }},
    {"Transport::RetainNewestSites", [](Group& g) { g[0].RetainNewestSites(1); }},
    {"Transport::CollectGarbage", [](Group& g) { (void)g[0].CollectGarbage(); }},
    {"Transport::InvalidateServers",
     [](Group& g) { (void)g[0].InvalidateServers(g.sites[0], g.SiteFor(0)); }},
    {"Transport::SetSynodeStamps", [](Group& g) { g[0].SetSynodeStamps({}, {}); }},
    {"Transport::latest_site", [](Group& g) { (void)g[0].latest_site(); }},
    {"Transport::site", [](Group& g) { (void)g[0].site(g.sites[0]); }},
    {"Transport::liveness", [](Group& g) { (void)g[0].liveness(g.sites[0], 0); }},
    {"Transport::peers", [](Group& g) { (void)g[0].peers(); }},
    {"Transport::peer", [](Group& g) { (void)g[0].peer(g.addresses[0]); }},
    {"Transport::TryReceive", [](Group& g) { (void)g[0].TryReceive(); }},
    {"Transport::ReloadTls", [](Group& g) { (void)g[0].ReloadTls(); }},
    {"Transport::Send*",
     [](Group& g) { (void)g[0].SendToSelf(g.sites[0], testing::AppMessage("x")); }},
};

TEST_CASE(
    "a debug build aborts, naming the method, when a Transport is used from another "
    "thread") {
#ifdef NDEBUG
  uxcom::testing::Skip(uxcom::testing::Need::kBuildConfig,
                       "release build (NDEBUG): the thread check compiles to nothing");
#else
  for (const Call& c : kCalls) {
    net::testing::ChildExit child = CallFromAnotherThread(c.call);
    INFO(c.method, ": the child's stderr: ", child.stderr_output);
    CHECK(child.aborted());
    CHECK(child.stderr_output.find(std::string(c.method) + " used on thread") != std::string::npos);
  }
#endif
}

TEST_CASE("the same call posted to the executor's thread runs") {
  net::testing::ChildExit child = net::testing::RunInChild([] {
    std::unique_ptr<net::Executor> ex = net::testing::NewExecutor();
    Group g(*ex, 1);
    net::testing::LoopOnOtherThread loop(*ex);
    std::atomic<bool> installed{false};
    ex->Post([&] {
      absl::StatusOr<SiteId> site = g[0].InstallSite(g.SiteFor(0));
      if (!site.ok()) std::abort();
      installed.store(true);
    });
    while (!installed.load()) std::this_thread::yield();
  });
  INFO("the child's stderr: ", child.stderr_output);
  CHECK(child.exited_cleanly());
}

}  // namespace
}  // namespace uxcom::xcom
