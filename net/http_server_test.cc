// HttpServer as a scraper and as a hostile client see it: answers to GET and HEAD, refusals
// with the right status for everything else, and every bound (head size, connections,
// timeouts) holding.
#include "net/http_server.h"

#include <doctest/doctest.h>

#include <string>

#include "net/executor.h"
#include "net/stream.h"
#include "net/testing.h"
#include "net/timer.h"

namespace uxcom::net {
namespace {

using namespace std::chrono_literals;

TEST_CASE("request heads: what parses and what is refused") {
  absl::StatusOr<HttpRequest> r =
      ParseHttpRequestHead("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n");
  REQUIRE(r.ok());
  CHECK(r->method == "GET");
  CHECK(r->path == "/metrics");
  CHECK(r->query == "x=1");
  CHECK(ParseHttpRequestHead("HEAD / HTTP/1.0\r\n\r\n").ok());
  CHECK(absl::IsUnimplemented(ParseHttpRequestHead("POST / HTTP/1.1\r\n\r\n").status()));
  for (const char* bad : {"GET /\r\n\r\n", "GET / HTTP/2\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n",
                          "GET http://x/ HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nnocolon\r\n\r\n",
                          "GET / HTTP/1.1\r\n folded\r\n\r\n", "GET / HTTP/1.1"}) {
    INFO(bad);
    CHECK(absl::IsInvalidArgument(ParseHttpRequestHead(bad).status()));
  }
  const std::string ok = FormatHttpResponse({.body = "hi"}, false);
  CHECK(ok ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 2\r\nConnection: close\r\n\r\nhi");
  CHECK(FormatHttpResponse({.body = "hi"}, true).ends_with("\r\n\r\n"));
}

// Sends `request` and reads the whole response (the server closes after one).
Task<std::string> Exchange(Executor& ex, SocketAddress at, std::string request) {
  absl::StatusOr<Stream> s = co_await Stream::Connect(ex, at, 5s);
  REQUIRE(s.ok());
  absl::Status w = co_await s->Write(std::span<const std::byte>(
      reinterpret_cast<const std::byte*>(request.data()), request.size()));
  REQUIRE(w.ok());
  std::string out;
  std::byte buf[4096];
  for (;;) {
    absl::StatusOr<size_t> n = co_await s->ReadSome(buf);
    if (!n.ok() || *n == 0) break;
    out.append(reinterpret_cast<const char*>(buf), *n);
  }
  co_return out;
}

struct Fixture {
  std::unique_ptr<Executor> ex = testing::NewExecutor();
  std::unique_ptr<HttpServer> server;
  int handled = 0;
  explicit Fixture(HttpServerOptions o = {}) {
    absl::StatusOr<std::unique_ptr<HttpServer>> s = HttpServer::Start(
        *ex, *SocketAddress::FromNumeric("127.0.0.1", 0),
        [this](const HttpRequest& r) -> HttpResponse {
          ++handled;
          if (r.path != "/metrics") return HttpResponse::NotFound();
          return {.content_type = "text/plain; version=0.0.4", .body = "up 1\n"};
        },
        o);
    REQUIRE(s.ok());
    server = *std::move(s);
  }
  ~Fixture() { ex->BlockOn(server->Stop()); }
  std::string Get(std::string request) {
    return ex->BlockOn(Exchange(*ex, server->local_address(), std::move(request)));
  }
};

TEST_CASE("GET and HEAD are answered, other paths are 404, other methods 405") {
  Fixture f;
  CHECK(f.server->local_address().port() != 0);
  const std::string ok = f.Get("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(ok.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(ok.find("Content-Type: text/plain; version=0.0.4\r\n") != std::string::npos);
  CHECK(ok.ends_with("\r\n\r\nup 1\n"));
  CHECK(f.Get("HEAD /metrics HTTP/1.1\r\n\r\n").ends_with("Connection: close\r\n\r\n"));
  CHECK(f.Get("GET /other HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404 Not Found"));
  const std::string post = f.Get("POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  CHECK(post.starts_with("HTTP/1.1 405 Method Not Allowed"));
  CHECK(post.find("Allow: GET, HEAD\r\n") != std::string::npos);
  CHECK(f.Get("hello\r\n\r\n").starts_with("HTTP/1.1 400 Bad Request"));
  CHECK(f.handled == 3);
  CHECK(f.server->stats().requests == 3);
  CHECK(f.server->stats().bad_requests == 2);
}

TEST_CASE("a request head over the bound is refused with 431, unread beyond it") {
  Fixture f({.max_request_bytes = 256});
  const std::string big = "GET /metrics HTTP/1.1\r\nX-Big: " + std::string(1000, 'a') + "\r\n\r\n";
  CHECK(f.Get(big).starts_with("HTTP/1.1 431 "));
  CHECK(f.handled == 0);
}

Task<void> SilentClients(Executor& ex, SocketAddress at, int n, std::string* third) {
  std::vector<Stream> held;
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<Stream> s = co_await Stream::Connect(ex, at, 5s);
    REQUIRE(s.ok());
    held.push_back(*std::move(s));
  }
  absl::Status slept = co_await Sleep(50ms);  // let the server accept them
  REQUIRE(slept.ok());
  std::string request = "GET /metrics HTTP/1.1\r\n\r\n";
  *third = co_await Exchange(ex, at, std::move(request));
  absl::Status held_on = co_await Sleep(500ms);  // still silent: the server must cut them
  REQUIRE(held_on.ok());
}

TEST_CASE("beyond max_connections a client gets 503; a silent client is cut at the timeout") {
  Fixture f({.max_connections = 2, .read_timeout = 300ms});
  std::string third;
  f.ex->BlockOn(SilentClients(*f.ex, f.server->local_address(), 2, &third));
  CHECK(third.starts_with("HTTP/1.1 503 "));
  CHECK(f.server->stats().rejected_busy == 1);
  // Once the silent ones timed out, the server answers again.
  CHECK(f.server->stats().timeouts == 2);
  CHECK(f.Get("GET /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 200 "));
}

}  // namespace
}  // namespace uxcom::net
