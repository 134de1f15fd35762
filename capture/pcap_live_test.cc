// A live capture on loopback through PcapSource (needs root: tagged to run outside the
// sandbox). Skips with a message without capture rights.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "capture/pcap_source.h"
#include "test/skip.h"

namespace uxcom::capture {
namespace {

TEST_CASE("live capture on loopback (root)") {
  absl::StatusOr<std::unique_ptr<PcapSource>> src = PcapSource::OpenLive("lo", {});
  if (!src.ok()) {
    CHECK(absl::IsPermissionDenied(src.status()));
    CHECK(std::string(src.status().message()).find("root or CAP_NET_RAW") != std::string::npos);
    return ::uxcom::testing::Skip(::uxcom::testing::Need::kRoot,
                                  absl::StrCat("live capture on lo: ", src.status().message()));
  }
  CHECK(absl::IsNotFound(PcapSource::OpenLive("no-such-if0", {}).status()));
  CHECK((*src)->live());
  CHECK((*src)->selectable_fd() >= 0);
  // A UDP datagram to ourselves, found through a filter on its port.
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);  // discard; nothing needs to listen
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const uint16_t port = static_cast<uint16_t>(40000 + getpid() % 20000);
  sockaddr_in from = to;
  from.sin_port = htons(port);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0);
  REQUIRE((*src)->SetFilter("udp src port " + std::to_string(port)).ok());
  REQUIRE(sendto(fd, "ping", 4, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) == 4);
  close(fd);
  bool seen = false;
  for (int i = 0; i < 20 && !seen; ++i) {
    absl::StatusOr<std::optional<RawPacket>> p = (*src)->Next(absl::Milliseconds(100));
    REQUIRE(p.ok());
    seen = p->has_value();
  }
  CHECK(seen);
  CHECK((*src)->live_stats().received >= 1);
}

}  // namespace
}  // namespace uxcom::capture
