#include "net/address.h"

#include <doctest/doctest.h>

#include <string>

namespace uxcom::net {
namespace {

HostPort Ok(std::string_view text) {
  absl::StatusOr<HostPort> hp = ParseHostPort(text);
  INFO("address: ", std::string(text), " status: ", hp.status().ToString());
  REQUIRE(hp.ok());
  return *hp;
}

void Rejected(std::string_view text, std::string_view why_fragment) {
  absl::StatusOr<HostPort> hp = ParseHostPort(text);
  INFO("address: ", std::string(text));
  REQUIRE_FALSE(hp.ok());
  CHECK(hp.status().code() == absl::StatusCode::kInvalidArgument);
  std::string message(hp.status().message());
  INFO("message: ", message);
  CHECK(message.find(std::string(why_fragment)) != std::string::npos);
}

TEST_CASE("an IPv4 address or host name with exactly one colon parses into host and port") {
  CHECK(Ok("127.0.0.1:33061") == HostPort{"127.0.0.1", 33061, false});
  CHECK(Ok("node-1.example.com:3306") == HostPort{"node-1.example.com", 3306, false});
  CHECK(Ok("h:1") == HostPort{"h", 1, false});
  CHECK(Ok("h:65535").port == 65535);
}

TEST_CASE("a bracketed IPv6 address parses and the brackets are not part of the host") {
  CHECK(Ok("[::1]:33061") == HostPort{"::1", 33061, true});
  CHECK(Ok("[fe80::1%eth0]:1") == HostPort{"fe80::1%eth0", 1, true});
  CHECK(Ok("[2001:db8::7]:65535") == HostPort{"2001:db8::7", 65535, true});
}

TEST_CASE("the port is read like strtol: leading blanks and a plus sign are accepted") {
  CHECK(Ok("h: 80").port == 80);
  CHECK(Ok("h:+80").port == 80);
  CHECK(Ok("h:0080").port == 80);
}

TEST_CASE("get_ip_and_port quirks that MySQL accepts are kept") {
  // Leading whitespace stays in the host (the original did not skip it).
  CHECK(Ok(" h:80").host == " h");
  // Text outside the brackets is ignored; the port follows the last colon.
  CHECK(Ok("x[::1]y:3306") == HostPort{"::1", 3306, true});
  // The bracketed text only needs a colon.
  CHECK(Ok("[a:b]:7").host == "a:b");
  // Without ']', a '[' is just part of a host name.
  CHECK(Ok("[h:9").host == "[h");
}

TEST_CASE("addresses get_ip_and_port rejects are rejected") {
  Rejected("", "empty");
  Rejected("hostonly", "no ':<port>'");
  Rejected("::1:3306", "more than one ':'");
  Rejected("2001:db8::1", "more than one ':'");
  Rejected("[name]:3306", "no ':' between the brackets");
  Rejected("[]:3306", "no ':' between the brackets");
  Rejected("[::1]", "after the port");  // port text "1]"
  Rejected("[::1]:", "port is missing");
  Rejected("h:", "port is missing");
  Rejected("h:80x", "after the port");
  Rejected("h:80 ", "after the port");
  Rejected("h:x80", "port is missing");
  Rejected("h:0", "port 0");
  Rejected("h:-0", "port 0");
}

TEST_CASE("range checks the original lacked reject out-of-range ports instead of wrapping") {
  Rejected("h:65536", "outside 1..65535");
  Rejected("h:70000", "outside 1..65535");  // the original truncated this to 4464
  Rejected("h:-1", "outside 1..65535");     // ... and this to 65535
  Rejected("h:99999999999999999999999", "outside 1..65535");
}

TEST_CASE("malformed inputs the original read as garbage get a clear error") {
  Rejected(":3306", "empty host");
  Rejected("::1]:3306", "']' without '['");
  Rejected("]x[:1", "']' before '['");
  Rejected(std::string_view("h\0x:1", 5), "NUL");
}

TEST_CASE("a host of 511 bytes is accepted and one of 512 bytes is rejected") {
  std::string host511(kMaxHostLength, 'a');
  CHECK(Ok(host511 + ":1").host.size() == 511);
  Rejected(std::string(512, 'a') + ":1", "longer than 511");
  std::string v6_511 = "1:" + std::string(kMaxHostLength - 2, 'f');
  CHECK(Ok("[" + v6_511 + "]:1").host.size() == 511);
  Rejected("[1:" + std::string(510, 'f') + "]:1", "longer than 511");
}

TEST_CASE("numeric socket addresses round-trip through text") {
  absl::StatusOr<SocketAddress> v4 = SocketAddress::FromNumeric("127.0.0.1", 80);
  REQUIRE(v4.ok());
  CHECK(v4->ToString() == "127.0.0.1:80");
  CHECK(v4->is_ipv4());
  absl::StatusOr<SocketAddress> v6 = SocketAddress::FromNumeric("::1", 33061);
  REQUIRE(v6.ok());
  CHECK(v6->ToString() == "[::1]:33061");
  CHECK(v6->port() == 33061);
  CHECK_FALSE(SocketAddress::FromNumeric("localhost", 1).ok());
  CHECK_FALSE(SocketAddress::FromNumeric("::1%nosuchif0", 1).ok());
  CHECK(SocketAddress().ToString() == "unspecified");
}

}  // namespace
}  // namespace uxcom::net
