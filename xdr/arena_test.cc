#include "xdr/arena.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <memory_resource>
#include <vector>

namespace uxcom::xdr {
namespace {

TEST_CASE("allocations honour their alignment and do not overlap") {
  Arena arena(128);
  std::vector<std::pair<uintptr_t, size_t>> spans;
  for (size_t align : {1, 2, 4, 8, 16, 32, 64}) {
    for (size_t bytes : {1, 3, 17, 100}) {
      auto* p = static_cast<std::byte*>(arena.allocate(bytes, align));
      CHECK(reinterpret_cast<uintptr_t>(p) % align == 0);
      spans.push_back({reinterpret_cast<uintptr_t>(p), bytes});
    }
  }
  for (size_t i = 0; i < spans.size(); ++i) {
    for (size_t j = i + 1; j < spans.size(); ++j) {
      const bool disjoint = spans[i].first + spans[i].second <= spans[j].first ||
                            spans[j].first + spans[j].second <= spans[i].first;
      CHECK(disjoint);
    }
  }
}

TEST_CASE("after one cycle has sized the arena, the same cycle allocates no block") {
  Arena arena(64);
  auto cycle = [&] {
    for (int i = 0; i < 50; ++i) (void)arena.allocate(100, 8);
  };
  cycle();  // grows through several blocks
  CHECK(arena.block_allocations() > 1);
  arena.Reset();  // merges them into one
  const size_t after_merge = arena.block_allocations();
  for (int round = 0; round < 10; ++round) {
    cycle();
    arena.Reset();
  }
  CHECK(arena.block_allocations() == after_merge);
  CHECK(arena.capacity() >= 5000);
}

TEST_CASE("Reset forgets what was handed out") {
  Arena arena;
  (void)arena.allocate(1000, 8);
  CHECK(arena.used() == 1000);
  arena.Reset();
  CHECK(arena.used() == 0);
}

TEST_CASE("pmr containers allocate from the arena and deallocation is a no-op") {
  Arena arena;
  std::pmr::vector<int> v(&arena);
  for (int i = 0; i < 1000; ++i) v.push_back(i);
  CHECK(arena.used() >= 1000 * sizeof(int));
  CHECK(v[999] == 999);
  v.clear();
  v.shrink_to_fit();
  CHECK(arena.used() >= 1000 * sizeof(int));  // nothing returned
}

TEST_CASE("a request larger than any block gets a block of its own size") {
  Arena arena(64);
  auto* p = static_cast<std::byte*>(arena.allocate(1 << 20, 16));
  p[(1 << 20) - 1] = std::byte{1};  // the whole range is usable (ASan checks)
  CHECK(arena.capacity() >= (1 << 20));
}

TEST_CASE("New constructs objects in place") {
  Arena arena;
  struct Point {
    int x, y;
  };
  Point* p = arena.New<Point>(Point{3, 4});
  CHECK(p->x == 3);
  CHECK(p->y == 4);
}

TEST_CASE("LimitGrowth caps what Admits lets through, counted from what is used now") {
  Arena arena(1024);
  CHECK(arena.Admits(SIZE_MAX));  // no cap yet
  arena.AllocateArray<char>(100);
  arena.LimitGrowth(50);
  CHECK(arena.Admits(0));
  CHECK(arena.Admits(50));
  CHECK_FALSE(arena.Admits(51));
  CHECK_FALSE(arena.Admits(SIZE_MAX));  // used() + bytes would wrap around: refused
  arena.AllocateArray<char>(50);
  CHECK(arena.Admits(0));
  CHECK_FALSE(arena.Admits(1));
  // Allocations nobody checked may pass the cap; nothing is admitted then, not even 0 bytes.
  arena.AllocateArray<char>(10);
  CHECK_FALSE(arena.Admits(0));
  arena.Unlimited();
  CHECK(arena.Admits(1 << 20));
}

}  // namespace
}  // namespace uxcom::xdr
