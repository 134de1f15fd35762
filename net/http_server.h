// HttpServer: a small, bounded HTTP/1.1 responder for read-only endpoints (a /metrics page, a
// health check) on an executor the embedder already runs. It knows nothing of what it serves:
// a handler maps a path to a response.
//
// It faces the network, so everything is bounded: a request head (request line and headers)
// of at most max_request_bytes (431 beyond), at most max_connections at once (503 and close
// beyond, without reading), a read timeout for the whole head and a write timeout for the whole
// response (the connection is closed on expiry). One request per connection (Connection:
// close): no keep-alive state to bound. GET and HEAD only (405 otherwise); a request body is
// never read; malformed requests get 400. The handler runs on the executor's thread.
//
//   absl::StatusOr<std::unique_ptr<HttpServer>> http = HttpServer::Start(
//       ex, *SocketAddress::FromNumeric("127.0.0.1", 9464),
//       [&](const HttpRequest& r) -> HttpResponse {
//         if (r.path != "/metrics") return HttpResponse::NotFound();
//         return {.content_type = "text/plain; version=0.0.4", .body = Render()};
//       });
//   ...
//   co_await (*http)->Stop();
#ifndef UXCOM_NET_HTTP_SERVER_H_
#define UXCOM_NET_HTTP_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "net/address.h"
#include "net/executor.h"
#include "net/task.h"

namespace uxcom::net {

struct HttpRequest {
  std::string method;   // "GET", "HEAD"
  std::string path;     // without the query
  std::string query;    // after '?', or empty
  std::string version;  // "HTTP/1.1"
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  static HttpResponse NotFound() { return {.status = 404, .body = "not found\n"}; }
};

using HttpHandler = std::function<HttpResponse(const HttpRequest& request)>;

struct HttpServerOptions {
  size_t max_request_bytes = 8192;
  size_t max_connections = 16;
  Duration read_timeout = std::chrono::seconds(5);
  Duration write_timeout = std::chrono::seconds(5);
};

struct HttpServerStats {
  uint64_t requests = 0;       // answered by the handler
  uint64_t rejected_busy = 0;  // 503: max_connections were open
  uint64_t bad_requests = 0;   // 400, 405, 431
  uint64_t timeouts = 0;       // read or write took too long
};

// Parses a request head (up to and including the blank line). kInvalidArgument: malformed;
// kUnimplemented: a method other than GET or HEAD (the message names it).
absl::StatusOr<HttpRequest> ParseHttpRequestHead(std::string_view head);

// "HTTP/1.1 200 OK\r\nContent-Type: …\r\nContent-Length: N\r\nConnection: close\r\n\r\n"
// followed by the body (none for HEAD).
std::string FormatHttpResponse(const HttpResponse& response, bool head_only);

class HttpServer {
 public:
  // Listens on `address` (port 0: an ephemeral port, see local_address()) and starts serving.
  // Errors: the listener's (kFailedPrecondition: address in use, kPermissionDenied).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(Executor& executor,
                                                           SocketAddress address,
                                                           HttpHandler handler,
                                                           HttpServerOptions options = {});
  ~HttpServer();  // cancels what still runs; prefer Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops listening, closes every connection, waits for every task. Idempotent.
  Task<void> Stop();
  const SocketAddress& local_address() const;
  const HttpServerStats& stats() const;

  struct State;  // the implementation's

 private:
  explicit HttpServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace uxcom::net

#endif  // UXCOM_NET_HTTP_SERVER_H_
