// The values XCom's C pax_msg always has, for messages built without them.
//
// In uxcom's message model a field a protocol version does not carry is an absent optional,
// and the encoder refuses to emit a version's frame without the fields it does carry. XCom's
// in-memory pax_msg is a zero-initialised C struct, so it always "has" them: delivered_msg is
// the null synode and event_horizon is 0 unless set. The transport and the client apply that
// rule to every message they send, so a message built without them encodes at every version.
//
//   xdr::PaxMsg m{.op = xdr::PaxOp::kClientMsg};
//   ApplyCarriedDefaults(m);   // delivered_msg = {0, 0, 0}, event_horizon = 0
#ifndef UXCOM_XCOM_MESSAGE_DEFAULTS_H_
#define UXCOM_XCOM_MESSAGE_DEFAULTS_H_

#include "xdr/pax_msg.h"

namespace uxcom::xcom {

inline void ApplyCarriedDefaults(xdr::PaxMsg& msg) {
  if (!msg.delivered_msg) msg.delivered_msg = xdr::SynodeNo{};
  if (!msg.event_horizon) msg.event_horizon = 0;
}

}  // namespace uxcom::xcom

#endif  // UXCOM_XCOM_MESSAGE_DEFAULTS_H_
