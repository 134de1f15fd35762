// What the walkers derive from a schema (xdr/schema.h) at compile time: each field's storage,
// its resolved wire form, whether a version carries it, fixed and minimum wire sizes, and the
// bounds. Nothing here names a field of pax_msg.
#ifndef UXCOM_XDR_INTERNAL_SCHEMA_TRAITS_H_
#define UXCOM_XDR_INTERNAL_SCHEMA_TRAITS_H_

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "xdr/limits.h"
#include "xdr/pax_msg.h"
#include "xdr/profile.h"
#include "xdr/protocol_version.h"
#include "xdr/schema.h"

// The walkers' lambdas (field folds, arm dispatch) are inlined like the functions they are in:
// the encode and decode paths are flattened into one function each, and an out-of-line lambda
// would keep the write position in memory.
#define UXCOM_XDR_INLINE __attribute__((always_inline))

namespace uxcom::xdr::internal {

using schema::Bound;

// --- types ---------------------------------------------------------------------------------------
template <typename T>
struct IsPmrVector : std::false_type {};
template <typename T>
struct IsPmrVector<std::pmr::vector<T>> : std::true_type {};
template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <typename T>
concept Described = requires {
  typename schema::Schema<T>::Fields;
};
template <typename T>
concept DescribedUnion = requires {
  typename schema::Schema<T>::Arms;
};
template <typename T>
concept ScalarValue = std::is_arithmetic_v<T> || std::is_enum_v<T>;

// --- resolved wire forms -------------------------------------------------------------------------
struct ScalarW {};
struct StructW {};
struct UnionW {};
struct VoidW {};
template <Bound B, bool kText>
struct CountedW {
  static constexpr Bound kBound = B;
  static constexpr bool kIsText = kText;
};
template <Bound B, typename ElementW>
struct ArrayW {
  static constexpr Bound kBound = B;
  using Element = ElementW;
};
template <typename ValueW>
struct PointerW {
  using Value = ValueW;
};
template <typename ElementW>
struct ChainW {
  using Element = ElementW;
};

template <typename W>
inline constexpr bool kIsCounted = false;
template <Bound B, bool T>
inline constexpr bool kIsCounted<CountedW<B, T>> = true;
template <typename W>
inline constexpr bool kIsArray = false;
template <Bound B, typename E>
inline constexpr bool kIsArray<ArrayW<B, E>> = true;
template <typename W>
inline constexpr bool kIsPointer = false;
template <typename E>
inline constexpr bool kIsPointer<PointerW<E>> = true;
template <typename W>
inline constexpr bool kIsChain = false;
template <typename E>
inline constexpr bool kIsChain<ChainW<E>> = true;

// The wire form of a T declared as W.
template <typename T, typename W>
struct Resolve;
template <typename T>
requires ScalarValue<T>
struct Resolve<T, schema::Auto> {
  using type = ScalarW;
};
template <Described T>
struct Resolve<T, schema::Auto> {
  using type = StructW;
};
template <DescribedUnion T>
struct Resolve<T, schema::Auto> {
  using type = UnionW;
};
template <>
struct Resolve<std::monostate, schema::Void> {
  using type = VoidW;
};
template <Bound B>
struct Resolve<std::string_view, schema::String<B>> {
  using type = CountedW<B, true>;
};
template <Bound B>
struct Resolve<std::string_view, schema::Opaque<B>> {
  using type = CountedW<B, false>;
};
template <typename T, Bound B, typename E>
struct Resolve<std::pmr::vector<T>, schema::Array<B, E>> {
  using type = ArrayW<B, typename Resolve<T, E>::type>;
};
template <typename T, typename E>
struct Resolve<std::optional<T>, schema::Pointer<E>> {
  using type = PointerW<typename Resolve<T, E>::type>;
};
template <Described T>
struct Resolve<std::pmr::vector<T>, schema::Chain> {
  using type = ChainW<StructW>;
};
template <typename T, typename W>
using ResolveT = typename Resolve<T, W>::type;

// --- fields --------------------------------------------------------------------------------------
template <typename C, typename M>
C ParentOf(M C::*);
template <typename C, typename M>
M MemberOf(M C::*);

// How a field is stored relative to the versions that carry it.
enum class Storage {
  kPlain,       // every version carries it
  kOptional,    // std::optional<T>: absent when not carried, required when carried
  kCollection,  // a vector: empty when not carried (a non-empty one cannot be encoded there)
  kPointer,     // std::optional<T> as an XDR pointer: NULL is also what "not carried" looks like
};

template <typename W>
inline constexpr bool kDeclaredPointer = false;
template <typename E>
inline constexpr bool kDeclaredPointer<schema::Pointer<E>> = true;

template <typename F>
struct FieldInfo;
template <schema::Name N, auto M, typename W, typename G, auto D>
struct FieldInfo<schema::Field<N, M, W, G, D>> {
  using Parent = decltype(ParentOf(M));
  using Member = decltype(MemberOf(M));
  using Versions = G;
  static constexpr std::string_view kName = N.view();
  static constexpr auto kMember = M;
  static constexpr auto kDefault = D;
  // By type, not by comparing a function's address: GCC's ASan build refuses the latter in a
  // constant expression.
  static constexpr bool kHasDefault = !std::is_same_v<decltype(D), std::nullptr_t>;
  static constexpr bool kGated = !std::is_same_v<G, schema::Always>;
  static constexpr Storage kStorage = !kGated                     ? Storage::kPlain
                                      : kDeclaredPointer<W>       ? Storage::kPointer
                                      : IsOptional<Member>::value ? Storage::kOptional
                                                                  : Storage::kCollection;
  // What the wire form applies to: the optional's value for kOptional, the member otherwise.
  using Value = typename std::conditional_t<kStorage == Storage::kOptional, Member,
                                            std::optional<Member>>::value_type;
  using Wire = ResolveT<Value, W>;

  static Member& Get(Parent& p) { return p.*M; }
  static const Member& Get(const Parent& p) { return p.*M; }
};

template <typename L>
struct ListSize;
template <typename... Fs>
struct ListSize<schema::FieldList<Fs...>> : std::integral_constant<size_t, sizeof...(Fs)> {};
template <typename... As>
struct ListSize<schema::ArmList<As...>> : std::integral_constant<size_t, sizeof...(As)> {};

template <typename L, size_t I>
struct ListAt;
template <typename... Fs, size_t I>
struct ListAt<schema::FieldList<Fs...>, I> {
  using type = std::tuple_element_t<I, std::tuple<Fs...>>;
};
template <typename... As, size_t I>
struct ListAt<schema::ArmList<As...>, I> {
  using type = std::tuple_element_t<I, std::tuple<As...>>;
};

template <typename S>
inline constexpr size_t kFieldCount = ListSize<typename schema::Schema<S>::Fields>::value;
template <typename S, size_t I>
using FieldAt = FieldInfo<typename ListAt<typename schema::Schema<S>::Fields, I>::type>;

// An aggregate's number of members, by probing brace initialization.
struct AnyValue {
  template <typename T>
  operator T() const;  // NOLINT: converts to any member type (unevaluated only)
};
template <typename T, typename... A>
constexpr size_t AggregateArity() {
  if constexpr (requires { T{A{}..., AnyValue{}}; }) {
    return AggregateArity<T, A..., AnyValue>();
  } else {
    return sizeof...(A);
  }
}

// Every member of a described structure is in its schema: a member added without its schema
// line fails to compile, instead of being silently skipped by every walker.
template <typename S>
inline constexpr bool kFullyDescribed = AggregateArity<S>() == kFieldCount<S>;

// Calls fn(FieldAt<S, I>{}) for every field in order while it returns true.
template <typename S, typename Fn>
[[gnu::always_inline]] constexpr bool AllFields(Fn&& fn) {
  static_assert(kFullyDescribed<S>, "a member of this structure is missing from its schema");
  return [&]<size_t... I>(std::index_sequence<I...>) UXCOM_XDR_INLINE {
    return (fn(FieldAt<S, I>{}) && ...);
  }
  (std::make_index_sequence<kFieldCount<S>>{});
}

// --- unions --------------------------------------------------------------------------------------
template <typename A>
struct ArmInfo;
template <schema::Name N, typename W>
struct ArmInfo<schema::Arm<N, W>> {
  static constexpr std::string_view kName = N.view();
  using Declared = W;
};
template <typename U>
using UnionSchema = schema::Schema<U>;
template <typename U>
using Discriminant = FieldInfo<typename UnionSchema<U>::Discriminant>;
template <typename U>
using ArmVariant = std::remove_cvref_t<decltype(std::declval<U&>().*UnionSchema<U>::kArms)>;
template <typename U>
inline constexpr size_t kArmCount = ListSize<typename UnionSchema<U>::Arms>::value;
template <typename U, size_t I>
struct ArmAt {
  using Info = ArmInfo<typename ListAt<typename UnionSchema<U>::Arms, I>::type>;
  using Value = std::variant_alternative_t<I, ArmVariant<U>>;
  using Wire = ResolveT<Value, typename Info::Declared>;
  static constexpr std::string_view kName = Info::kName;
};
template <typename U>
inline constexpr size_t kVoidArm = [] {
  size_t found = kArmCount<U>;
  [&]<size_t... I>(std::index_sequence<I...>) UXCOM_XDR_INLINE {
    ((std::is_same_v<typename ArmAt<U, I>::Wire, VoidW> ? (found = I, true) : false) || ...);
  }
  (std::make_index_sequence<kArmCount<U>>{});
  return found;
}();

// Calls fn(std::integral_constant<size_t, I>{}) for the arm I == index; returns its result.
template <typename U, typename Fn>
[[gnu::always_inline]] inline bool VisitArm(size_t index, Fn&& fn) {
  return [&]<size_t... I>(std::index_sequence<I...>) UXCOM_XDR_INLINE {
    bool result = true;
    ((index == I ? (result = fn(std::integral_constant<size_t, I>{}), true) : false) || ...);
    return result;
  }
  (std::make_index_sequence<kArmCount<U>>{});
}

// --- versions ------------------------------------------------------------------------------------
enum class Carry { kNo, kYes, kDepends };  // at a version, across the profiles

template <typename G, ProtocolVersion V>
inline constexpr Carry kCarryAt = [] {
  bool any = false, all = true;
  for (const ProfileRules& r : kProfileRules) {
    const bool c = G::Carried(V, r.profile);
    any = any || c;
    all = all && c;
  }
  return all ? Carry::kYes : any ? Carry::kDepends : Carry::kNo;
}();

// "x_1_4 (5) and later", for messages about a field's versions.
template <typename G>
std::string DescribeVersions() {
  std::string out = DescribeProtocolVersion(G::kFrom) + " and later";
  if constexpr (G::kExtra != ProtocolVersion::kUnknown) {
    out += ", and " + DescribeProtocolVersion(G::kExtra) + " from " +
           std::string(ProfileName(G::kExtraFrom));
  }
  return out;
}

// --- sizes ---------------------------------------------------------------------------------------
inline constexpr size_t kUnit = 4;

template <typename T, typename W, ProtocolVersion V>
constexpr size_t FixedSize();  // 0 when not fixed at V
template <typename T, typename W, ProtocolVersion V>
constexpr size_t MinSize();  // the fewest bytes a value takes at V

template <typename S, ProtocolVersion V>
constexpr size_t FixedStructSize() {
  size_t total = 0;
  bool fixed = true;
  AllFields<S>([&](auto f) UXCOM_XDR_INLINE {
    using F = decltype(f);
    constexpr Carry c = kCarryAt<typename F::Versions, V>;
    if constexpr (c == Carry::kDepends) {
      fixed = false;
    } else if constexpr (c == Carry::kYes) {
      constexpr size_t n = FixedSize<typename F::Value, typename F::Wire, V>();
      if (n == 0) fixed = false;
      if constexpr (F::kStorage == Storage::kCollection || F::kStorage == Storage::kPointer) {
        fixed = false;
      }
      total += n;
    }
    return true;
  });
  return fixed ? total : 0;
}

template <typename T, typename W, ProtocolVersion V>
constexpr size_t FixedSize() {
  if constexpr (std::is_same_v<W, ScalarW>) {
    return sizeof(T) == 8 ? 8 : kUnit;
  } else if constexpr (std::is_same_v<W, StructW>) {
    return FixedStructSize<T, V>();
  } else {
    return 0;
  }
}

template <typename S, ProtocolVersion V>
constexpr size_t MinStructSize() {
  size_t total = 0;
  AllFields<S>([&](auto f) UXCOM_XDR_INLINE {
    using F = decltype(f);
    if constexpr (kCarryAt<typename F::Versions, V> == Carry::kYes) {
      total += MinSize<typename F::Value, typename F::Wire, V>();
    }
    return true;
  });
  return total;
}

template <typename T, typename W, ProtocolVersion V>
constexpr size_t MinSize() {
  if constexpr (std::is_same_v<W, ScalarW>) {
    return sizeof(T) == 8 ? 8 : kUnit;
  } else if constexpr (std::is_same_v<W, StructW>) {
    return MinStructSize<T, V>();
  } else if constexpr (std::is_same_v<W, VoidW>) {
    return 0;
  } else {
    return kUnit;  // a count, a length, a flag or a discriminant
  }
}

// The fewest bytes one element of a chain takes: the element and its `next` flag.
template <typename T, ProtocolVersion V>
inline constexpr size_t kMinChainElement = MinStructSize<T, V>() + kUnit;

// Variable forms that start with a u32 (a length, a count, a flag, a discriminant): a run of
// fixed fields before them can take that word along.
template <typename W>
inline constexpr bool kHasHead =
    kIsCounted<W> || kIsArray<W> || kIsPointer<W> || kIsChain<W> || std::is_same_v<W, UnionW>;

// --- bounds --------------------------------------------------------------------------------------
// The limits a call applies, from its profile and options.
struct Limits {
  const ProfileRules* rules;
  uint64_t max_blob;           // MAXBLOB, or DecodeOptions::max_blob_bytes
  bool x_1_0_address_bounded;  // the profile's rule, or EncodeOptions::bound_x_1_0_address
};

template <Bound B, ProtocolVersion V>
inline constexpr bool kConstantBound = B != Bound::kMaxBlob&& B != Bound::kSiteDefs &&
                                       !(B == Bound::kNodeAddress && V == ProtocolVersion::kX1_0);

inline constexpr uint64_t kLength32Max = 0xFFFFFFFFull;
// libtirpc refuses a string length of 2^32 - 1 (it adds one for the NUL).
inline constexpr uint64_t kUnboundedStringMax = 0xFFFFFFFEull;

template <Bound B, ProtocolVersion V>
[[gnu::always_inline]] inline uint64_t BoundValue(const Limits& limits) {
  if constexpr (B == Bound::kNServers) {
    return kMaxNodes;
  } else if constexpr (B == Bound::kMaxName) {
    return kMaxNameBytes;
  } else if constexpr (B == Bound::kMaxError) {
    return kMaxErrorBytes;
  } else if constexpr (B == Bound::kMaxSynodeArray) {
    return kMaxSynodeArray;
  } else if constexpr (B == Bound::kMaxAppPtrArray) {
    return kMaxAppPtrArray;
  } else if constexpr (B == Bound::kMaxBlob) {
    return limits.max_blob;
  } else if constexpr (B == Bound::kSiteDefs) {
    return limits.rules->max_configs;
  } else if constexpr (B == Bound::kNodeAddress) {
    if constexpr (V == ProtocolVersion::kX1_0) {
      return limits.x_1_0_address_bounded ? kMaxNameBytes : kUnboundedStringMax;
    } else {
      return kMaxNameBytes;
    }
  } else {
    return kLength32Max;
  }
}

// The bound's name in messages: "NSERVERS", "MAXBLOB of 8.0.18", …
template <Bound B, ProtocolVersion V>
std::string BoundName(const Limits& limits) {
  std::string profile(limits.rules->name);
  if constexpr (B == Bound::kNServers) {
    return "NSERVERS";
  } else if constexpr (B == Bound::kMaxName) {
    return "MAXNAME";
  } else if constexpr (B == Bound::kMaxError) {
    return "MAXERROR";
  } else if constexpr (B == Bound::kMaxSynodeArray) {
    return "MAX_SYNODE_ARRAY";
  } else if constexpr (B == Bound::kMaxAppPtrArray) {
    return "MAX_APP_PTR_ARRAY";
  } else if constexpr (B == Bound::kMaxBlob) {
    return limits.max_blob == limits.rules->max_blob_bytes ? "MAXBLOB of " + profile
                                                           : std::string("max_blob_bytes");
  } else if constexpr (B == Bound::kSiteDefs) {
    return std::string(limits.rules->configs_bound) + " of " + profile;
  } else if constexpr (B == Bound::kNodeAddress) {
    if (BoundValue<B, V>(limits) == kMaxNameBytes) return "MAXNAME";
    return "32-bit string length";
  } else {
    return "32-bit length";
  }
}

}  // namespace uxcom::xdr::internal

#endif  // UXCOM_XDR_INTERNAL_SCHEMA_TRAITS_H_
