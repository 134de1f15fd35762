#include "xdr/xdr_writer.h"

#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "xdr/internal/test_util.h"

namespace uxcom::xdr {
namespace {

using testing::ByteVector;

TEST_CASE("primitives are written big-endian in 4-byte units") {
  std::vector<std::byte> out(28, std::byte{0xee});
  XdrWriter w(out.data(), out.size());
  w.PutU32(7);
  w.PutI32(-2);
  w.PutU64(0x0000000100000002ull);
  w.PutDouble(1.5);
  w.PutBool(true);
  CHECK(w.offset() == 28);
  CHECK(out == ByteVector({0,    0,    0, 7, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 1, 0, 0, 0, 2,  //
                           0x3f, 0xf8, 0, 0, 0,    0,    0,    0,    0, 0, 0, 1}));
}

TEST_CASE("opaque data is padded with zeros to a 4-byte boundary") {
  std::vector<std::byte> out(16, std::byte{0xee});
  XdrWriter w(out.data(), out.size());
  w.PutCountedOpaque("abcde");
  w.PutCountedOpaque("");
  CHECK(w.offset() == 16);
  CHECK(out == ByteVector({0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e', 0, 0, 0, 0, 0, 0, 0}));
}

TEST_CASE("a bool is always written as 0 or 1") {
  std::array<std::byte, 8> out{};
  XdrWriter w(out.data(), out.size());
  w.PutBool(false);
  w.PutBool(true);
  CHECK(out[3] == std::byte{0});
  CHECK(out[7] == std::byte{1});
}

}  // namespace
}  // namespace uxcom::xdr
