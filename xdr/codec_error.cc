#include "xdr/codec_error.h"

#include <charconv>
#include <vector>

#include "absl/strings/cord.h"
#include "xdr/internal/str_cat.h"

namespace uxcom::xdr {
namespace {

constexpr char kPayloadUrl[] = "type.uxcom.dev/uxcom.xdr.CodecError";
// offset ('-' if none), consumed, field and reason, separated by NUL (none of them holds one).
constexpr char kSeparator = '\0';

std::optional<size_t> ParseSize(std::string_view s) {
  size_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

absl::Status MakeCodecStatus(absl::StatusCode code, std::string_view context, const CodecError& e) {
  std::string message(context);
  if (!message.empty()) message.append(": ");
  if (!e.field.empty()) internal::StrAppend(message, e.field, ": ");
  message.append(e.reason);
  if (e.offset) internal::StrAppend(message, " at offset ", *e.offset);
  absl::Status status(code, message);
  std::string payload = internal::StrCat(
      e.offset ? internal::StrCat(*e.offset) : "-", std::string_view(&kSeparator, 1), e.consumed,
      std::string_view(&kSeparator, 1), e.field, std::string_view(&kSeparator, 1), e.reason);
  status.SetPayload(kPayloadUrl, absl::Cord(payload));
  return status;
}

std::optional<CodecError> GetCodecError(const absl::Status& status) {
  auto payload = status.GetPayload(kPayloadUrl);  // an absl::optional
  if (!payload) return std::nullopt;
  std::string flat(*payload);
  std::vector<std::string_view> parts;
  for (std::string_view rest = flat;;) {
    size_t end = rest.find(kSeparator);
    parts.push_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  if (parts.size() != 4) return std::nullopt;
  CodecError e;
  if (parts[0] != "-") {
    e.offset = ParseSize(parts[0]);
    if (!e.offset) return std::nullopt;
  }
  std::optional<size_t> consumed = ParseSize(parts[1]);
  if (!consumed) return std::nullopt;
  e.consumed = *consumed;
  e.field = std::string(parts[2]);
  e.reason = std::string(parts[3]);
  return e;
}

}  // namespace uxcom::xdr
