#include "xdr/copy.h"

#include <cstring>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "xdr/internal/arena_bind.h"
#include "xdr/internal/schema_traits.h"

namespace uxcom::xdr {
namespace {

using internal::AppendBound;
using internal::EmplaceBound;

// Copies `in` into `out`, whose containers are already on the arena (Bind): every value the
// schema describes, whatever the versions that carry it.
class Copier {
 public:
  explicit Copier(Arena& arena) : arena_(arena) {}

  template <typename T>
  void Copy(const T& in, T& out) {
    if constexpr (std::is_same_v<T, std::string_view>) {
      out = Text(in);
    } else if constexpr (internal::IsOptional<T>::value) {
      if (in) Copy(*in, EmplaceBound(out, &arena_));
    } else if constexpr (internal::IsPmrVector<T>::value) {
      out.reserve(in.size());
      for (const auto& e : in) {
        if constexpr (std::is_same_v<typename T::value_type, bool>) {
          out.push_back(e);
        } else {
          Copy(e, AppendBound(out));
        }
      }
    } else if constexpr (internal::DescribedUnion<T>) {
      using D = internal::Discriminant<T>;
      D::Get(out) = D::Get(in);
      const auto& arms = in.*internal::UnionSchema<T>::kArms;
      internal::VisitArm<T>(arms.index(), [&](auto i) {
        Copy(*std::get_if<decltype(i)::value>(&arms),
             EmplaceBound<decltype(i)::value>(out.*internal::UnionSchema<T>::kArms, &arena_));
        return true;
      });
    } else if constexpr (internal::Described<T>) {
      internal::AllFields<T>([&](auto f) {
        Copy(decltype(f)::Get(in), decltype(f)::Get(out));
        return true;
      });
    } else {
      static_assert(std::is_trivially_copyable_v<T>);
      out = in;
    }
  }

 private:
  std::string_view Text(std::string_view s) {
    if (s.empty()) return {};
    char* p = arena_.AllocateArray<char>(s.size());
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

  Arena& arena_;
};

}  // namespace

PaxMsg* CopyToArena(const PaxMsg& msg, Arena& arena) {
  PaxMsg* out = arena.New<PaxMsg>();
  internal::Bind(*out, &arena);
  Copier(arena).Copy(msg, *out);
  return out;
}

}  // namespace uxcom::xdr
