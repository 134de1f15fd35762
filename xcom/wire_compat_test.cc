// Byte compatibility with MySQL 8.0.18 and 8.0.39, through the whole transport: every golden
// message of every protocol version of both catalogs is understood when a peer sends it, and is
// sent byte for byte as that release encodes it (the transport configured with the release's
// profile and maximum).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/testing.h"
#include "test/vectors/golden_vectors.h"
#include "xcom/testing/testing.h"
#include "xcom/transport.h"
#include "xdr/big_endian.h"
#include "xdr/decode.h"
#include "xdr/encode.h"
#include "xdr/frame_header.h"
#include "xdr/negotiation.h"

namespace uxcom::xcom {
namespace {

using namespace std::chrono_literals;
using testing::RawFrame;
using testing::RawPeer;
using xdr::ProtocolVersion;

struct Vector {
  std::string file;
  std::vector<std::byte> frame;
};

// A catalog, the release whose transport it stands for, and its versions.
struct Release {
  std::string_view catalog;
  xdr::Profile profile;
  int first_version;
  int last_version;
};
constexpr Release kReleases[] = {
    {uxcom::testing::kCatalog8018, xdr::Profile::k8_0_18, 1, 7},
    {uxcom::testing::kCatalog8039, xdr::Profile::k8_0_39, 7, 10},
};

std::vector<Vector> VectorsOf(const Release& r, int version) {
  std::vector<Vector> out;
  for (const auto& m : uxcom::testing::GoldenManifest(r.catalog)["messages"]) {
    if (m["version"]["value"].get<int>() != version) continue;
    std::string file = m["file"].get<std::string>();
    out.push_back({file, uxcom::testing::ReadVector(file, r.catalog)});
  }
  return out;
}

std::vector<std::byte> Negotiation(const Release& r, int version, const char* name) {
  return uxcom::testing::ReadVector(absl::StrCat("v1_", version - 1, "/", name, ".bin"), r.catalog);
}

void Configure(const Release& r, TransportOptions& o) {
  o.profile = r.profile;
  o.max_version = static_cast<ProtocolVersion>(r.last_version);
}

std::span<const std::byte> Body(const std::vector<std::byte>& frame) {
  return std::span<const std::byte>(frame).subspan(xdr::kFrameHeaderSize);
}

TEST_CASE("every golden message of every version sent by a peer is delivered as MySQL wrote it") {
  auto ex = net::testing::NewExecutor();
  for (const Release& release : kReleases) {
    CAPTURE(release.catalog);
    testing::Group g(*ex, 1, [&](int, TransportOptions& o) { Configure(release, o); });
    for (int v = release.first_version; v <= release.last_version; ++v) {
      CAPTURE(v);
      std::vector<Vector> vectors = VectorsOf(release, v);
      REQUIRE(vectors.size() >= 109);
      ex->BlockOn([&]() -> net::Task<void> {
        absl::StatusOr<std::unique_ptr<RawPeer>> peer =
            co_await RawPeer::Connect(*ex, g[0].listen_address().port());
        REQUIRE(peer.ok());
        std::vector<std::byte> request = Negotiation(release, v, "neg_version_req_tag313");
        auto wrote = co_await (*peer)->Write(request);
        REQUIRE(wrote.ok());
        absl::StatusOr<RawFrame> reply = co_await (*peer)->ReadFrame();
        REQUIRE(reply.ok());
        // All frames of this version in one write: the acceptor cuts them apart.
        std::vector<std::byte> stream;
        for (const Vector& vec : vectors)
          stream.insert(stream.end(), vec.frame.begin(), vec.frame.end());
        auto wrote2 = co_await (*peer)->Write(stream);
        REQUIRE(wrote2.ok());
        for (const Vector& vec : vectors) {
          CAPTURE(vec.file);
          absl::StatusOr<IncomingMessage> in = co_await testing::ReceiveWithin(g[0], 5s);
          REQUIRE(in.ok());
          CHECK(in->version() == static_cast<ProtocolVersion>(v));
          CHECK(in->wire_size() == vec.frame.size());
          CHECK(in->trailing_bytes() == 0);
          // What was delivered re-encodes to exactly the bytes that came in.
          std::vector<std::byte> again;
          REQUIRE(xdr::AppendBody(static_cast<ProtocolVersion>(v), in->msg(), again,
                                  xdr::EncodeOptions::LikeMySql(release.profile))
                      .ok());
          CHECK(again == std::vector<std::byte>(Body(vec.frame).begin(), Body(vec.frame).end()));
        }
      }());
    }
    // Each raw peer hangs up when done (peer_closed); nothing else closed a connection.
    TransportStatistics::Snapshot stats = g[0].statistics();
    uint64_t closes = 0;
    for (uint64_t c : stats.inbound_closes) closes += c;
    CHECK(closes == stats.inbound_close(CloseReason::kPeerClosed));
    CHECK(stats.drops_total() == 0);
    ex->BlockOn(g.Stop());
  }
}

TEST_CASE("every golden message is sent to a peer of its version byte for byte as MySQL sends it") {
  auto ex = net::testing::NewExecutor();
  for (const Release& release : kReleases) {
    for (int v = release.first_version; v <= release.last_version; ++v) {
      CAPTURE(release.catalog);
      CAPTURE(v);
      std::vector<Vector> vectors = VectorsOf(release, v);
      testing::RawListener peer(*ex);
      testing::LogCapture logs;
      TransportOptions o = testing::LoopbackOptions(testing::ReservePort(), logs, "node0");
      Configure(release, o);
      std::unique_ptr<Transport> t = *Transport::Create(*ex, o);
      REQUIRE(t->Start().ok());
      constexpr uint32_t kGroup = 0x0a0b0c0d;
      SiteId site = *t->InstallSite(
          Site{.group_id = kGroup,
               .nodeno = 0,
               .nodes = {{.address = o.self_address}, {.address = peer.address()}}});
      // What the release's peers at v could not read is refused, not sent: the leader cargo types
      // below x_1_9 (8.0.39's catalog has them at x_1_7 and x_1_8; MySQL would send them).
      std::vector<Vector> sendable;
      for (const Vector& vec : vectors) {
        absl::StatusOr<xdr::OwnedPaxMsg> m = xdr::DecodeOwned(
            static_cast<ProtocolVersion>(v), Body(vec.frame), {.profile = release.profile});
        REQUIRE(m.ok());
        absl::StatusOr<size_t> n =
            xdr::EncodedSize(static_cast<ProtocolVersion>(v), **m, {.profile = release.profile});
        if (n.ok()) sendable.push_back(vec);
      }
      const size_t refused = vectors.size() - sendable.size();
      REQUIRE(sendable.size() >= 109);
      ex->BlockOn([&]() -> net::Task<void> {
        for (const Vector& vec : vectors) {
          absl::StatusOr<xdr::OwnedPaxMsg> msg = xdr::DecodeOwned(
              static_cast<ProtocolVersion>(v), Body(vec.frame), {.profile = release.profile});
          REQUIRE(msg.ok());
          SendReport r = co_await t->SendTo(site, 1, **msg);
          CHECK(r.queued == 1);
        }
        std::unique_ptr<RawPeer> c = co_await peer.Accept();
        absl::StatusOr<RawFrame> req = co_await c->ReadFrame();
        REQUIRE(req.ok());
        CHECK(req->bytes == Negotiation(release, release.last_version, "neg_version_req_tag313"));
        auto replied = co_await c->Write(Negotiation(release, v, "neg_version_reply_tag313"));
        REQUIRE(replied.ok());
        for (const Vector& vec : sendable) {
          CAPTURE(vec.file);
          absl::StatusOr<RawFrame> got = co_await c->ReadFrame();
          REQUIRE(got.ok());
          // The transport stamps to, from and group_id (body offsets 0, 4, 8) per destination,
          // as send_msg does; every other byte is the vector's.
          std::vector<std::byte> want = vec.frame;
          xdr::StoreBigEndian32(&want[xdr::kFrameHeaderSize + 0], 1);
          xdr::StoreBigEndian32(&want[xdr::kFrameHeaderSize + 4], 0);
          xdr::StoreBigEndian32(&want[xdr::kFrameHeaderSize + 8], kGroup);
          CHECK(got->bytes == want);
        }
        CHECK(t->statistics().drops_total() == refused);
        CHECK(t->statistics().drop(DropReason::kEncodeRefused) == refused);
        co_await t->Stop();
      }());
    }
  }
}

}  // namespace
}  // namespace uxcom::xcom
