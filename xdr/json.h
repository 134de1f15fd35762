// PaxMsg and FrameHeader as JSON, in the conventions of the golden manifests (and of xcomdump),
// derived from the schemas of pax_msg.h:
//
// * field names of xcom_vp.x, in wire order; only the fields the protocol version carries under
//   the profile (no delivered_msg before x_1_2, no node proto at x_1_0, log_end at x_1_3 only
//   under 8.0.39, …);
// * u32/i32 as numbers, 64-bit integers (msgno, lsn, cache_limit) as decimal strings;
// * opaque data (checked_data, blob data) as lowercase hex, a blob as {"data": "<hex>"};
// * strings as JSON strings; a string whose bytes are not valid UTF-8 (never the case in
//   8.0.18 traffic) as {"hex": "<hex>"} instead, so that nothing is lost;
// * doubles as {"hex": "<16 hex digits>", "decimal": "<%.17g>"} ("NaN", "Infinity",
//   "-Infinity"); hex is what is read back;
// * enums as {"name": "<xcom_vp.x name>" or null, "value": <number>}, named as the profile's
//   release names them (cargo 3 is "xcom_recover" in 8.0.18, null in 8.0.39);
// * absent pointers as null; unions as {"c_t": <enum>, "<arm>": <value>} (void arms: c_t only);
// * an app_data chain nested through "next", as on the wire.
//
//   nlohmann::ordered_json j = PaxMsgToJson(msg, ProtocolVersion::kX1_9, Profile::k8_0_39);
//   Arena arena;
//   absl::StatusOr<PaxMsg*> back = PaxMsgFromJson(j, ProtocolVersion::kX1_9, arena,
//                                                 Profile::k8_0_39);
//
// Reading is strict: every field the version carries is required, unknown fields and fields
// the version does not carry are errors, each error names its JSON path; arrays are held to
// the profile's bounds. For hand-written input it also accepts an enum as a bare name (of the
// profile's release) or number, a 64-bit integer as a number, a bool as 0/1 and a double as a
// plain number or as {"decimal": …}.
#ifndef UXCOM_XDR_JSON_H_
#define UXCOM_XDR_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "xdr/arena.h"
#include "xdr/frame_header.h"
#include "xdr/pax_msg.h"
#include "xdr/profile.h"
#include "xdr/protocol_version.h"

namespace uxcom::xdr {

using Json = nlohmann::ordered_json;

// The fields `v` carries under `profile` (every field, by presence, if `v` is not a supported
// version).
Json PaxMsgToJson(const PaxMsg& msg, ProtocolVersion v, Profile profile = kDefaultProfile);
// {"version": n, "length": n, "x_type": enum, "tag": n, "unused_byte": n}
Json FrameHeaderToJson(const FrameHeader& header);

// Builds a message in `arena` (its strings and bytes copied there). InvalidArgument names the
// JSON path of the first problem: "pax_msg.a.body.nodes[1].uuid.data: odd number of hex digits".
absl::StatusOr<PaxMsg*> PaxMsgFromJson(const Json& json, ProtocolVersion v, Arena& arena,
                                       Profile profile = kDefaultProfile);
absl::StatusOr<FrameHeader> FrameHeaderFromJson(const Json& json);

// The manifest's representation of single values, for tools that print fields.
std::string HexEncode(std::string_view bytes);
Json DoubleToJson(double d);

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_JSON_H_
