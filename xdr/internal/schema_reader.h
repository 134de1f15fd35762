// Decodes a described structure of protocol version V from a body, allocating only from an
// Arena: the one decode walk, derived from the schemas of pax_msg.h.
//
// Each value is read in wire order with the failure semantics of libtirpc's xdrmem (see
// XdrReader), so the position after a failure is the "consumed" of MySQL. Counts are checked
// against their bound and vectors reserve at most as many elements as the remaining bytes can
// hold, before anything is allocated. Nothing recurses with the input: chains are loops.
//
// Memory: every allocation that input can multiply (an array, a chain, a copied string) is first
// checked against the arena's cap (Arena::LimitGrowth, set by the caller); past it the decode
// fails (exhausted()). A chain longer than a few elements is counted by a skipping pass
// first, so that its vector is allocated once at its exact size instead of doubling (a doubling
// vector in an arena leaves every smaller copy behind: twice the memory).
//
// Speed comes from the schema too: consecutive fields of fixed size at V (and the length, count,
// flag or discriminant word of the variable field after them) form a run, taken with one bounds
// check and loaded at constant offsets; only when the run does not fit are its fields read one
// by one (out of line) to fail exactly where xdrmem would.
#ifndef UXCOM_XDR_INTERNAL_SCHEMA_READER_H_
#define UXCOM_XDR_INTERNAL_SCHEMA_READER_H_

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <utility>
#include <variant>

#include "xdr/arena.h"
#include "xdr/big_endian.h"
#include "xdr/internal/arena_bind.h"
#include "xdr/internal/error_trail.h"
#include "xdr/internal/schema_traits.h"
#include "xdr/internal/str_cat.h"
#include "xdr/limits.h"
#include "xdr/xdr_reader.h"

namespace uxcom::xdr::internal {

// Where the fields [I, End) of S stop being a run at V: fields of a fixed size at V that every
// profile carries, and fields no profile carries (zero bytes).
template <typename S, ProtocolVersion V, size_t I>
constexpr size_t RunEnd() {
  if constexpr (I == kFieldCount<S>) {
    return I;
  } else {
    using F = FieldAt<S, I>;
    constexpr Carry c = kCarryAt<typename F::Versions, V>;
    if constexpr (c == Carry::kNo) {
      return RunEnd<S, V, I + 1>();
    } else if constexpr (c == Carry::kYes &&
                         (F::kStorage == Storage::kPlain || F::kStorage == Storage::kOptional) &&
                         FixedSize<typename F::Value, typename F::Wire, V>() != 0) {
      return RunEnd<S, V, I + 1>();
    } else {
      return I;
    }
  }
}

// Bytes of the fields [I, J) of S at V (all in one run).
template <typename S, ProtocolVersion V, size_t I, size_t J>
constexpr size_t RunBytes() {
  if constexpr (I == J) {
    return 0;
  } else {
    using F = FieldAt<S, I>;
    if constexpr (kCarryAt<typename F::Versions, V> == Carry::kYes) {
      return FixedSize<typename F::Value, typename F::Wire, V>() + RunBytes<S, V, I + 1, J>();
    } else {
      return RunBytes<S, V, I + 1, J>();
    }
  }
}

// Whether field J of S can give its first word to the run before it.
template <typename S, ProtocolVersion V, size_t J>
constexpr bool HeadJoinsRun() {
  if constexpr (J >= kFieldCount<S>) {
    return false;
  } else {
    using F = FieldAt<S, J>;
    return kCarryAt<typename F::Versions, V> == Carry::kYes && F::kStorage != Storage::kOptional &&
           kHasHead<typename F::Wire>;
  }
}

// Whether every field of S but the last forms a run and the last is a union joining it (as
// app_data does): such elements are built in place from their loaded values, without first
// value-initializing them.
template <typename S, ProtocolVersion V>
constexpr bool BuiltFromRun() {
  constexpr size_t n = kFieldCount<S>;
  if constexpr (n < 2 || !kFullyDescribed<S>) {
    return false;
  } else {
    using Last = FieldAt<S, n - 1>;
    bool plain = true;
    [&]<size_t... I>(std::index_sequence<I...>) UXCOM_XDR_INLINE {
      ((plain = plain && FieldAt<S, I>::kStorage == Storage::kPlain), ...);
    }
    (std::make_index_sequence<n>{});
    return plain && RunEnd<S, V, 0>() == n - 1 && HeadJoinsRun<S, V, n - 1>() &&
           std::is_same_v<typename Last::Wire, UnionW>;
  }
}

template <ProtocolVersion V>
class SchemaReader {
 public:
  SchemaReader(std::span<const std::byte> body, Arena& arena, bool zero_copy, const Limits& limits,
               Profile profile, ErrorTrail& trail, const std::atomic<bool>* abandon = nullptr)
      : body_(body),
        r_(body),
        arena_(arena),
        zero_copy_(zero_copy),
        limits_(limits),
        profile_(profile),
        trail_(trail),
        abandon_(abandon) {}

  size_t offset() const { return r_.offset(); }
  // The decode failed for want of memory (the arena's growth cap), not for malformed input.
  bool exhausted() const { return exhausted_; }
  // The decode failed because *abandon became true.
  bool abandoned() const { return abandoned_; }

  // Decodes into `root`, abandoning what it held (without destroying it: its memory is in an
  // arena that has been reset, or it was never allocated).
  template <typename S>
  bool Root(S& root) {
    Bind(root, &arena_);
    return Struct(root);
  }

 private:
  // --- failures (out of line: the success path is all that gets inlined) -----------------------
  [[gnu::noinline, gnu::cold]] bool Short(size_t need, size_t at, size_t remaining) {
    return trail_.Fail(StrCat("needs ", need, " bytes, ", remaining, " remain"), at);
  }
  template <Bound B>
  [[gnu::noinline, gnu::cold]] bool LengthError(uint32_t length, size_t at) {
    return trail_.Fail(StrCat("length ", length, " > ", BoundValue<B, V>(limits_), " (",
                              BoundName<B, V>(limits_), ")"),
                       at);
  }
  [[gnu::noinline, gnu::cold]] bool OpaqueShort(uint32_t length, size_t remaining, size_t at) {
    return trail_.Fail(
        StrCat("length ", length, " needs ", XdrPadded(length), " bytes, ", remaining, " remain"),
        at);
  }
  template <Bound B>
  [[gnu::noinline, gnu::cold]] bool CountError(uint32_t count, size_t at) {
    return trail_.Fail(StrCat("count ", count, " > ", BoundValue<B, V>(limits_), " (",
                              BoundName<B, V>(limits_), ")"),
                       at);
  }
  [[gnu::noinline, gnu::cold]] bool OverBudget(size_t bytes, size_t at) {
    exhausted_ = true;
    return trail_.Fail(
        StrCat("decoding needs ", bytes, " more bytes of memory after ", arena_.used(),
               ": past the decode's bound (the body's size + ", "max_decode_overhead)"),
        at);
  }
  // Whether the arena may grow by n T (the decode's memory cap).
  template <typename T>
  [[gnu::always_inline]] bool Admit(size_t n, size_t at) {
    if (arena_.Admits(n * sizeof(T))) [[likely]]
      return true;
    return OverBudget(n * sizeof(T), at);
  }
  [[gnu::noinline, gnu::cold]] bool Abandoned(size_t at) {
    abandoned_ = true;
    return trail_.Fail("decode abandoned (its connection closed)", at);
  }
  bool ShouldAbandon() const {
    return abandon_ != nullptr && abandon_->load(std::memory_order_relaxed);
  }

  // The first word of a variable value (a length, count, flag or discriminant).
  [[gnu::always_inline]] bool Head(uint32_t& head, size_t& at) {
    at = r_.offset();
    if (r_.ReadU32(head)) [[likely]]
      return true;
    return Short(4, at, r_.remaining());
  }

  // --- structures ------------------------------------------------------------------------------
  template <typename S, size_t I = 0>
  [[gnu::always_inline]] bool Struct(S& s) {
    if constexpr (I == kFieldCount<S>) {
      return true;
    } else {
      constexpr size_t kEnd = RunEnd<S, V, I>();
      if constexpr (kEnd == I) {
        if (!OneField<FieldAt<S, I>>(s)) return false;
        return Struct<S, I + 1>(s);
      } else {
        constexpr bool kHead = HeadJoinsRun<S, V, kEnd>();
        constexpr size_t kRun = RunBytes<S, V, I, kEnd>();
        constexpr size_t kNext = kEnd + (kHead ? 1 : 0);
        if constexpr (kRun == 0) {
          return Struct<S, kEnd>(s);  // fields no profile carries at V
        } else {
          constexpr size_t kBytes = kRun + (kHead ? kUnit : 0);
          if (r_.Has(kBytes)) [[likely]] {
            const std::byte* b = r_.TakeUnchecked(kBytes);
            LoadFields<S, I, kEnd>(s, b);
            if constexpr (kHead) {
              using F = FieldAt<S, kEnd>;
              if (!Rest<typename F::Wire>(F::Get(s), LoadBigEndian32(b + kRun), r_.offset() - kUnit,
                                          F::kName)) {
                return false;
              }
            }
          } else if (!FieldByField<S, I, kNext>(s)) {
            return false;
          }
          return Struct<S, kNext>(s);
        }
      }
    }
  }

  // Fields [I, End) one by one: where a run does not fit, to fail exactly where xdrmem would.
  template <typename S, size_t I, size_t End>
  [[gnu::noinline, gnu::cold]] bool FieldByField(S& s) {
    return [&]<size_t... K>(std::index_sequence<K...>) UXCOM_XDR_INLINE {
      return (OneField<FieldAt<S, I + K>>(s) && ...);
    }
    (std::make_index_sequence<End - I>{});
  }

  template <typename F, typename S>
  [[gnu::always_inline]] bool OneField(S& s) {
    constexpr Carry c = kCarryAt<typename F::Versions, V>;
    if constexpr (c == Carry::kNo) {
      return true;  // stays absent (fresh, or reset by Bind)
    } else if constexpr (c == Carry::kYes) {
      return Carried<F>(s);
    } else {
      return !F::Versions::Carried(V, profile_) || Carried<F>(s);
    }
  }

  template <typename F, typename S>
  [[gnu::always_inline]] bool Carried(S& s) {
    if constexpr (F::kStorage == Storage::kOptional) {
      return Value<typename F::Wire>(EmplaceBound(F::Get(s), &arena_), F::kName);
    } else {
      return Value<typename F::Wire>(F::Get(s), F::kName);
    }
  }

  // Stores the fields [I, End) of a run starting at `b` (offsets relative to field I).
  template <typename S, size_t I, size_t End>
  [[gnu::always_inline]] static void LoadFields(S& s, const std::byte* b) {
    [&]<size_t... K>(std::index_sequence<K...>) UXCOM_XDR_INLINE {
      (LoadField<FieldAt<S, I + K>>(s, b + RunBytes<S, V, I, I + K>()), ...);
    }
    (std::make_index_sequence<End - I>{});
  }
  template <typename F, typename S>
  [[gnu::always_inline]] static void LoadField(S& s, const std::byte* p) {
    if constexpr (kCarryAt<typename F::Versions, V> == Carry::kYes) {
      if constexpr (F::kStorage == Storage::kOptional) {
        F::Get(s).emplace(Load<typename F::Value, typename F::Wire>(p));  // = is out of line
      } else {
        F::Get(s) = Load<typename F::Value, typename F::Wire>(p);
      }
    }
  }
  template <typename T, typename W>
  [[gnu::always_inline]] static T Load(const std::byte* p) {
    if constexpr (std::is_same_v<W, StructW>) {
      T t;
      LoadFields<T, 0, kFieldCount<T>>(t, p);
      return t;
    } else if constexpr (std::is_same_v<T, bool>) {
      return LoadBigEndian32(p) != 0;
    } else if constexpr (std::is_same_v<T, double>) {
      return std::bit_cast<double>(LoadBigEndian64(p));
    } else if constexpr (sizeof(T) == 8) {
      return static_cast<T>(LoadBigEndian64(p));
    } else {
      return static_cast<T>(LoadBigEndian32(p));
    }
  }

  // --- values ----------------------------------------------------------------------------------
  // One value of wire form W, its failures attributed to `name`.
  template <typename W, typename T>
  [[gnu::always_inline]] bool Value(T& v, std::string_view name) {
    if constexpr (std::is_same_v<W, ScalarW>) {
      const size_t at = r_.offset(), remaining = r_.remaining();
      if constexpr (sizeof(T) == 8) {
        uint64_t bits;
        if (r_.ReadU64(bits)) [[likely]] {
          v = std::bit_cast<T>(bits);
          return true;
        }
        Short(8, at, remaining);
      } else {
        uint32_t word;
        if (r_.ReadU32(word)) [[likely]] {
          if constexpr (std::is_same_v<T, bool>) {
            v = word != 0;
          } else {
            v = static_cast<T>(word);
          }
          return true;
        }
        Short(4, at, remaining);
      }
      return trail_.In(name);
    } else if constexpr (std::is_same_v<W, StructW>) {
      return Struct(v) || trail_.In(name);
    } else if constexpr (std::is_same_v<W, VoidW>) {
      return true;
    } else {
      // Initialized although Head sets both on success: GCC 12's -O2 cannot see that the
      // failure path never reads them (-Wmaybe-uninitialized).
      uint32_t head = 0;
      size_t at = 0;
      if (!Head(head, at)) [[unlikely]] {
        if constexpr (kIsChain<W>) {
          return trail_.InChain(name, 0);
        } else {
          return trail_.In(name);
        }
      }
      return Rest<W>(v, head, at, name);
    }
  }

  // The rest of a variable value whose first word, read at `at`, is `head`.
  template <typename W, typename T>
  [[gnu::always_inline]] bool Rest(T& v, uint32_t head, size_t at, std::string_view name) {
    if constexpr (std::is_same_v<W, UnionW>) {
      return UnionRest(v, head) || trail_.In(name);
    } else if constexpr (kIsCounted<W>) {
      return Counted<W::kBound>(v, head, at) || trail_.In(name);
    } else if constexpr (kIsPointer<W>) {
      if (head == 0) return true;  // NULL; any other value is "present", as in xdrmem
      return Value<typename W::Value>(EmplaceBound(v, &arena_), name);
    } else if constexpr (kIsChain<W>) {
      return ChainRest(v, head, name);
    } else {
      return ArrayRest<W>(v, head, at, name);
    }
  }

  template <Bound B>
  [[gnu::always_inline]] bool Counted(std::string_view& out, uint32_t length, size_t at) {
    if (length > BoundValue<B, V>(limits_)) [[unlikely]]
      return LengthError<B>(length, at);
    const size_t remaining = r_.remaining();
    const std::byte* data = nullptr;
    if (!r_.ReadOpaque(length, data)) [[unlikely]]
      return OpaqueShort(length, remaining, at);
    if (zero_copy_ || length == 0) {
      out = std::string_view(reinterpret_cast<const char*>(data), length);
    } else {
      if (!Admit<char>(length, at)) [[unlikely]]
        return false;
      char* copy = arena_.AllocateArray<char>(length);
      std::memcpy(copy, data, length);
      out = std::string_view(copy, length);
    }
    return true;
  }

  template <typename W, typename T>
  bool ArrayRest(std::pmr::vector<T>& vec, uint32_t count, size_t at, std::string_view name) {
    using E = typename W::Element;
    if (count > BoundValue<W::kBound, V>(limits_)) [[unlikely]] {
      CountError<W::kBound>(count, at);
      return trail_.In(name);
    }
    constexpr size_t kMin = MinSize<T, E, V>();
    const size_t reserve = std::min<size_t>(count, r_.remaining() / std::max<size_t>(kMin, 1));
    if (!Admit<T>(reserve, at)) [[unlikely]]
      return trail_.In(name);
    vec.reserve(reserve);
    constexpr size_t kFixed = FixedSize<T, E, V>();
    if constexpr (kFixed != 0) {
      // Elements of a fixed size: one bounds check for all of them.
      if (r_.Has(size_t{count} * kFixed)) [[likely]] {
        const std::byte* b = r_.TakeUnchecked(size_t{count} * kFixed);
        for (uint32_t i = 0; i < count; ++i) vec.push_back(Load<T, E>(b + i * kFixed));
        return true;
      }
    }
    for (uint32_t i = 0; i < count; ++i) {
      bool ok;
      if constexpr (std::is_same_v<T, bool>) {
        bool b = false;
        ok = Value<E>(b, "");
        vec.push_back(b);
      } else {
        ok = Value<E>(AppendBound(vec), "");
      }
      if (!ok) [[unlikely]]
        return trail_.In(name, i);
    }
    return true;
  }

  // A chain whose pointer flag was `flag`: element, next flag, element, … (a loop).
  template <typename T>
  bool ChainRest(std::pmr::vector<T>& list, uint32_t flag, std::string_view name) {
    if (flag == 0) return true;
    // Typical chains are short; reserving a few elements (never more than the remaining bytes
    // could hold) saves the growth steps of the common cases. A longer chain is counted, then
    // allocated once at its size.
    const size_t first = std::min<size_t>(r_.remaining() / kMinChainElement<T, V> + 1, kShortChain);
    if (!Admit<T>(first, r_.offset())) [[unlikely]]
      return trail_.InChain(name, 0);
    list.reserve(first);
    for (size_t depth = 0;; ++depth) {
      if (list.size() == list.capacity()) [[unlikely]] {
        if (!GrowChain(list)) return trail_.InChain(name, depth);
      }
      if (!Element(list)) [[unlikely]]
        return trail_.InChain(name, depth);
      if ((depth & 0xFFF) == 0xFFF && ShouldAbandon()) [[unlikely]] {
        Abandoned(r_.offset());
        return trail_.InChain(name, depth + 1);
      }
      uint32_t next = 0;
      size_t at = 0;
      if (!Head(next, at)) [[unlikely]]
        return trail_.InChain(name, depth + 1);
      if (next == 0) return true;
    }
  }

  static constexpr size_t kShortChain = kDecodeChainReservation;

  // Makes room for the rest of a chain, counted from here.
  template <typename T>
  [[gnu::noinline]] bool GrowChain(std::pmr::vector<T>& list) {
    const size_t at = r_.offset();
    if (ShouldAbandon()) return Abandoned(at);
    const size_t want = list.size() + std::max<size_t>(CountChain<T>(), 1);
    if (!Admit<T>(want, at)) return false;
    list.reserve(want);
    return true;
  }

  // How many elements of a chain start here (an element, its next flag, …), by a skipping pass
  // in a scratch arena: the elements that decode, plus the one that fails (which the real pass
  // appends before it fails).
  template <typename T>
  size_t CountChain() {
    Arena scratch(16 * 1024);
    ErrorTrail ignored;
    SchemaReader skip(body_.subspan(r_.offset()), scratch, /*zero_copy=*/true, limits_, profile_,
                      ignored, abandon_);
    size_t n = 0;
    for (;;) {
      scratch.Reset();
      std::pmr::vector<T> one(&scratch);
      ++n;
      if (!skip.Element(one)) return n;
      uint32_t next = 0;
      size_t next_at = 0;
      if (!skip.Head(next, next_at) || next == 0) return n;
      if ((n & 0xFFF) == 0 && ShouldAbandon()) return n;
    }
  }

  // Appends the next element of a chain.
  // Building an element in place from its values needs C++20's parenthesized aggregate
  // initialization (GCC 10+; not clang 14, the fuzz build's compiler, which takes the
  // field-by-field path).
#if defined(__cpp_aggregate_paren_init) && __cpp_aggregate_paren_init >= 201902L
  static constexpr bool kInPlaceElements = true;
#else
  static constexpr bool kInPlaceElements = false;
#endif

  template <typename T>
  [[gnu::always_inline]] bool Element(std::pmr::vector<T>& list) {
    if constexpr (kInPlaceElements && BuiltFromRun<T, V>()) {
      constexpr size_t n = kFieldCount<T>;
      constexpr size_t kRun = RunBytes<T, V, 0, n - 1>();
      using Last = FieldAt<T, n - 1>;
      using U = typename Last::Value;
      if (r_.Has(kRun + kUnit)) [[likely]] {
        const std::byte* b = r_.TakeUnchecked(kRun + kUnit);
        using D = Discriminant<U>;
        const auto disc = static_cast<typename D::Member>(LoadBigEndian32(b + kRun));
        // Built in place from its values: value-initializing an element first would zero it
        // (GCC emits rep stos for that) only to overwrite it.
        T& e = [&]<size_t... K>(std::index_sequence<K...>) UXCOM_XDR_INLINE->T& {
          return list.emplace_back(
              Load<typename FieldAt<T, K>::Value, typename FieldAt<T, K>::Wire>(
                  b + RunBytes<T, V, 0, K>())...,
              VoidUnion<U>{disc});
        }
        (std::make_index_sequence<n - 1>{});
        return UnionRest(Last::Get(e), static_cast<uint32_t>(disc)) || trail_.In(Last::kName);
      }
      T& e = AppendBound(list);
      return FieldByField<T, 0, n>(e);
    } else {
      return Struct(AppendBound(list));
    }
  }

  // A union with its discriminant and its void arm, built where the conversion's result goes
  // (an element's member, constructed in place by emplace_back: no variant is moved).
  template <typename U>
  struct VoidUnion {
    typename Discriminant<U>::Member disc;
    operator U() const {  // NOLINT: converts where the union is constructed
      return U(disc, ArmVariant<U>(std::in_place_index<kVoidArm<U>>));
    }
  };

  // The arm a union's discriminant selects (unknown values: the default void arm). The union
  // holds its void arm (fresh or bound), so the arm is constructed over it without a variant
  // reset.
  template <typename U>
  [[gnu::always_inline]] bool UnionRest(U& u, uint32_t disc) {
    using D = Discriminant<U>;
    auto& d = D::Get(u);
    d = static_cast<typename D::Member>(disc);
    auto& arms = u.*UnionSchema<U>::kArms;
    return VisitArm<U>(UnionSchema<U>::ArmIndex(d, profile_), [&](auto i) UXCOM_XDR_INLINE {
      constexpr size_t I = decltype(i)::value;
      using A = ArmAt<U, I>;
      using Alternative = typename A::Value;
      if constexpr (std::is_same_v<typename A::Wire, VoidW>) {
        return true;  // already the void arm
      } else if constexpr (IsPmrVector<Alternative>::value) {
        std::construct_at(&arms, std::in_place_index<I>, &arena_);
        return Value<typename A::Wire>(*std::get_if<I>(&arms), A::kName);
      } else {
        std::construct_at(&arms, std::in_place_index<I>);
        Alternative& arm = *std::get_if<I>(&arms);
        Bind(arm, &arena_);
        return Value<typename A::Wire>(arm, A::kName);
      }
    });
  }

  const std::span<const std::byte> body_;
  XdrReader r_;
  Arena& arena_;
  const bool zero_copy_;
  const Limits& limits_;
  const Profile profile_;
  ErrorTrail& trail_;
  const std::atomic<bool>* abandon_;
  bool exhausted_ = false;
  bool abandoned_ = false;
};

}  // namespace uxcom::xdr::internal

#endif  // UXCOM_XDR_INTERNAL_SCHEMA_READER_H_
