#include "xdr/pax_msg.h"

namespace uxcom::xdr {

std::string_view ArmName(AppArm arm) {
  switch (arm) {
    case AppArm::kNodes:
      return "nodes";
    case AppArm::kRep:
      return "rep";
    case AppArm::kData:
      return "data";
    case AppArm::kTd:
      return "td";
    case AppArm::kPresent:
      return "present";
    case AppArm::kCacheLimit:
      return "cache_limit";
    case AppArm::kEventHorizon:
      return "event_horizon";
    case AppArm::kSynodes:
      return "synodes";
    case AppArm::kVoid:
      break;
  }
  return "";
}

}  // namespace uxcom::xdr
