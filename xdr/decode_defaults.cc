#include "xdr/decode_defaults.h"

#include <variant>

#include "xdr/internal/arena_bind.h"
#include "xdr/internal/schema_traits.h"

namespace uxcom::xdr {
namespace {

class Filler {
 public:
  explicit Filler(std::pmr::memory_resource* r) : r_(r) {}

  template <typename T>
  void Fill(T& v) {
    if constexpr (internal::IsOptional<T>::value) {
      if (v) Fill(*v);
    } else if constexpr (internal::IsPmrVector<T>::value) {
      if constexpr (!std::is_same_v<typename T::value_type, bool>) {
        for (auto& e : v) Fill(e);
      }
    } else if constexpr (internal::DescribedUnion<T>) {
      std::visit([&](auto& arm) { Fill(arm); }, v.*internal::UnionSchema<T>::kArms);
    } else if constexpr (internal::Described<T>) {
      internal::AllFields<T>([&](auto f) {
        using F = decltype(f);
        auto& m = F::Get(v);
        if constexpr (F::kStorage == internal::Storage::kOptional) {
          if (!m) {
            auto& value = internal::EmplaceBound(m, r_);
            if constexpr (F::kHasDefault) F::kDefault(v, value);
          }
        }
        Fill(m);
        return true;
      });
    }
  }

 private:
  std::pmr::memory_resource* r_;
};

}  // namespace

void FillDecodeDefaults(PaxMsg& msg, std::pmr::memory_resource* resource) {
  Filler(resource).Fill(msg);
}

}  // namespace uxcom::xdr
