#include "xcom/testing/testing.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "net/timer.h"
#include "xcom/message_defaults.h"
#include "xdr/copy.h"
#include "xdr/encode.h"

namespace uxcom::xcom::testing {

LogSink LogCapture::SinkFor(std::string node) {
  auto state = state_;
  bool echo = std::getenv("UXCOM_TEST_LOG") != nullptr;
  return [state, node, echo](LogLevel level, std::string_view line) {
    net::TimePoint at = state->clock != nullptr ? state->clock->Now() : net::TimePoint{};
    state->lines.push_back({absl::StrCat("[", node, "] ", LogLevelName(level), ": ",
                                         absl::string_view(line.data(), line.size())),
                            at});
    if (echo) std::fprintf(stderr, "%s\n", state->lines.back().text.c_str());
  };
}

bool LogCapture::Contains(std::string_view text) const { return Count(text) != 0; }

size_t LogCapture::Count(std::string_view text) const { return Lines(text).size(); }

std::vector<std::string> LogCapture::Lines(std::string_view text) const {
  std::vector<std::string> out;
  for (const Line& l : state_->lines) {
    if (l.text.find(text) != std::string::npos) out.push_back(l.text);
  }
  return out;
}

std::vector<net::TimePoint> LogCapture::Times(std::string_view text) const {
  std::vector<net::TimePoint> out;
  for (const Line& l : state_->lines) {
    if (l.text.find(text) != std::string::npos) out.push_back(l.at);
  }
  return out;
}

std::string LogCapture::Dump() const {
  std::string out;
  for (const Line& l : state_->lines) absl::StrAppend(&out, l.text, "\n");
  return out;
}

std::vector<net::Duration> Since(net::TimePoint origin, const std::vector<net::TimePoint>& times) {
  std::vector<net::Duration> out;
  for (net::TimePoint t : times) out.push_back(t - origin);
  return out;
}

TransportOptions LoopbackOptions(uint16_t port, LogCapture& logs, std::string name) {
  TransportOptions o;
  o.self_address = absl::StrCat("127.0.0.1:", port);
  o.log = logs.SinkFor(std::move(name));
  o.backoff = {.initial = std::chrono::milliseconds(20),
               .multiplier = 1.0,
               .increase = std::chrono::milliseconds(50),
               .max = std::chrono::milliseconds(200)};
  o.connect_timeout = std::chrono::seconds(2);
  o.reaper_period = std::chrono::milliseconds(50);
  return o;
}

size_t ProcStatusBytes(std::string_view field) {
  std::ifstream status("/proc/self/status");
  const std::string prefix = std::string(field) + ":";
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(prefix)) return std::stoull(line.substr(prefix.size())) * 1024;
  }
  std::fprintf(stderr, "no %s in /proc/self/status\n", prefix.c_str());
  std::abort();
}

size_t ResetHighWaterMark() {
  (void)prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);  // best effort: the default ("madvise") needs none
  malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
  return ProcStatusBytes("VmRSS");
}

Group::Group(net::Executor& executor, int n, Customize customize) {
  logs.StampWith(executor);
  std::vector<TransportOptions> options;
  for (int i = 0; i < n; ++i) {
    uint16_t port = ReservePort();
    options.push_back(LoopbackOptions(port, logs, absl::StrCat("node", i)));
    if (customize) customize(i, options.back());
    addresses.push_back(options.back().self_address);
  }
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<std::unique_ptr<Transport>> t = Transport::Create(executor, options[i]);
    if (!t.ok()) {
      std::fprintf(stderr, "Transport::Create: %s\n", t.status().ToString().c_str());
      std::abort();
    }
    nodes.push_back(*std::move(t));
    if (absl::Status s = nodes.back()->Start(); !s.ok()) {
      std::fprintf(stderr, "Transport::Start: %s\n", s.ToString().c_str());
      std::abort();
    }
  }
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<SiteId> id = nodes[i]->InstallSite(SiteFor(i));
    if (!id.ok()) std::abort();
    sites.push_back(*id);
  }
}

Site Group::SiteFor(int self) const {
  Site site{.group_id = 0x5eed, .nodeno = static_cast<NodeNo>(self)};
  for (size_t i = 0; i < nodes.size(); ++i) {
    const TransportOptions& o = nodes[i]->options();
    site.nodes.push_back({.address = addresses[i],
                          .uuid = absl::StrCat("uuid-", i),
                          .proto = {o.min_version, o.max_version}});
  }
  return site;
}

net::Task<void> Group::Stop() {
  for (auto& t : nodes) co_await t->Stop();
}

net::Task<absl::StatusOr<IncomingMessage>> Group::Deliver(int from, int to, std::string payload) {
  SendReport sent =
      co_await nodes[from]->SendTo(sites[from], static_cast<NodeNo>(to), AppMessage(payload));
  if (sent.queued == 0) {
    co_return sent.status.ok() ? absl::InternalError("the send queued nothing") : sent.status;
  }
  absl::StatusOr<IncomingMessage> in = co_await ReceiveWithin(*nodes[to], std::chrono::seconds(5));
  co_return in;
}

xdr::PaxMsg AppMessage(std::string_view payload, xdr::PaxOp op) {
  return xdr::PaxMsg{
      .op = op,
      .synode = {.group_id = 0x5eed, .msgno = 1, .node = 0},
      .a = {{.group_id = 0x5eed, .body = xdr::AppU::App(payload)}},
  };
}

std::string Payload(const IncomingMessage& m) {
  const xdr::PaxMsg& msg = m.msg();
  if (msg.a.empty()) return "";
  return std::string(std::get<xdr::Bytes>(msg.a[0].body.arm));
}

net::Task<absl::Status> ExchangeExactlyOnce(Group& g, int per_node, net::Duration timeout) {
  const int n = g.size();
  for (int k = 0; k <= per_node; ++k) {  // k == per_node: the fence
    for (int i = 0; i < n; ++i) {
      std::string payload = k < per_node ? absl::StrCat(i, ":", k) : absl::StrCat(i, ":fence");
      SendReport r = co_await g[i].SendToAll(g.sites[i], AppMessage(payload));
      if (!r.status.ok() || r.queued != static_cast<uint32_t>(n)) {
        co_return absl::InternalError(
            absl::StrCat("node ", i, " queued ", r.queued, " of ", n, ": ", r.status.ToString()));
      }
    }
  }
  for (int j = 0; j < n; ++j) {
    std::vector<int> next(static_cast<size_t>(n), 0);  // sender -> next expected; -1: fenced
    int fences = 0;
    for (int m = 0; fences < n; ++m) {
      absl::StatusOr<IncomingMessage> in = co_await ReceiveWithin(g[j], timeout);
      if (!in.ok()) {
        co_return absl::InternalError(absl::StrCat("node ", j, " received ", m, " of ",
                                                   n * (per_node + 1), ": ", in.status().ToString(),
                                                   "\n", g.logs.Dump()));
      }
      const xdr::PaxMsg& msg = in->msg();
      std::string p = Payload(*in);
      size_t colon = p.find(':');
      int sender = colon == std::string::npos ? -1 : std::atoi(p.substr(0, colon).c_str());
      std::string rest = colon == std::string::npos ? "" : p.substr(colon + 1);
      int want = sender >= 0 && sender < n ? next[static_cast<size_t>(sender)] : -2;
      bool fence = rest == "fence";
      int seq = fence ? per_node : std::atoi(rest.c_str());
      MessageOrigin origin = sender == j ? MessageOrigin::kSelf : MessageOrigin::kInbound;
      if (want < 0 || seq != want || msg.from != static_cast<NodeNo>(sender) ||
          msg.to != static_cast<NodeNo>(j) || in->origin() != origin) {
        co_return absl::InternalError(
            absl::StrCat("node ", j, " got '", p, "' (from ", msg.from, " to ", msg.to, ", ",
                         MessageOriginName(in->origin()), ") out of order or duplicated: expected ",
                         want, "\n", g.logs.Dump()));
      }
      next[static_cast<size_t>(sender)] = fence ? -1 : seq + 1;
      if (fence) ++fences;
    }
    if (std::optional<IncomingMessage> extra = g[j].TryReceive()) {
      co_return absl::InternalError(
          absl::StrCat("node ", j, " received a message after every fence"));
    }
  }
  co_return absl::OkStatus();
}

net::Task<absl::StatusOr<IncomingMessage>> ReceiveWithin(Transport& t, net::Duration timeout) {
  return t.Receive(timeout);
}

net::Task<bool> Eventually(std::function<bool()> condition, net::Duration timeout) {
  net::Executor& ex = co_await net::CurrentExecutor();
  net::TimePoint until = ex.Now() + timeout;
  while (!condition()) {
    if (ex.Now() >= until) co_return false;
    absl::Status slept = co_await net::Sleep(std::chrono::milliseconds(5));
    if (!slept.ok()) co_return false;
  }
  co_return true;
}

net::Task<absl::StatusOr<std::unique_ptr<RawPeer>>> RawPeer::Connect(net::Executor& ex,
                                                                     uint16_t port) {
  absl::StatusOr<net::Stream> s = co_await net::Stream::Connect(
      ex, net::SocketAddress::Loopback4(port), std::chrono::seconds(2));
  if (!s.ok()) co_return s.status();
  co_return std::make_unique<RawPeer>(*std::move(s));
}

net::Task<absl::Status> RawPeer::Write(std::span<const std::byte> bytes) {
  co_return co_await stream_.Write(bytes);
}

net::Task<absl::StatusOr<RawFrame>> RawPeer::ReadFrame(net::Duration timeout) {
  auto read = [](net::BufferedReader& in) -> net::Task<absl::StatusOr<RawFrame>> {
    absl::Status header = co_await in.Fill(xdr::kFrameHeaderSize);
    if (!header.ok()) co_return header;
    RawFrame f;
    f.header = xdr::LoadFrameHeader(in.buffered().first<xdr::kFrameHeaderSize>());
    size_t size = xdr::kFrameHeaderSize;
    if (f.header.type == xdr::MessageType::kNormal) size += f.header.length;
    f.bytes.resize(size);
    absl::Status whole = co_await in.ReadExactly(f.bytes);
    if (!whole.ok()) co_return whole;
    co_return f;
  };
  co_return co_await net::WithTimeout(timeout, read(reader_));
}

net::Task<absl::Status> RawPeer::ExpectClosed(net::Duration timeout) {
  auto wait = [](net::BufferedReader& in) -> net::Task<absl::Status> {
    absl::Status s = co_await in.FillSome();
    if (absl::IsOutOfRange(s) || absl::IsUnavailable(s)) co_return absl::OkStatus();
    if (s.ok()) co_return absl::FailedPreconditionError("received bytes, expected the close");
    co_return s;
  };
  co_return co_await net::WithTimeout(timeout, wait(reader_));
}

RawListener::RawListener(net::Executor& ex) : port_(ReservePort()) {
  absl::StatusOr<net::Listener> l =
      net::Listener::Listen(ex, {.port = port_, .address = net::SocketAddress::Loopback4(port_)});
  if (!l.ok()) {
    std::fprintf(stderr, "RawListener: %s\n", l.status().ToString().c_str());
    std::abort();
  }
  listener_ = *std::move(l);
}

std::string RawListener::address() const { return absl::StrCat("127.0.0.1:", port_); }

net::Task<std::unique_ptr<RawPeer>> RawListener::Accept(net::Duration timeout) {
  auto accept = [](net::Listener& l) -> net::Task<absl::StatusOr<net::Stream>> {
    absl::StatusOr<net::Listener::Accepted> a = co_await l.Accept();
    if (!a.ok()) co_return a.status();
    co_return std::move(a->stream);
  };
  absl::StatusOr<net::Stream> s = co_await net::WithTimeout(timeout, accept(listener_));
  if (!s.ok()) {
    std::fprintf(stderr, "RawListener::Accept: %s\n", s.status().ToString().c_str());
    std::abort();
  }
  co_return std::make_unique<RawPeer>(*std::move(s));
}

std::vector<std::byte> Bytes(std::string_view s) {
  std::vector<std::byte> out(s.size());
  std::memcpy(out.data(), s.data(), s.size());
  return out;
}

std::vector<std::byte> EncodeFrame(xdr::ProtocolVersion version, const xdr::PaxMsg& msg) {
  xdr::Arena arena;
  xdr::PaxMsg* copy = xdr::CopyToArena(msg, arena);
  ApplyCarriedDefaults(*copy);
  std::vector<std::byte> frame;
  absl::StatusOr<size_t> n = xdr::AppendFrame(version, *copy, frame);
  if (!n.ok()) {
    std::fprintf(stderr, "EncodeFrame: %s\n", n.status().ToString().c_str());
    std::abort();
  }
  return frame;
}

std::vector<std::byte> StrangerFrame(size_t payload_bytes) {
  const std::string payload(payload_bytes, 'p');  // the message views it
  xdr::PaxMsg msg = AppMessage(payload);
  msg.group_id = 0;
  msg.delivered_msg = xdr::SynodeNo{};
  msg.event_horizon = 0;
  std::vector<std::byte> out;
  absl::StatusOr<size_t> n = xdr::AppendFrame(xdr::ProtocolVersion::kX1_6, msg, out);
  if (!n.ok()) {
    std::fprintf(stderr, "StrangerFrame: %s\n", n.status().ToString().c_str());
    std::abort();
  }
  return out;
}

DialingNode::DialingNode(net::Executor& ex, const std::string& peer,
                         std::function<void(TransportOptions&)> customize) {
  TransportOptions o = LoopbackOptions(ReservePort(), logs, "node0");
  if (customize) customize(o);
  absl::StatusOr<std::unique_ptr<Transport>> created = Transport::Create(ex, o);
  if (!created.ok() || !(*created)->Start().ok()) {
    std::fprintf(stderr, "DialingNode: cannot start a transport\n");
    std::abort();
  }
  t = *std::move(created);
  absl::StatusOr<SiteId> id = t->InstallSite(Site{
      .group_id = kGroup, .nodeno = 0, .nodes = {{.address = o.self_address}, {.address = peer}}});
  if (!id.ok()) std::abort();
  site = *id;
}

}  // namespace uxcom::xcom::testing
