// MySQL's decode defaults: the values a MySQL decoder gives the fields a protocol version does
// not carry, for messages that must encode at every version.
//
// Decoding never fabricates a field the version does not carry (it stays absent, so that a
// re-encode reproduces the bytes); encoding requires every field the version carries. A message
// built once for peers of several versions, or decoded from an old peer and forwarded to a
// newer one, gets the values MySQL itself would have decoded:
//
//   FillDecodeDefaults(msg);  // node proto {x_1_0, x_1_0}, services 7, config.event_horizon
//                             // 10, origin = synode, empty node sets and leader arrays, …
//   AppendFrame(ProtocolVersion::kX1_9, msg, out);
//
// The defaults are part of each field's schema (pax_msg.h, spec §5.3, x1_7-x1_9 §6). One is not
// a constant: MySQL fills an absent delivered_msg with the receiver's own last delivered
// synode; here it becomes the null synode.
#ifndef UXCOM_XDR_DECODE_DEFAULTS_H_
#define UXCOM_XDR_DECODE_DEFAULTS_H_

#include <memory_resource>

#include "xdr/pax_msg.h"

namespace uxcom::xdr {

// Gives every absent version-dependent field of `msg`, at any depth, MySQL's decode default.
// Containers it creates use `resource` (the message's arena, if it lives in one).
void FillDecodeDefaults(PaxMsg& msg,
                        std::pmr::memory_resource* resource = std::pmr::get_default_resource());

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_DECODE_DEFAULTS_H_
