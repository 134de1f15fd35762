// The second encoding pass, derived from the schemas: writes a value SchemaSizer<V> has
// accepted, in wire order.
//
// The write position is passed and returned by value rather than kept in an object: stores
// through a byte pointer may alias anything in memory, so a position held in memory would be
// reloaded and stored back around every 4-byte store. As a value it stays in a register.
#ifndef UXCOM_XDR_INTERNAL_SCHEMA_WRITER_H_
#define UXCOM_XDR_INTERNAL_SCHEMA_WRITER_H_

#include <bit>
#include <cstring>
#include <variant>

#include "xdr/big_endian.h"
#include "xdr/internal/schema_traits.h"
#include "xdr/xdr_reader.h"

namespace uxcom::xdr::internal {

[[gnu::always_inline]] inline std::byte* Put32(std::byte* p, uint32_t v) {
  StoreBigEndian32(p, v);
  return p + 4;
}
[[gnu::always_inline]] inline std::byte* Put64(std::byte* p, uint64_t v) {
  StoreBigEndian64(p, v);
  return p + 8;
}
// Length word, bytes, zero padding.
[[gnu::always_inline]] inline std::byte* PutCounted(std::byte* p, std::string_view data) {
  const size_t n = data.size();
  p = Put32(p, static_cast<uint32_t>(n));
  const size_t padded = XdrPadded(n);
  if (padded != n) StoreBigEndian32(p + padded - 4, 0);  // the padding, before the copy
  if (n != 0) std::memcpy(p, data.data(), n);
  return p + padded;
}

template <ProtocolVersion V>
class SchemaWriter {
 public:
  // `profile`: the effective profile, for the fields only some profiles carry at V.
  explicit SchemaWriter(Profile profile) : profile_(profile) {}

  // Writes `s` at p; returns the end of what was written.
  template <typename S, size_t I = 0>
  [[gnu::always_inline]] std::byte* Struct(std::byte* p, const S& s) const {
    if constexpr (I == kFieldCount<S>) {
      return p;
    } else {
      return Struct<S, I + 1>(OneField<FieldAt<S, I>>(p, s), s);
    }
  }

 private:
  // The arm the union holds (index `held`), found from arm I on.
  template <typename U, size_t I = 0>
  [[gnu::always_inline]] std::byte* Arm(std::byte* p, const U& u, size_t held) const {
    if constexpr (I == kArmCount<U>) {
      return p;
    } else {
      if (held == I) {
        using A = ArmAt<U, I>;
        return Value<typename A::Wire>(p, *std::get_if<I>(&(u.*UnionSchema<U>::kArms)));
      }
      return Arm<U, I + 1>(p, u, held);
    }
  }

  template <typename F, typename S>
  [[gnu::always_inline]] std::byte* OneField(std::byte* p, const S& s) const {
    constexpr Carry c = kCarryAt<typename F::Versions, V>;
    if constexpr (c == Carry::kNo) {
      return p;
    } else {
      if constexpr (c == Carry::kDepends) {
        if (!F::Versions::Carried(V, profile_)) return p;
      }
      if constexpr (F::kStorage == Storage::kOptional) {
        return Value<typename F::Wire>(p, *F::Get(s));
      } else {
        return Value<typename F::Wire>(p, F::Get(s));
      }
    }
  }

  template <typename W, typename T>
  [[gnu::always_inline]] std::byte* Value(std::byte* p, const T& v) const {
    if constexpr (std::is_same_v<W, ScalarW>) {
      if constexpr (std::is_same_v<T, bool>) {
        return Put32(p, v ? 1 : 0);
      } else if constexpr (std::is_same_v<T, double>) {
        return Put64(p, std::bit_cast<uint64_t>(v));
      } else if constexpr (sizeof(T) == 8) {
        return Put64(p, static_cast<uint64_t>(v));
      } else {
        return Put32(p, static_cast<uint32_t>(v));
      }
    } else if constexpr (std::is_same_v<W, StructW>) {
      return Struct(p, v);
    } else if constexpr (std::is_same_v<W, VoidW>) {
      return p;
    } else if constexpr (kIsCounted<W>) {
      return PutCounted(p, v);
    } else if constexpr (kIsPointer<W>) {
      p = Put32(p, v.has_value() ? 1 : 0);
      return v ? Value<typename W::Value>(p, *v) : p;
    } else if constexpr (kIsChain<W>) {
      // The pointer's flag and its chain: 1 / element / 1 / … / element / 0.
      p = Put32(p, v.empty() ? 0 : 1);
      const size_t n = v.size();
      for (size_t i = 0; i < n; ++i) {
        p = Struct(p, v[i]);
        p = Put32(p, i + 1 < n ? 1 : 0);
      }
      return p;
    } else if constexpr (kIsArray<W>) {
      p = Put32(p, static_cast<uint32_t>(v.size()));
      for (const auto& e : v) p = Value<typename W::Element>(p, e);
      return p;
    } else {
      static_assert(std::is_same_v<W, UnionW>);
      using D = Discriminant<T>;
      p = Put32(p, static_cast<uint32_t>(D::Get(v)));
      return Arm(p, v, (v.*UnionSchema<T>::kArms).index());
    }
  }

  Profile profile_;
};

}  // namespace uxcom::xdr::internal

#endif  // UXCOM_XDR_INTERNAL_SCHEMA_WRITER_H_
