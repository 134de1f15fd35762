// xcomdump's per-frame decode: a frame's header and body to its JSON record ({"header": …,
// "pax_msg": …}), or the field, offset and reason it does not decode. Every input path (raw
// streams, capture files, live captures) goes through this one function; it is defined in
// xcomdump.cc.
//
//   FrameDecoder decoder(options);
//   FrameVerdict v = decoder.Decode(header, body);
//   if (v.decoded) Print(v.json);
#ifndef UXCOM_XDR_TOOLS_FRAME_DECODER_H_
#define UXCOM_XDR_TOOLS_FRAME_DECODER_H_

#include <span>

#include "xdr/arena.h"
#include "xdr/buffer.h"
#include "xdr/frame_header.h"
#include "xdr/tools/frame_stream.h"
#include "xdr/tools/xcomdump_options.h"

namespace uxcom::xdr::tools {

class FrameDecoder {
 public:
  explicit FrameDecoder(const XcomdumpOptions& options) : o_(options) {}
  // `body` is empty for frames without one (negotiation and unknown types).
  FrameVerdict Decode(const FrameHeader& header, std::span<const std::byte> body);

 private:
  // Whether encoding the message again gives exactly the bytes it was decoded from.
  bool Canonical(ProtocolVersion v, const PaxMsg& m, std::span<const std::byte> consumed);

  const XcomdumpOptions& o_;
  Arena arena_;
  Buffer reencoded_;
};

}  // namespace uxcom::xdr::tools

#endif  // UXCOM_XDR_TOOLS_FRAME_DECODER_H_
