#include "xcom/internal/frame_reader.h"

#include "absl/strings/str_cat.h"
#include "xcom/internal/transport_state.h"

namespace uxcom::xcom::internal {

FrameReader::FrameReader(TransportState& state, Connection& conn)
    : st_(state),
      conn_(conn),
      in_(conn.received()),
      max_burst_(state.options.max_messages_per_turn) {}

std::optional<FrameBuffer::Next> FrameReader::Next() {
  FrameBuffer::Next f = in_.Peek();
  if (f.kind == FrameBuffer::kFrame) return f;
  if (f.kind == FrameBuffer::kTooLarge) {
    conn_.Close(CloseReason::kFrameTooLarge,
                absl::StrCat("body length ", f.header.length, " > max_frame_body ",
                             st_.options.max_frame_body));
  }
  return std::nullopt;
}

std::optional<xdr::FrameHeader> FrameReader::PendingHeader() {
  FrameBuffer::Next f = in_.Peek();
  if (!f.has_header) return std::nullopt;
  return f.header;
}

net::Task<bool> FrameReader::Fill() {
  if (conn_.closed()) co_return false;
  absl::StatusOr<size_t> n;
  if (in_.mid_frame()) {
    n = co_await conn_.ReadWithin(in_.WritableSpace());  // closes on a stall or an error
  } else {
    n = co_await conn_.stream().ReadSome(in_.WritableSpace());
    if (!n.ok() && !absl::IsCancelled(n.status())) {
      conn_.Close(CloseReason::kIoError, n.status().message());
    }
  }
  if (!n.ok()) co_return false;
  if (*n == 0) {
    if (in_.mid_frame()) {
      conn_.Close(CloseReason::kTruncatedFrame,
                  absl::StrCat(in_.buffered(), " bytes of an incomplete frame"));
    } else {
      conn_.Close(CloseReason::kPeerClosed);
    }
    co_return false;
  }
  in_.Commit(*n);
  // Any bytes are evidence of life (the fix for Bug#22671846: a long transfer never looks
  // like silence).
  if (conn_.server != nullptr) conn_.server->detected = st_.executor.Now();
  co_return true;
}

}  // namespace uxcom::xcom::internal
