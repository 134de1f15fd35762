#include "net/http_server.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/listener.h"
#include "net/scope.h"
#include "net/stream.h"
#include "net/timer.h"

namespace uxcom::net {
namespace {

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c <= 32 || c >= 127) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<HttpRequest> ParseHttpRequestHead(std::string_view head) {
  const size_t line_end = head.find("\r\n");
  if (line_end == std::string_view::npos) {
    return absl::InvalidArgumentError("request line does not end with CRLF");
  }
  const std::string_view line = head.substr(0, line_end);
  std::vector<std::string_view> parts;
  for (size_t at = 0;;) {
    const size_t space = line.find(' ', at);
    parts.push_back(line.substr(at, space == std::string_view::npos ? space : space - at));
    if (space == std::string_view::npos) break;
    at = space + 1;
  }
  if (parts.size() != 3 || !IsToken(parts[0]) || !IsToken(parts[1]) || !IsToken(parts[2])) {
    return absl::InvalidArgumentError("request line is not METHOD TARGET VERSION");
  }
  if (parts[2] != "HTTP/1.1" && parts[2] != "HTTP/1.0") {
    return absl::InvalidArgumentError(absl::StrCat("unsupported version ", std::string(parts[2])));
  }
  if (!parts[1].starts_with("/")) {
    return absl::InvalidArgumentError("request target is not an absolute path");
  }
  // Header lines: NAME ":" VALUE; obsolete line folding and stray bytes are refused.
  std::string_view rest = head.substr(line_end + 2);
  while (!rest.empty() && !rest.starts_with("\r\n")) {
    const size_t end = rest.find("\r\n");
    if (end == std::string_view::npos) return absl::InvalidArgumentError("header without CRLF");
    const std::string_view field = rest.substr(0, end);
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0 || !IsToken(field.substr(0, colon))) {
      return absl::InvalidArgumentError("malformed header line");
    }
    rest = rest.substr(end + 2);
  }
  HttpRequest r;
  r.method = std::string(parts[0]);
  r.version = std::string(parts[2]);
  const std::string_view target = parts[1];
  const size_t q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
  if (r.method != "GET" && r.method != "HEAD") {
    return absl::UnimplementedError(absl::StrCat("method ", r.method, " not allowed"));
  }
  return r;
}

std::string FormatHttpResponse(const HttpResponse& response, bool head_only) {
  std::string out =
      absl::StrCat("HTTP/1.1 ", response.status, " ", Reason(response.status),
                   "\r\nContent-Type: ", response.content_type,
                   "\r\nContent-Length: ", response.body.size(), "\r\nConnection: close\r\n");
  if (response.status == 405) out += "Allow: GET, HEAD\r\n";
  out += "\r\n";
  if (!head_only) out += response.body;
  return out;
}

struct HttpServer::State {
  State(Executor& executor, Listener l, HttpHandler h, HttpServerOptions o)
      : ex(executor), listener(std::move(l)), handler(std::move(h)), options(o), tasks(executor) {}
  Executor& ex;
  Listener listener;
  HttpHandler handler;
  HttpServerOptions options;
  HttpServerStats stats;
  SocketAddress local;
  Scope tasks;
  size_t open = 0;
  bool stopped = false;
};

namespace {

// Reads until the blank line that ends the head; kResourceExhausted past `max` bytes.
Task<absl::Status> ReadHead(Stream& stream, std::string& head, size_t max) {
  std::byte chunk[2048];
  for (;;) {
    absl::StatusOr<size_t> n = co_await stream.ReadSome(chunk);
    if (!n.ok()) co_return n.status();
    if (*n == 0) co_return absl::OutOfRangeError("closed before the end of the request head");
    // Search from a little before the new bytes: the blank line may straddle two reads.
    const size_t from = head.size() >= 3 ? head.size() - 3 : 0;
    head.append(reinterpret_cast<const char*>(chunk), *n);
    const size_t end = head.find("\r\n\r\n", from);
    if (end != std::string::npos && end + 4 <= max) {
      head.resize(end + 4);  // a body, if any, is never read
      co_return absl::OkStatus();
    }
    if (head.size() > max) co_return absl::ResourceExhaustedError("request head too large");
  }
}

Task<absl::Status> WriteAll(Stream& stream, const std::string& bytes) {
  absl::Status s = co_await stream.Write(
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()));
  co_return s;
}

Task<void> Respond(HttpServer::State& s, Stream& stream, const HttpResponse& response,
                   bool head_only) {
  const std::string bytes = FormatHttpResponse(response, head_only);
  absl::Status w = co_await WithTimeout(s.options.write_timeout, WriteAll(stream, bytes));
  if (absl::IsDeadlineExceeded(w)) ++s.stats.timeouts;
}

Task<void> Serve(HttpServer::State& s, Stream stream) {
  struct Slot {  // one of max_connections, for as long as this task lives
    size_t& open;
    ~Slot() { --open; }
  } slot{s.open};
  std::string head;
  absl::Status read = co_await WithTimeout(s.options.read_timeout,
                                           ReadHead(stream, head, s.options.max_request_bytes));
  if (absl::IsResourceExhausted(read)) {
    ++s.stats.bad_requests;
    const HttpResponse too_large{.status = 431, .body = "request head too large\n"};
    co_await Respond(s, stream, too_large, false);
  } else if (absl::IsDeadlineExceeded(read)) {
    ++s.stats.timeouts;
  } else if (read.ok()) {
    absl::StatusOr<HttpRequest> request = ParseHttpRequestHead(head);
    if (!request.ok()) {
      ++s.stats.bad_requests;
      // Responses are named: GCC 12 destroys temporaries of a co_await expression twice.
      const HttpResponse refused{.status = absl::IsUnimplemented(request.status()) ? 405 : 400,
                                 .body = std::string(request.status().message()) + "\n"};
      co_await Respond(s, stream, refused, false);
    } else {
      ++s.stats.requests;
      const HttpResponse response = s.handler(*request);
      co_await Respond(s, stream, response, request->method == "HEAD");
    }
  }
  stream.Close();
}

Task<void> Refuse(HttpServer::State& s, Stream stream) {
  struct Slot {
    size_t& open;
    ~Slot() { --open; }
  } slot{s.open};
  const HttpResponse busy{.status = 503, .body = "too many connections\n"};
  co_await Respond(s, stream, busy, false);
  stream.Close();
}

Task<void> AcceptLoop(HttpServer::State& s) {
  for (;;) {
    absl::StatusOr<Listener::Accepted> a = co_await s.listener.Accept();
    if (!a.ok()) {
      if (absl::IsResourceExhausted(a.status())) {  // out of descriptors: try again later
        absl::Status slept = co_await Sleep(std::chrono::milliseconds(100));
        if (!slept.ok()) co_return;
        continue;
      }
      co_return;  // closed or cancelled
    }
    if (s.open >= s.options.max_connections) {
      ++s.stats.rejected_busy;
      // A 503 for as many again, then plain closes: refusing is bounded too.
      if (s.open < 2 * s.options.max_connections) {
        ++s.open;
        s.tasks.Spawn(Refuse(s, std::move(a->stream)));
      }
      continue;
    }
    ++s.open;
    s.tasks.Spawn(Serve(s, std::move(a->stream)));
  }
}

}  // namespace

HttpServer::HttpServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

HttpServer::~HttpServer() {
  if (state_ && !state_->stopped) {
    state_->listener.Close();
    state_->tasks.Cancel();
  }
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(Executor& executor,
                                                              SocketAddress address,
                                                              HttpHandler handler,
                                                              HttpServerOptions options) {
  absl::StatusOr<Listener> l =
      Listener::Listen(executor, {.port = address.port(), .address = address});
  if (!l.ok()) return l.status();
  auto state = std::make_unique<State>(executor, *std::move(l), std::move(handler), options);
  state->local = state->listener.local_address();
  state->tasks.Spawn(AcceptLoop(*state));
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(state)));
}

Task<void> HttpServer::Stop() {
  if (state_->stopped) co_return;
  state_->stopped = true;
  state_->listener.Close();
  co_await state_->tasks.Close();
}

const SocketAddress& HttpServer::local_address() const { return state_->local; }
const HttpServerStats& HttpServer::stats() const { return state_->stats; }

}  // namespace uxcom::net
