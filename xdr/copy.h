// Deep copies of messages into an Arena.
//
// A PaxMsg you build points at bytes you own (payloads, addresses are views). Code that must
// keep a message after the caller's bytes are gone (the transport's per-peer queues, which
// encode lazily for each connection's protocol version) copies it into an arena it owns:
//
//   uxcom::xdr::Arena arena;
//   PaxMsg* kept = CopyToArena(msg, arena);   // every container and byte now in `arena`
//   ...                                        // valid until arena.Reset()
//
// Steady state: copying into an arena that has grown to the message size performs no heap
// allocation. The copy compares equal to the original (NaN expiry times aside, see PaxMsg).
#ifndef UXCOM_XDR_COPY_H_
#define UXCOM_XDR_COPY_H_

#include "xdr/arena.h"
#include "xdr/pax_msg.h"

namespace uxcom::xdr {

PaxMsg* CopyToArena(const PaxMsg& msg, Arena& arena);

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_COPY_H_
