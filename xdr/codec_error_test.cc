#include "xdr/codec_error.h"

#include <doctest/doctest.h>

#include <string>

namespace uxcom::xdr {
namespace {

TEST_CASE("a codec status reads context: field: reason at offset, and carries the details") {
  const CodecError e{.field = "a.body.nodes[3].address",
                     .reason = "length 70000 > 1024 (MAXNAME)",
                     .offset = 212,
                     .consumed = 216};
  const absl::Status s =
      MakeCodecStatus(absl::StatusCode::kInvalidArgument, "decoding pax_msg as x_1_6 (7)", e);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(s.message()) ==
        "decoding pax_msg as x_1_6 (7): a.body.nodes[3].address: length 70000 > 1024 (MAXNAME) at "
        "offset 212");
  CHECK(GetCodecError(s) == e);
}

TEST_CASE("without a field or an offset those parts are left out") {
  const CodecError e{.reason = "too big"};
  const absl::Status s = MakeCodecStatus(absl::StatusCode::kResourceExhausted, "ctx", e);
  CHECK(std::string(s.message()) == "ctx: too big");
  CHECK(GetCodecError(s) == e);
}

TEST_CASE("other statuses carry no codec error") {
  CHECK_FALSE(GetCodecError(absl::OkStatus()).has_value());
  CHECK_FALSE(GetCodecError(absl::InternalError("x")).has_value());
}

}  // namespace
}  // namespace uxcom::xdr
