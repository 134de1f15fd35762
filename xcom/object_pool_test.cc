// ObjectPool: objects come back when their last handle goes, are recycled and reused without
// a new allocation, at most max_idle are kept, and handles may outlive the pool.
#include "xcom/internal/object_pool.h"

#include <doctest/doctest.h>

#include <cstddef>
#include <new>
#include <string>
#include <vector>

namespace uxcom::xcom::internal {
namespace {

// Counts its heap allocations, constructions, destructions and recycles.
struct Probe : Pooled<Probe> {
  static inline int allocations = 0;
  static inline int constructed = 0;
  static inline int destroyed = 0;
  static inline int recycled = 0;
  static void Reset() { allocations = constructed = destroyed = recycled = 0; }

  static void* operator new(size_t size) {
    ++allocations;
    return ::operator new(size);
  }
  static void operator delete(void* p) { ::operator delete(p); }

  Probe() { ++constructed; }
  ~Probe() { ++destroyed; }
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  void Recycle() {
    ++recycled;
    ++recycles_of_this;
    text.clear();  // drop the value, keep the capacity
  }

  std::string text;
  int recycles_of_this = 0;
};

TEST_CASE("a released object is recycled and handed out again without a new allocation") {
  Probe::Reset();
  ObjectPool<Probe> pool(4);
  PoolRef<Probe> a = pool.Acquire();
  REQUIRE(a);
  CHECK(Probe::allocations == 1);
  CHECK(pool.outstanding() == 1);
  CHECK(pool.idle() == 0);
  Probe* first = a.get();
  a->text.assign(200, 'x');
  size_t kept_capacity = a->text.capacity();
  a.Release();
  CHECK_FALSE(a);
  CHECK(Probe::recycled == 1);  // Recycle() ran on the way back
  CHECK(Probe::destroyed == 0);
  CHECK(pool.idle() == 1);
  CHECK(pool.outstanding() == 0);

  PoolRef<Probe> b = pool.Acquire();
  CHECK(b.get() == first);
  CHECK(Probe::allocations == 1);
  CHECK(Probe::constructed == 1);
  CHECK(b->text.empty());
  CHECK(b->text.capacity() == kept_capacity);  // what Recycle() kept is still there
  CHECK(b->pool_refs() == 1);
  CHECK(pool.idle() == 0);
  CHECK(pool.outstanding() == 1);
}

TEST_CASE("copies share one object, which goes back only when the last copy is released") {
  Probe::Reset();
  ObjectPool<Probe> pool(4);
  PoolRef<Probe> a = pool.Acquire();
  PoolRef<Probe> b = a;
  PoolRef<Probe> c(b);
  CHECK(a.get() == b.get());
  CHECK(a->pool_refs() == 3);
  CHECK(pool.outstanding() == 1);  // one object, three handles

  a.Release();
  CHECK(b->pool_refs() == 2);
  CHECK(pool.idle() == 0);
  b = PoolRef<Probe>();  // assignment releases the old target
  CHECK(c->pool_refs() == 1);
  CHECK(pool.idle() == 0);
  CHECK(Probe::recycled == 0);

  // A move transfers the reference: no count change, the source is empty.
  PoolRef<Probe> d = std::move(c);
  CHECK_FALSE(c);
  CHECK(d->pool_refs() == 1);
  d.Release();
  CHECK(pool.idle() == 1);
  CHECK(pool.outstanding() == 0);
  CHECK(Probe::recycled == 1);
}

TEST_CASE("assigning one handle over another returns the old object and shares the new one") {
  Probe::Reset();
  ObjectPool<Probe> pool(4);
  PoolRef<Probe> x = pool.Acquire();
  PoolRef<Probe> y = pool.Acquire();
  Probe* y_object = y.get();
  CHECK(pool.outstanding() == 2);
  x = y;
  CHECK(x.get() == y_object);
  CHECK(y->pool_refs() == 2);
  CHECK(pool.outstanding() == 1);
  CHECK(pool.idle() == 1);
  // Self-assignment changes nothing.
  PoolRef<Probe>& alias = x;
  x = alias;
  CHECK(y->pool_refs() == 2);
  x = std::move(alias);  // self-move, through a reference
  CHECK(y->pool_refs() == 2);
  CHECK(pool.outstanding() == 1);
}

TEST_CASE("the pool keeps at most max_idle objects and deletes the others when returned") {
  Probe::Reset();
  {
    ObjectPool<Probe> pool(2);
    std::vector<PoolRef<Probe>> held;
    for (int i = 0; i < 5; ++i) held.push_back(pool.Acquire());
    CHECK(Probe::allocations == 5);
    CHECK(pool.outstanding() == 5);
    held.clear();
    CHECK(pool.idle() == 2);
    CHECK(pool.outstanding() == 0);
    CHECK(Probe::destroyed == 3);
    CHECK(Probe::recycled == 2);  // only the kept ones are recycled

    // Five again: two come from the pool, three are new.
    for (int i = 0; i < 5; ++i) held.push_back(pool.Acquire());
    CHECK(Probe::allocations == 8);
    CHECK(pool.idle() == 0);
    held.clear();
    CHECK(pool.idle() == 2);
  }
  // The pool's destructor deletes what it kept: nothing is left alive.
  CHECK(Probe::destroyed == Probe::constructed);
}

TEST_CASE("a pool with max_idle 0 recycles nothing: every returned object is deleted") {
  Probe::Reset();
  ObjectPool<Probe> pool(0);
  for (int i = 0; i < 3; ++i) {
    PoolRef<Probe> p = pool.Acquire();
  }
  CHECK(Probe::allocations == 3);
  CHECK(Probe::destroyed == 3);
  CHECK(Probe::recycled == 0);
  CHECK(pool.idle() == 0);
  CHECK(pool.outstanding() == 0);
}

TEST_CASE("a warmed-up pool serves steady acquire and release cycles with no allocation") {
  Probe::Reset();
  ObjectPool<Probe> pool(8);
  {
    std::vector<PoolRef<Probe>> warm;
    for (int i = 0; i < 8; ++i) warm.push_back(pool.Acquire());
  }
  CHECK(Probe::allocations == 8);
  CHECK(pool.idle() == 8);
  std::vector<PoolRef<Probe>> in_flight;
  in_flight.reserve(8);
  for (int round = 0; round < 1000; ++round) {
    // Up to 8 objects in flight, released in a rotating order.
    while (in_flight.size() < static_cast<size_t>(1 + round % 8)) {
      in_flight.push_back(pool.Acquire());
    }
    in_flight.erase(in_flight.begin() + round % static_cast<int>(in_flight.size()));
  }
  in_flight.clear();
  CHECK(Probe::allocations == 8);
  CHECK(Probe::constructed == 8);
  CHECK(pool.idle() == 8);
  CHECK(pool.outstanding() == 0);
  CHECK(Probe::recycled > 1000);
}

TEST_CASE("handles may outlive the pool: their objects are then deleted instead of recycled") {
  Probe::Reset();
  PoolRef<Probe> survivor;
  PoolRef<Probe> second;
  {
    ObjectPool<Probe> pool(4);
    PoolRef<Probe> idle_one = pool.Acquire();
    survivor = pool.Acquire();
    second = survivor;
    PoolRef<Probe> third = pool.Acquire();
    idle_one.Release();
    third.Release();
    CHECK(pool.idle() == 2);
    CHECK(Probe::recycled == 2);
  }  // the pool goes: its idle objects are deleted, the outstanding one is not
  CHECK(Probe::destroyed == 2);
  survivor->text = "still usable";
  CHECK(second->text == "still usable");
  CHECK(survivor->pool_refs() == 2);
  survivor.Release();
  CHECK(Probe::destroyed == 2);
  second.Release();  // the last handle: deleted (and the pool's state freed; ASan checks)
  CHECK(Probe::destroyed == 3);
  CHECK(Probe::recycled == 2);  // not recycled on its way out
}

TEST_CASE("several objects outliving the pool are each deleted as their last handle goes") {
  Probe::Reset();
  std::vector<PoolRef<Probe>> held;
  {
    ObjectPool<Probe> pool(4);
    for (int i = 0; i < 3; ++i) held.push_back(pool.Acquire());
  }
  CHECK(Probe::destroyed == 0);
  held.erase(held.begin() + 1);
  CHECK(Probe::destroyed == 1);
  held.clear();
  CHECK(Probe::destroyed == 3);
  CHECK(Probe::recycled == 0);
}

}  // namespace
}  // namespace uxcom::xcom::internal
