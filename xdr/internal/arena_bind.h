// Binding the pmr containers of a described structure to a memory resource (an Arena).
//
// A pmr container's resource is fixed at construction and is NOT transferred by move
// assignment between different resources (the elements are moved one by one into the old
// resource instead). So the containers of an arena-placed value are constructed on the arena,
// never assigned. Bind re-creates them in place without destroying them: their memory, if any,
// is arena memory that has been reset (a reused Decoder) or they were never allocated.
#ifndef UXCOM_XDR_INTERNAL_ARENA_BIND_H_
#define UXCOM_XDR_INTERNAL_ARENA_BIND_H_

#include <memory>
#include <memory_resource>
#include <optional>
#include <utility>
#include <variant>

#include "xdr/internal/schema_traits.h"

namespace uxcom::xdr::internal {

// Resets `value` to its empty form on `r`: containers empty and on `r`, optionals absent,
// unions holding their void arm, described structures member by member, scalars untouched.
// kFresh: `value` was just value-initialized, so its optionals are already absent and only
// its containers (on the default resource) need re-creating; a decode binds every element it
// appends, and re-creating absent optionals there cost measurable time (bench/README.md).
template <typename T, bool kFresh = false>
[[gnu::always_inline]] inline void Bind(T& value, std::pmr::memory_resource* r) {
  if constexpr (IsPmrVector<T>::value) {
    std::construct_at(&value, r);
  } else if constexpr (IsOptional<T>::value) {
    if constexpr (!kFresh) std::construct_at(&value);
  } else if constexpr (DescribedUnion<T>) {
    std::construct_at(&(value.*UnionSchema<T>::kArms), std::in_place_index<kVoidArm<T>>);
  } else if constexpr (Described<T>) {
    AllFields<T>([&](auto f) UXCOM_XDR_INLINE {
      Bind<std::remove_reference_t<decltype(decltype(f)::Get(value))>, kFresh>(
          decltype(f)::Get(value), r);
      return true;
    });
  }
}

// A fresh value of T whose containers are on `r`.
template <typename T>
T MakeBound(std::pmr::memory_resource* r) {
  if constexpr (IsPmrVector<T>::value) {
    return T(r);
  } else {
    T value{};
    Bind(value, r);
    return value;
  }
}

// Emplaces the alternative I of a variant, bound to `r`, and returns it.
template <size_t I, typename Variant>
[[gnu::always_inline]] inline auto& EmplaceBound(Variant& v, std::pmr::memory_resource* r) {
  using A = std::variant_alternative_t<I, Variant>;
  if constexpr (IsPmrVector<A>::value) {
    return v.template emplace<I>(r);
  } else {
    A& a = v.template emplace<I>();
    Bind(a, r);
    return a;
  }
}

// Emplaces an optional's value, bound to `r`, and returns it.
template <typename T>
[[gnu::always_inline]] inline T& EmplaceBound(std::optional<T>& o, std::pmr::memory_resource* r) {
  if constexpr (IsPmrVector<T>::value) {
    return o.emplace(r);
  } else {
    T& v = o.emplace();
    Bind<T, true>(v, r);
    return v;
  }
}

// Appends an element bound to `r` (pmr vectors of pmr vectors bind their elements themselves).
template <typename T>
[[gnu::always_inline]] inline T& AppendBound(std::pmr::vector<T>& v) {
  T& e = v.emplace_back();
  if constexpr (!IsPmrVector<T>::value) Bind<T, true>(e, v.get_allocator().resource());
  return e;
}

}  // namespace uxcom::xdr::internal

#endif  // UXCOM_XDR_INTERNAL_ARENA_BIND_H_
