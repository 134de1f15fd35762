// Steady state touches no heap: decoding into a reused Arena (both modes) and encoding into a
// reused Buffer perform zero allocations once they have grown to the message size.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "xdr/buffer.h"
#include "xdr/decode.h"
#include "xdr/encode.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace uxcom::xdr {
namespace {

using enum ProtocolVersion;

std::vector<PaxMsg> Messages(const std::string& payload) {
  NodeList nodes;
  for (int i = 0; i < 9; ++i) {
    nodes.push_back({.address = "node.example:33061",
                     .uuid = {"0123456789abcdef"},
                     .proto = XProtoRange{kX1_0, kX1_6}});
  }
  PaxMsg app{.op = PaxOp::kAcceptOp,
             .a = {AppData{.body = AppU::App(payload)}},
             .delivered_msg = SynodeNo{},
             .event_horizon = 10};
  PaxMsg gcs{
      .op = PaxOp::kGcsSnapshotOp,
      .gcs_snap = GcsSnapshot{.cfg = {Config{.nodes = nodes, .event_horizon = 10}, std::nullopt,
                                      Config{.nodes = nodes, .event_horizon = 10}},
                              .app_snap = {"snapshot"}},
      .delivered_msg = SynodeNo{},
      .event_horizon = 10};
  PaxMsg chain = app;
  chain.a = {AppData{.body = AppU::App(payload)}, AppData{.body = AppU::View({true, true})},
             AppData{.body = AppU::Trans(CargoType::kAbortTrans, {.cluster_name = "c"})}};
  chain.receivers = BitSet{{7}};
  chain.requested_synode_app_data = {{.data = payload}};
  return {app, gcs, chain};
}

TEST_CASE("decoding into a reused arena allocates nothing after the first message") {
  const std::string payload(100, 'p');
  for (const PaxMsg& m : Messages(payload)) {
    std::vector<std::byte> body;
    REQUIRE(AppendBody<kX1_6>(m, body).ok());
    for (bool zero_copy : {true, false}) {
      INFO("zero_copy ", zero_copy);
      Arena arena;
      REQUIRE(Decode<kX1_6>(body, arena, {.zero_copy = zero_copy}).ok());  // warm-up
      const long before = g_allocations.load();
      for (int i = 0; i < 100; ++i) {
        arena.Reset();
        absl::StatusOr<Decoded> d = Decode<kX1_6>(body, arena, {.zero_copy = zero_copy});
        REQUIRE(d.ok());
      }
      CHECK(g_allocations.load() - before == 0);
    }
  }
}

TEST_CASE("a Decoder allocates nothing after the first message") {
  const std::string payload(100, 'p');
  for (const PaxMsg& m : Messages(payload)) {
    std::vector<std::byte> body;
    REQUIRE(AppendBody<kX1_6>(m, body).ok());
    for (bool zero_copy : {true, false}) {
      INFO("zero_copy ", zero_copy);
      Decoder decoder({.zero_copy = zero_copy});
      REQUIRE(decoder.Decode<kX1_6>(body).ok());  // warm-up
      const long before = g_allocations.load();
      for (int i = 0; i < 100; ++i) REQUIRE(decoder.Decode(kX1_6, body).ok());
      CHECK(g_allocations.load() - before == 0);
    }
  }
}

TEST_CASE("encoding into a reused buffer allocates nothing after the first frame") {
  const std::string payload(65536, 'p');
  for (const PaxMsg& m : Messages(payload)) {
    Buffer out;
    REQUIRE(AppendFrame<kX1_6>(m, out).ok());
    const long before = g_allocations.load();
    for (int i = 0; i < 100; ++i) {
      out.Clear();
      REQUIRE(AppendFrame(kX1_6, m, out).ok());
    }
    CHECK(g_allocations.load() - before == 0);
  }
}

TEST_CASE("the counter counts (so the tests above can fail)") {
  const long before = g_allocations.load();
  auto* p = new int(1);
  delete p;
  CHECK(g_allocations.load() - before == 1);
}

}  // namespace
}  // namespace uxcom::xdr
