#include "xcom/incoming_message.h"

#include "xcom/internal/inbound_frame.h"

namespace uxcom::xcom {

const char* MessageOriginName(MessageOrigin origin) {
  switch (origin) {
    case MessageOrigin::kSelf:
      return "self";
    case MessageOrigin::kOutbound:
      return "outbound";
    case MessageOrigin::kInbound:
      return "inbound";
  }
  return "?";
}

IncomingMessage::IncomingMessage(internal::PoolRef<internal::InboundFrame> frame)
    : frame_(std::move(frame)) {}
IncomingMessage::IncomingMessage(IncomingMessage&&) noexcept = default;
IncomingMessage& IncomingMessage::operator=(IncomingMessage&&) noexcept = default;
IncomingMessage::~IncomingMessage() = default;

const xdr::PaxMsg& IncomingMessage::msg() const { return frame_->Message(); }
MessageOrigin IncomingMessage::origin() const { return frame_->origin; }
xdr::ProtocolVersion IncomingMessage::version() const { return frame_->version; }
std::string_view IncomingMessage::peer() const { return frame_->peer; }
size_t IncomingMessage::wire_size() const { return frame_->wire_size; }
size_t IncomingMessage::trailing_bytes() const { return frame_->trailing_bytes; }

}  // namespace uxcom::xcom
