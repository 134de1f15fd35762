// Bounds-checked XDR primitives over a contiguous buffer (RFC 4506 as XCom uses it, wire-format
// spec §2).
//
// Every Read* either consumes its item and returns true, or returns false and leaves the
// position exactly where libtirpc's xdrmem stream would: nothing consumed for a 4-byte item;
// the first word consumed for an 8-byte item (u64 and double are read as two words); the data
// consumed but not its padding when only the padding is missing. offset() after a failure is
// therefore the "consumed" position 8.0.18 reports.
//
// Decoding is lenient exactly where 8.0.18 is: a bool is true for any non-zero word, and
// padding bytes are skipped unchecked.
//
//   XdrReader r(body);
//   uint32_t to;
//   if (!r.ReadU32(to)) return Truncated(r.offset());
#ifndef UXCOM_XDR_XDR_READER_H_
#define UXCOM_XDR_XDR_READER_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

#include "xdr/big_endian.h"

namespace uxcom::xdr {

// Bytes of padding after `length` bytes of opaque data (0-3).
constexpr uint32_t XdrPadding(uint64_t length) { return static_cast<uint32_t>(-length & 3); }
// `length` rounded up to a whole number of 4-byte units.
constexpr uint64_t XdrPadded(uint64_t length) { return length + XdrPadding(length); }

class XdrReader {
 public:
  explicit XdrReader(std::span<const std::byte> in)
      : begin_(in.data()), p_(in.data()), end_(in.data() + in.size()) {}

  size_t offset() const { return static_cast<size_t>(p_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool Has(size_t n) const { return remaining() >= n; }
  const std::byte* position() const { return p_; }

  [[gnu::always_inline]] bool ReadU32(uint32_t& v) {
    if (!Has(4)) return false;
    v = LoadBigEndian32(p_);
    p_ += 4;
    return true;
  }
  [[gnu::always_inline]] bool ReadI32(int32_t& v) {
    uint32_t u;
    if (!ReadU32(u)) return false;
    v = static_cast<int32_t>(u);
    return true;
  }
  // Enums are XDR ints: any value is accepted.
  template <typename E>
  [[gnu::always_inline]] bool ReadEnum(E& v) {
    uint32_t u;
    if (!ReadU32(u)) return false;
    v = static_cast<E>(u);
    return true;
  }
  [[gnu::always_inline]] bool ReadBool(bool& v) {
    uint32_t u;
    if (!ReadU32(u)) return false;
    v = u != 0;
    return true;
  }
  [[gnu::always_inline]] bool ReadU64(uint64_t& v) {
    if (Has(8)) {
      v = LoadBigEndian64(p_);
      p_ += 8;
      return true;
    }
    if (Has(4)) p_ += 4;  // xdrmem reads the high word, then fails on the low one
    return false;
  }
  [[gnu::always_inline]] bool ReadDouble(double& v) {
    uint64_t bits;
    if (!ReadU64(bits)) return false;
    v = std::bit_cast<double>(bits);
    return true;
  }
  // `length` bytes of opaque data and their padding; `data` points at them in the buffer.
  [[gnu::always_inline]] bool ReadOpaque(uint32_t length, const std::byte*& data) {
    if (!Has(length)) return false;
    data = p_;
    p_ += length;
    uint32_t pad = XdrPadding(length);
    if (!Has(pad)) return false;
    p_ += pad;
    return true;
  }

  // Fast paths for a run of fixed-size fields: check Has(n) once, then read unchecked, or take
  // the whole run and load its fields at constant offsets (one position update per run).
  [[gnu::always_inline]] const std::byte* TakeUnchecked(size_t n) {
    const std::byte* run = p_;
    p_ += n;
    return run;
  }
  [[gnu::always_inline]] uint32_t ReadU32Unchecked() {
    uint32_t v = LoadBigEndian32(p_);
    p_ += 4;
    return v;
  }
  [[gnu::always_inline]] uint64_t ReadU64Unchecked() {
    uint64_t v = LoadBigEndian64(p_);
    p_ += 8;
    return v;
  }

 private:
  const std::byte* begin_;
  const std::byte* p_;
  const std::byte* end_;
};

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_XDR_READER_H_
