// XDR primitives that write into memory the caller has already sized (RFC 4506, wire-format
// spec §2): big-endian 4-byte units, booleans as 0/1, zero padding.
//
// The writer does not check bounds in release builds: the codec computes the exact size first
// (EncodedSize) and then writes exactly that many bytes. Debug builds assert it.
//
//   std::byte body[8];
//   XdrWriter w(body, sizeof body);
//   w.PutU32(7);
//   w.PutBool(true);
#ifndef UXCOM_XDR_XDR_WRITER_H_
#define UXCOM_XDR_XDR_WRITER_H_

#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "xdr/big_endian.h"
#include "xdr/xdr_reader.h"

namespace uxcom::xdr {

class XdrWriter {
 public:
  XdrWriter(std::byte* dst, size_t capacity) : begin_(dst), p_(dst), end_(dst + capacity) {}

  size_t offset() const { return static_cast<size_t>(p_ - begin_); }
  std::byte* position() const { return p_; }

  [[gnu::always_inline]] void PutU32(uint32_t v) {
    assert(end_ - p_ >= 4);
    StoreBigEndian32(p_, v);
    p_ += 4;
  }
  [[gnu::always_inline]] void PutI32(int32_t v) { PutU32(static_cast<uint32_t>(v)); }
  template <typename E>
  [[gnu::always_inline]] void PutEnum(E v) {
    PutU32(static_cast<uint32_t>(v));
  }
  [[gnu::always_inline]] void PutBool(bool v) { PutU32(v ? 1 : 0); }
  [[gnu::always_inline]] void PutU64(uint64_t v) {
    assert(end_ - p_ >= 8);
    StoreBigEndian64(p_, v);
    p_ += 8;
  }
  [[gnu::always_inline]] void PutDouble(double v) { PutU64(std::bit_cast<uint64_t>(v)); }
  // The bytes of `data` and their zero padding (no length word).
  [[gnu::always_inline]] void PutOpaque(std::string_view data) {
    const size_t padded = XdrPadded(data.size());
    assert(static_cast<size_t>(end_ - p_) >= padded);
    // Zero the last unit first, then copy: the padding costs one store.
    if (padded != data.size()) StoreBigEndian32(p_ + padded - 4, 0);
    if (!data.empty()) std::memcpy(p_, data.data(), data.size());
    p_ += padded;
  }
  // A variable-length opaque or string: length word, bytes, padding.
  [[gnu::always_inline]] void PutCountedOpaque(std::string_view data) {
    PutU32(static_cast<uint32_t>(data.size()));
    PutOpaque(data);
  }

 private:
  std::byte* begin_;
  std::byte* p_;
  [[maybe_unused]] std::byte* end_;
};

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_XDR_WRITER_H_
