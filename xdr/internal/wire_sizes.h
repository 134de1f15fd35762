// Sizes of the fixed-size parts of the XCom layouts (wire-format spec §4).
#ifndef UXCOM_XDR_INTERNAL_WIRE_SIZES_H_
#define UXCOM_XDR_INTERNAL_WIRE_SIZES_H_

#include <cstddef>

#include "xdr/protocol_version.h"

namespace uxcom::xdr::internal {

inline constexpr size_t kUnit = 4;
inline constexpr size_t kSynodeNoSize = 16;    // group_id, msgno (u64), node
inline constexpr size_t kBallotSize = 8;       // cnt, node
inline constexpr size_t kXProtoRangeSize = 8;  // min_proto, max_proto
inline constexpr size_t kTransIdSize = 20;     // cfg, pc
// app_data from unique_id to recover, plus the union discriminant c_t.
inline constexpr size_t kAppDataHeadSize = 76;
// pax_msg fields 1-17 with the four pointer flags (the smallest x_1_0/x_1_1 body).
inline constexpr size_t kPaxMsgHeadSize = 100;
// pax_msg from `to` through msg_type: the fixed prefix before the first pointer flag.
inline constexpr size_t kPaxMsgPrefixSize = 72;

// The smallest body at V: every pointer NULL, every array empty.
constexpr size_t MinPaxMsgSize(ProtocolVersion v) {
  return kPaxMsgHeadSize + (CarriesDeliveredMsg(v) ? kSynodeNoSize : 0) +
         (CarriesEventHorizon(v) ? kUnit : 0) + (CarriesRequestedSynodeAppData(v) ? kUnit : 0);
}

// The fewest wire bytes one element of each array can take: a decoder reserves at most
// remaining / this many elements before it has read them.
inline constexpr size_t kMinNodeAddressSize = 8;                     // two empty strings (x_1_0)
inline constexpr size_t kMinSynodeAppDataSize = 20;                  // synode + empty checked_data
inline constexpr size_t kMinAppDataPtrSize = 4;                      // a NULL flag
inline constexpr size_t kMinConfigPtrSize = 4;                       // a NULL flag
inline constexpr size_t kMinAppDataSize = kAppDataHeadSize + kUnit;  // void arm + next flag

}  // namespace uxcom::xdr::internal

#endif  // UXCOM_XDR_INTERNAL_WIRE_SIZES_H_
