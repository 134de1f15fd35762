#include "xdr/buffer.h"

#include <doctest/doctest.h>

#include <cstring>
#include <vector>

namespace uxcom::xdr {
namespace {

TEST_CASE("appending grows the buffer and keeps what was there") {
  Buffer b;
  std::memcpy(b.AppendUninitialized(3), "abc", 3);
  const std::byte more[] = {std::byte{'d'}, std::byte{'e'}};
  b.Append(more);
  REQUIRE(b.size() == 5);
  CHECK(std::memcmp(b.data(), "abcde", 5) == 0);
  CHECK(b.capacity() >= 5);
}

TEST_CASE("Clear keeps the memory, so refilling to the same size does not reallocate") {
  Buffer b;
  b.AppendUninitialized(1000);
  const std::byte* memory = b.data();
  const size_t capacity = b.capacity();
  for (int i = 0; i < 5; ++i) {
    b.Clear();
    CHECK(b.empty());
    b.AppendUninitialized(1000);
  }
  CHECK(b.data() == memory);
  CHECK(b.capacity() == capacity);
}

TEST_CASE("capacity at least doubles, so n appends cost O(n) copies") {
  Buffer b;
  int reallocations = 0;
  const std::byte* last = nullptr;
  for (int i = 0; i < 10000; ++i) {
    b.AppendUninitialized(1);
    if (b.data() != last) ++reallocations;
    last = b.data();
  }
  CHECK(reallocations <= 15);
}

TEST_CASE("Reserve and Truncate") {
  Buffer b(64);
  CHECK(b.capacity() == 64);
  CHECK(b.empty());
  b.AppendUninitialized(10);
  b.Truncate(4);
  CHECK(b.size() == 4);
  b.Truncate(8);  // never grows
  CHECK(b.size() == 4);
  CHECK(b.span().size() == 4);
}

}  // namespace
}  // namespace uxcom::xdr
