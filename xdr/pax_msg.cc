#include "xdr/pax_msg.h"

#include "xdr/internal/schema_traits.h"

namespace uxcom::xdr {

std::string_view ArmName(AppArm arm) {
  std::string_view name;
  internal::VisitArm<AppU>(static_cast<size_t>(arm), [&](auto i) {
    name = internal::ArmAt<AppU, decltype(i)::value>::kName;
    return true;
  });
  return name;
}

}  // namespace uxcom::xdr
