// The first encoding pass, derived from the schemas: checks that protocol version V can carry a
// value (encode.h lists the rules) and computes its exact size. SchemaWriter is the second pass
// and trusts it.
#ifndef UXCOM_XDR_INTERNAL_SCHEMA_SIZER_H_
#define UXCOM_XDR_INTERNAL_SCHEMA_SIZER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "xdr/encode.h"
#include "xdr/enums.h"
#include "xdr/internal/error_trail.h"
#include "xdr/internal/schema_traits.h"
#include "xdr/internal/str_cat.h"
#include "xdr/xdr_reader.h"

namespace uxcom::xdr::internal {

// Structures whose size at V is a constant and that hold nothing to check: only scalars and
// such structures, all carried by every profile.
template <typename T, typename W, ProtocolVersion V>
constexpr bool TriviallySized() {
  if constexpr (std::is_same_v<W, ScalarW>) {
    return true;
  } else if constexpr (std::is_same_v<W, StructW>) {
    bool trivial = true;
    AllFields<T>([&](auto f) UXCOM_XDR_INLINE {
      using F = decltype(f);
      constexpr Carry c = kCarryAt<typename F::Versions, V>;
      trivial = trivial && c != Carry::kDepends && F::kStorage == Storage::kPlain &&
                (c == Carry::kNo || TriviallySized<typename F::Value, typename F::Wire, V>());
      return true;
    });
    return trivial;
  } else {
    return false;
  }
}

template <ProtocolVersion V>
class SchemaSizer {
 public:
  SchemaSizer(const EncodeOptions& options, const Limits& limits, ErrorTrail& trail)
      : options_(options), limits_(limits), trail_(trail) {}

  // Adds the size of `root` to size(); false (with the reason in the trail) if V cannot carry
  // it.
  template <typename S>
  bool Root(const S& root) {
    if (!Struct(root)) return false;
    if (n_ > kMaxBodySize) [[unlikely]]
      return TooLargeError();
    return true;
  }

  uint64_t size() const { return n_; }

 private:
  // --- failures, out of line -------------------------------------------------------------------
  [[gnu::noinline, gnu::cold]] bool TooLargeError() {
    return trail_.Fail(
        StrCat("body of ", n_, " bytes does not fit a frame of at most ", kMaxFrameSize, " bytes"));
  }
  template <Bound B>
  [[gnu::noinline, gnu::cold]] bool CountError(size_t count) {
    return trail_.Fail(StrCat("count ", count, " > ", BoundValue<B, V>(limits_), " (",
                              BoundName<B, V>(limits_), ")"));
  }
  template <Bound B>
  [[gnu::noinline, gnu::cold]] bool LengthError(size_t length) {
    return trail_.Fail(StrCat("length ", length, " > ", BoundValue<B, V>(limits_), " (",
                              BoundName<B, V>(limits_), ")"));
  }
  template <typename G>
  [[gnu::noinline, gnu::cold]] bool Missing(std::string_view field) {
    trail_.Fail(StrCat("absent, but ", DescribeProtocolVersion(V), " carries it (",
                       DescribeVersions<G>(), ")"));
    return trail_.In(field);
  }
  template <typename G>
  [[gnu::noinline, gnu::cold]] bool NotCarried(std::string_view field) {
    trail_.Fail(StrCat("present, but ", DescribeProtocolVersion(V), " does not carry it (only ",
                       DescribeVersions<G>(), ")"));
    return trail_.In(field);
  }
  template <typename G>
  [[gnu::noinline, gnu::cold]] bool LostEntries(std::string_view field, size_t entries) {
    trail_.Fail(StrCat(entries, " entries, but ", DescribeProtocolVersion(V),
                       " cannot carry them (", DescribeVersions<G>(), " only)"));
    return trail_.In(field);
  }
  template <typename U>
  [[gnu::noinline, gnu::cold]] bool ArmError(const U& u, size_t want) {
    using D = Discriminant<U>;
    const auto disc = D::Get(u);
    const size_t held = (u.*UnionSchema<U>::kArms).index();
    std::string profile_note;
    for (const ProfileRules& r : kProfileRules) {
      if (UnionSchema<U>::ArmIndex(disc, r.profile) != want) {
        profile_note = StrCat(" (under ", limits_.rules->name, "'s rules)");
      }
    }
    return trail_.Fail(StrCat(std::is_same_v<typename D::Member, CargoType> ? "cargo " : "",
                              DescribeEnum(disc), " selects the ", ArmLabel<U>(want), " arm",
                              profile_note, ", but the value holds the ", ArmLabel<U>(held),
                              " arm"));
  }
  template <typename U>
  [[gnu::noinline, gnu::cold]] bool DiscriminantVersionError(const U& u) {
    using D = Discriminant<U>;
    const auto disc = D::Get(u);
    trail_.Fail(StrCat(std::is_same_v<typename D::Member, CargoType> ? "cargo " : "",
                       DescribeEnum(disc), " is not known before ",
                       DescribeProtocolVersion(UnionSchema<U>::FirstVersion(disc)), "; a peer at ",
                       DescribeProtocolVersion(V), " would misparse the frame"));
    return trail_.In(D::kName);
  }
  template <typename U>
  static std::string ArmLabel(size_t arm) {
    std::string_view name;
    VisitArm<U>(arm, [&](auto i) UXCOM_XDR_INLINE {
      name = ArmAt<U, decltype(i)::value>::kName;
      return true;
    });
    return name.empty() ? std::string("void") : std::string(name);
  }

  // --- structures ------------------------------------------------------------------------------
  template <typename S>
  [[gnu::always_inline]] bool Struct(const S& s) {
    return AllFields<S>([&](auto f) UXCOM_XDR_INLINE { return OneField<decltype(f)>(s); });
  }

  template <typename F, typename S>
  [[gnu::always_inline]] bool OneField(const S& s) {
    constexpr Carry c = kCarryAt<typename F::Versions, V>;
    if constexpr (c == Carry::kYes) {
      return Carried<F>(s);
    } else if constexpr (c == Carry::kNo) {
      return Absent<F>(s);
    } else {
      return F::Versions::Carried(V, limits_.rules->profile) ? Carried<F>(s) : Absent<F>(s);
    }
  }

  template <typename F, typename S>
  [[gnu::always_inline]] bool Carried(const S& s) {
    const auto& m = F::Get(s);
    if constexpr (F::kStorage == Storage::kOptional) {
      if (!m) [[unlikely]]
        return Missing<typename F::Versions>(F::kName);
      return Value<typename F::Wire>(*m, F::kName);
    } else {
      return Value<typename F::Wire>(m, F::kName);
    }
  }

  // A field V does not carry: ignored, as MySQL ignores it (so that one message serves peers of
  // every version), or refused on request; a non-empty collection is always refused (lost).
  template <typename F, typename S>
  [[gnu::always_inline]] bool Absent(const S& s) {
    const auto& m = F::Get(s);
    if constexpr (F::kStorage == Storage::kCollection) {
      if (!m.empty()) [[unlikely]]
        return LostEntries<typename F::Versions>(F::kName, m.size());
    } else if constexpr (F::kStorage != Storage::kPlain) {
      if (m && options_.reject_fields_absent_in_version) [[unlikely]]
        return NotCarried<typename F::Versions>(F::kName);
    }
    return true;
  }

  // --- values ----------------------------------------------------------------------------------
  template <typename W, typename T>
  [[gnu::always_inline]] bool Value(const T& v, std::string_view name) {
    if constexpr (TriviallySized<T, W, V>()) {
      n_ += FixedSize<T, W, V>();
      return true;
    } else if constexpr (std::is_same_v<W, StructW>) {
      return Struct(v) || trail_.In(name);
    } else if constexpr (std::is_same_v<W, VoidW>) {
      return true;
    } else if constexpr (kIsCounted<W>) {
      if (v.size() > BoundValue<W::kBound, V>(limits_)) [[unlikely]] {
        LengthError<W::kBound>(v.size());
        return trail_.In(name);
      }
      n_ += kUnit + XdrPadded(v.size());
      return true;
    } else if constexpr (kIsPointer<W>) {
      n_ += kUnit;
      return !v || Value<typename W::Value>(*v, name);
    } else if constexpr (kIsChain<W>) {
      n_ += kUnit;  // the pointer's flag; each element adds its `next` flag
      size_t d = 0;
      for (const auto& e : v) {  // read once, as for arrays below
        n_ += kUnit;
        if (!Struct(e)) [[unlikely]]
          return trail_.InChain(name, d);
        ++d;
      }
      return true;
    } else if constexpr (kIsArray<W>) {
      using E = typename W::Element;
      using T0 = typename T::value_type;
      if (v.size() > BoundValue<W::kBound, V>(limits_)) [[unlikely]] {
        CountError<W::kBound>(v.size());
        return trail_.In(name);
      }
      n_ += kUnit;
      if constexpr (TriviallySized<T0, E, V>()) {
        n_ += FixedSize<T0, E, V>() * v.size();
      } else {
        // Range-for: begin and end are read once. Indexing re-read v's end (and divided by the
        // element size) at every element: GCC did not keep it across the stores to n_.
        size_t i = 0;
        for (const auto& e : v) {
          if (!Value<E>(e, "")) [[unlikely]]
            return trail_.In(name, i);
          ++i;
        }
      }
      return true;
    } else {
      static_assert(std::is_same_v<W, UnionW>);
      return Union(v) || trail_.In(name);
    }
  }

  template <typename U>
  [[gnu::always_inline]] bool Union(const U& u) {
    using D = Discriminant<U>;
    const auto disc = D::Get(u);
    const auto& arms = u.*UnionSchema<U>::kArms;
    const size_t want = UnionSchema<U>::ArmIndex(disc, limits_.rules->profile);
    if (arms.index() != want) [[unlikely]]
      return ArmError(u, want);
    if (options_.check_cargo_version && UnionSchema<U>::FirstVersion(disc) > V) [[unlikely]] {
      return DiscriminantVersionError(u);
    }
    n_ += kUnit;
    return VisitArm<U>(want, [&](auto i) UXCOM_XDR_INLINE {
      using A = ArmAt<U, decltype(i)::value>;
      return Value<typename A::Wire>(*std::get_if<decltype(i)::value>(&arms), A::kName);
    });
  }

  const EncodeOptions& options_;
  const Limits& limits_;
  ErrorTrail& trail_;
  uint64_t n_ = 0;
};

}  // namespace uxcom::xdr::internal

#endif  // UXCOM_XDR_INTERNAL_SCHEMA_SIZER_H_
