// The values XCom's C pax_msg always has, for messages built without them.
//
// In uxcom's message model a field a protocol version does not carry is an absent optional,
// and the encoder refuses to emit a version's frame without the fields it does carry. XCom's
// in-memory pax_msg always "has" them: a zero-initialised C struct (delivered_msg the null
// synode, event_horizon 0), completed by its decoder's defaults (node services 7, origin =
// synode, …). The transport and the client apply that rule (xdr::FillDecodeDefaults) to every
// message they send, so a message built without them encodes at every version.
//
//   xdr::PaxMsg m{.op = xdr::PaxOp::kClientMsg};
//   ApplyCarriedDefaults(m);   // delivered_msg = {0, 0, 0}, event_horizon = 0, …
#ifndef UXCOM_XCOM_MESSAGE_DEFAULTS_H_
#define UXCOM_XCOM_MESSAGE_DEFAULTS_H_

#include <memory_resource>

#include "xdr/decode_defaults.h"
#include "xdr/pax_msg.h"

namespace uxcom::xcom {

// `resource`: where containers it creates live (the message's arena, if it has one).
inline void ApplyCarriedDefaults(
    xdr::PaxMsg& msg, std::pmr::memory_resource* resource = std::pmr::get_default_resource()) {
  xdr::FillDecodeDefaults(msg, resource);
}

}  // namespace uxcom::xcom

#endif  // UXCOM_XCOM_MESSAGE_DEFAULTS_H_
