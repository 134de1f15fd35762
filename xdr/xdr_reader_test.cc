#include "xdr/xdr_reader.h"

#include <doctest/doctest.h>

#include <vector>

#include "xdr/internal/test_util.h"

namespace uxcom::xdr {
namespace {

using testing::ByteVector;

TEST_CASE("integers are big-endian 4-byte units; u64 is the high word first") {
  auto in = ByteVector({0, 0, 0, 7, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 1, 0, 0, 0, 2});
  XdrReader r(in);
  uint32_t u;
  int32_t i;
  uint64_t w;
  REQUIRE(r.ReadU32(u));
  CHECK(u == 7);
  REQUIRE(r.ReadI32(i));
  CHECK(i == -2);
  REQUIRE(r.ReadU64(w));
  CHECK(w == 0x0000000100000002ull);
  CHECK(r.remaining() == 0);
}

TEST_CASE("a double is its IEEE-754 bits, big-endian: 1.5 is 3f f8 00 …") {
  auto in = ByteVector({0x3f, 0xf8, 0, 0, 0, 0, 0, 0});
  XdrReader r(in);
  double d;
  REQUIRE(r.ReadDouble(d));
  CHECK(d == 1.5);
}

TEST_CASE("a bool is true for any non-zero word, as libtirpc decodes it") {
  auto in = ByteVector({0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0x80, 0, 0, 0});
  XdrReader r(in);
  bool b = false;
  REQUIRE(r.ReadBool(b));
  CHECK_FALSE(b);
  for (int k = 0; k < 3; ++k) {
    REQUIRE(r.ReadBool(b));
    CHECK(b);
  }
}

TEST_CASE("enums keep any value") {
  enum class E : int32_t { kA = 0 };
  auto in = ByteVector({0xff, 0xff, 0xff, 0x9c});
  XdrReader r(in);
  E e{};
  REQUIRE(r.ReadEnum(e));
  CHECK(static_cast<int32_t>(e) == -100);
}

TEST_CASE("opaque data is followed by 0-3 padding bytes whose contents are not checked") {
  auto in = ByteVector({'a', 'b', 'c', 0x55, 'd', 0, 0, 0});
  XdrReader r(in);
  const std::byte* data;
  REQUIRE(r.ReadOpaque(3, data));
  CHECK(data == in.data());
  CHECK(r.offset() == 4);
  REQUIRE(r.ReadOpaque(0, data));
  CHECK(r.offset() == 4);
  REQUIRE(r.ReadOpaque(1, data));
  CHECK(r.offset() == 8);
}

TEST_CASE("failures leave the position where libtirpc's xdrmem leaves it") {
  SUBCASE("a 4-byte item with fewer than 4 bytes left consumes nothing") {
    auto in = ByteVector({1, 2, 3});
    XdrReader r(in);
    uint32_t u;
    CHECK_FALSE(r.ReadU32(u));
    CHECK(r.offset() == 0);
  }
  SUBCASE("an 8-byte item with 4 to 7 bytes left consumes its high word") {
    auto in = ByteVector({1, 2, 3, 4, 5, 6});
    XdrReader r(in);
    uint64_t w;
    CHECK_FALSE(r.ReadU64(w));
    CHECK(r.offset() == 4);
  }
  SUBCASE("opaque data that is not all there consumes nothing") {
    auto in = ByteVector({'a', 'b'});
    XdrReader r(in);
    const std::byte* data;
    CHECK_FALSE(r.ReadOpaque(3, data));
    CHECK(r.offset() == 0);
  }
  SUBCASE("opaque data whose padding is missing consumes the data") {
    auto in = ByteVector({'a', 'b', 'c'});
    XdrReader r(in);
    const std::byte* data;
    CHECK_FALSE(r.ReadOpaque(3, data));
    CHECK(r.offset() == 3);
  }
}

TEST_CASE("padding arithmetic") {
  CHECK(XdrPadding(0) == 0);
  CHECK(XdrPadding(1) == 3);
  CHECK(XdrPadding(4) == 0);
  CHECK(XdrPadding(0xFFFFFFFFull) == 1);
  CHECK(XdrPadded(5) == 8);
  CHECK(XdrPadded(0xFFFFFFFFull) == 0x100000000ull);
}

}  // namespace
}  // namespace uxcom::xdr
