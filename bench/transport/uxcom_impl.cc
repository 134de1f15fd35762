// The uxcom side of //bench:transport_bench: the transport itself (xcom::Transport, one per
// node, each on its own net::Executor and thread) and the raw net/ figure (the same frames
// streamed over the same number of connections, one executor and thread per node).
#include "bench/transport/uxcom_impl.h"

#include <algorithm>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "bench/transport/harness.h"
#include "net/event.h"
#include "net/executor.h"
#include "net/scope.h"
#include "net/stream.h"
#include "net/throwaway_pki.h"
#include "net/timer.h"
#include "xcom/transport.h"
#include "xdr/big_endian.h"
#include "xdr/buffer.h"
#include "xdr/encode.h"
#include "xdr/frame_header.h"

namespace uxcom::bench::transport {
namespace {

using net::Executor;
using net::Stream;
using net::Task;
using xcom::IncomingMessage;
using xcom::MessageOrigin;
using xcom::SendReport;
using xcom::SiteId;
using xcom::Transport;

std::unique_ptr<Executor> NewExecutor(net::BackendKind backend) {
  net::ExecutorOptions o;
  o.backend = backend;
  absl::StatusOr<std::unique_ptr<Executor>> ex = Executor::Create(o);
  if (!ex.ok()) {
    std::fprintf(stderr, "%s\n", ex.status().ToString().c_str());
    std::abort();
  }
  return *std::move(ex);
}

// The gate every executor-based node waits at: the main thread posts Set() to it.
struct Gates {
  net::Event start;
  net::Event stop;
};

// Lets the executor's posted-closure queues reach their capacity before the timed phase, so
// that the main thread's Post() of the start signal allocates nothing in it.
Task<void> PrimePost(Executor& ex) {
  for (int k = 0; k < 2; ++k) {
    bool ran = false;
    ex.Post([&ran] { ran = true; });
    while (!ran) co_await net::Yield();
  }
}

// Starts and stops every node of a run from the main thread.
struct Nodes {
  std::vector<Executor*> executors;
  std::vector<Gates*> gates;
  explicit Nodes(int n) : executors(n), gates(n) {}
  void StartAll() {
    for (size_t i = 0; i < executors.size(); ++i) {
      executors[i]->Post([g = gates[i]] { g->start.Set(); });
    }
  }
  void StopAll() {
    for (size_t i = 0; i < executors.size(); ++i) {
      executors[i]->Post([g = gates[i]] { g->stop.Set(); });
    }
  }
};

// --- the transport -------------------------------------------------------------------------------

xcom::Site MakeSite(const std::vector<std::string>& addresses, int self) {
  xcom::Site site{.group_id = kGroup, .nodeno = static_cast<xcom::NodeNo>(self)};
  for (const std::string& a : addresses) site.nodes.push_back({.address = a});
  return site;
}

std::unique_ptr<Transport> NewTransport(Executor& ex, const std::string& self,
                                        const xcom::TlsOptions& tls, size_t pooled_messages) {
  xcom::TransportOptions o;
  o.self_address = self;
  o.tls = tls;
  o.pooled_messages = pooled_messages;
  o.log = nullptr;  // no log sink: nothing is formatted
  absl::StatusOr<std::unique_ptr<Transport>> t = Transport::Create(ex, o);
  if (!t.ok()) {
    std::fprintf(stderr, "%s\n", t.status().ToString().c_str());
    std::abort();
  }
  return *std::move(t);
}

// The pools sized for what the window lets be in flight at one node: every sender (itself
// included) up to two windows ahead of what the node has read from it (see Progress).
size_t PooledMessages(const Workload& w) {
  return std::max<size_t>(xcom::TransportOptions().pooled_messages,
                          2 * static_cast<size_t>(w.nodes) * w.window);
}

// Waits until this node's connections to every other node are negotiated, so that no dial
// (a retry after a peer's listener came up late) falls into the timed phase.
Task<void> WaitForGroup(Transport& t, SiteId site, int nodes, NodeResult& result) {
  for (int j = 0; j < nodes && result.error.empty(); ++j) {
    absl::Status s =
        co_await t.WaitForPeer(site, static_cast<xcom::NodeNo>(j), std::chrono::seconds(30));
    if (!s.ok()) result.error = s.ToString();
  }
}

// One node of the broadcast benchmark: warm-up, gate, timed phase, gate, stop.
Task<void> BroadcastDriver(Executor& ex, Transport& t, SiteId site, const Workload& w, Gates& gates,
                           Harness& h, NodeResult& result) {
  xdr::PaxMsg msg = BroadcastMessage(w.payload);
  Progress progress(w.nodes, w.window);
  const uint32_t n = static_cast<uint32_t>(w.nodes);
  uint64_t sent = 0;
  // The warm-up ends holding the last two windows of every sender, which is as many messages as
  // the window ever lets be in flight at this node (see PooledMessages): every pool then holds
  // what the timed phase can need, whatever the timing of this run.
  std::vector<IncomingMessage> held;
  held.reserve(PooledMessages(w));
  const uint64_t hold_from = w.warmup - std::min(w.warmup, 2 * w.window);
  co_await PrimePost(ex);
  co_await WaitForGroup(t, site, w.nodes, result);
  for (int phase = 0; phase < 2; ++phase) {
    const bool timed = phase == 1;
    const uint64_t end = timed ? w.warmup + w.messages : w.warmup;
    while (result.error.empty() && progress.total() < end * n) {
      while (sent < end && progress.CanSend(sent)) {
        msg.synode.msgno = sent;
        SendReport r = co_await t.SendToAll(site, msg);
        if (!r.status.ok() || r.queued != n) {
          result.error = absl::StrCat("send ", sent, ": queued ", r.queued, " of ", n, ": ",
                                      r.status.ToString());
          break;
        }
        ++sent;
      }
      absl::StatusOr<IncomingMessage> in = co_await t.Receive();
      if (!in.ok()) {
        result.error = in.status().ToString();
        break;
      }
      if (!progress.Receive(in->msg().from, in->msg().synode.msgno)) {
        result.error = progress.error();
        break;
      }
      if (!timed) {
        if (in->msg().synode.msgno >= hold_from) held.push_back(*std::move(in));
        continue;
      }
      if (in->origin() == MessageOrigin::kSelf) {
        ++result.self_delivered;
      } else {
        ++result.delivered;
        result.wire_bytes += in->wire_size();
      }
    }
    if (timed) {
      h.Finished();
    } else {
      held.clear();
      h.Ready();
      if (result.error.empty()) (void)co_await gates.start.Wait();
    }
  }
  (void)co_await gates.stop.Wait();
  co_await t.Stop();
}

// One node of the latency benchmark: node 0 asks node 1 and waits for the answer; node 1
// answers with Transport::Reply on the connection the request came in on; the others idle.
Task<void> LatencyDriver(Executor& ex, Transport& t, SiteId site, int self, uint64_t warmup,
                         uint64_t rounds, Gates& gates, Harness& h, NodeResult& result) {
  xdr::PaxMsg request = RequestMessage();
  xdr::PaxMsg reply = ReplyMessage();
  result.rtt_us.reserve(rounds);
  co_await PrimePost(ex);
  co_await WaitForGroup(t, site, 3, result);
  for (int phase = 0; phase < 2; ++phase) {
    const bool timed = phase == 1;
    const uint64_t first = timed ? warmup : 0;
    const uint64_t end = timed ? warmup + rounds : warmup;
    for (uint64_t k = first; k < end && result.error.empty() && self <= 1; ++k) {
      if (self == 0) {
        request.synode.msgno = k;
        auto t0 = std::chrono::steady_clock::now();
        SendReport r = co_await t.SendTo(site, 1, request);
        if (!r.status.ok()) {
          result.error = r.status.ToString();
          break;
        }
        absl::StatusOr<IncomingMessage> in = co_await t.Receive();
        auto t1 = std::chrono::steady_clock::now();
        if (!in.ok() || in->msg().synode.msgno != k || in->origin() != MessageOrigin::kOutbound) {
          result.error = absl::StrCat("reply ", k, ": ", in.status().ToString());
          break;
        }
        if (timed) {
          result.rtt_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
          ++result.delivered;
          result.wire_bytes += in->wire_size();
        }
      } else {
        absl::StatusOr<IncomingMessage> in = co_await t.Receive();
        if (!in.ok() || in->msg().synode.msgno != k) {
          result.error = absl::StrCat("request ", k, ": ", in.status().ToString());
          break;
        }
        reply.synode.msgno = k;
        absl::Status s = co_await t.Reply(*in, reply);
        if (!s.ok()) {
          result.error = s.ToString();
          break;
        }
        if (timed) {
          ++result.delivered;
          result.wire_bytes += in->wire_size();
        }
      }
    }
    if (timed) {
      h.Finished();
    } else {
      h.Ready();
      if (result.error.empty()) (void)co_await gates.start.Wait();
    }
  }
  (void)co_await gates.stop.Wait();
  co_await t.Stop();
}

template <typename MakeDriver>
RunResult RunTransport(int nodes, net::BackendKind backend, MakeDriver make_driver,
                       const xcom::TlsOptions& tls = {},
                       size_t pooled_messages = xcom::TransportOptions().pooled_messages) {
  std::vector<std::string> addresses;
  for (int i = 0; i < nodes; ++i) addresses.push_back(absl::StrCat("127.0.0.1:", ReservePort()));
  Harness h(nodes);
  Nodes all(nodes);
  Countdown registered(nodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < nodes; ++i) {
    threads.emplace_back([&, i] {
      std::unique_ptr<Executor> ex = NewExecutor(backend);
      std::unique_ptr<Transport> t = NewTransport(*ex, addresses[i], tls, pooled_messages);
      absl::StatusOr<SiteId> site = t->InstallSite(MakeSite(addresses, i));
      absl::Status started = site.ok() ? t->Start() : site.status();
      if (!started.ok()) {
        std::fprintf(stderr, "node %d: %s\n", i, started.ToString().c_str());
        std::abort();
      }
      Gates gates;
      all.executors[i] = ex.get();
      all.gates[i] = &gates;
      registered.CountDown();
      ex->BlockOn(make_driver(*ex, *t, *site, i, gates, h, h.results()[i]));
      t.reset();
      ex->Shutdown();
    });
  }
  registered.Wait(std::chrono::seconds(120));
  RunResult r = h.Measure([&] { all.StartAll(); }, [&] { all.StopAll(); });
  for (std::thread& t : threads) t.join();
  return r;
}

// --- raw net/ ------------------------------------------------------------------------------------

// Counts XCom frames (12-byte header, big-endian body length at offset 4) in a byte stream.
class FrameCounter {
 public:
  void Feed(std::span<const std::byte> data) {
    while (!data.empty()) {
      if (body_left_ > 0) {
        size_t k = std::min(body_left_, data.size());
        body_left_ -= k;
        data = data.subspan(k);
        if (body_left_ == 0) ++frames_;
        continue;
      }
      size_t k = std::min(xdr::kFrameHeaderSize - have_, data.size());
      std::copy_n(data.begin(), k, header_ + have_);
      have_ += k;
      data = data.subspan(k);
      if (have_ == xdr::kFrameHeaderSize) {
        have_ = 0;
        body_left_ = xdr::LoadBigEndian32(&header_[4]);
        if (body_left_ == 0) ++frames_;
      }
    }
  }
  uint64_t frames() const { return frames_; }

 private:
  std::byte header_[xdr::kFrameHeaderSize];
  size_t have_ = 0;
  size_t body_left_ = 0;
  uint64_t frames_ = 0;
};

// Writes `count` frames, coalesced into writes of whole frames of at most 64 KiB (XCom's
// srv_buf rule; `batch` holds as many copies of the frame as fit).
Task<void> RawSender(Stream& s, std::span<const std::byte> batch, size_t frame, uint64_t count,
                     std::string* error) {
  const uint64_t per_batch = batch.size() / frame;
  for (uint64_t sent = 0; sent < count;) {
    uint64_t k = std::min(per_batch, count - sent);
    absl::Status st = co_await s.Write(batch.first(k * frame));
    if (!st.ok()) {
      *error = st.ToString();
      co_return;
    }
    sent += k;
  }
}

Task<void> RawReceiver(Stream& s, uint64_t count, FrameCounter* counter, std::string* error) {
  const uint64_t target = counter->frames() + count;
  while (counter->frames() < target) {
    absl::StatusOr<size_t> n = co_await s.ReadChunk([&](std::span<const std::byte> data) {
      counter->Feed(data);
      return data.size();
    });
    if (!n.ok()) {
      *error = n.status().ToString();
      co_return;
    }
  }
}

struct RawNodeSockets {
  std::vector<Stream> out;  // to every other node
  std::vector<Stream> in;   // from every other node
};

Task<void> RawStreamDriver(Executor& ex, RawNodeSockets& sockets, const Workload& w,
                           std::span<const std::byte> batch, size_t frame, Gates& gates, Harness& h,
                           NodeResult& result) {
  std::vector<FrameCounter> counters(sockets.in.size());
  co_await PrimePost(ex);
  for (int phase = 0; phase < 2; ++phase) {
    const bool timed = phase == 1;
    const uint64_t count = timed ? w.messages : w.warmup;
    if (timed && !result.error.empty()) {
      h.Finished();
      break;
    }
    uint64_t before = 0;
    for (const FrameCounter& c : counters) before += c.frames();
    {
      net::Scope scope(ex);
      for (Stream& s : sockets.out) scope.Spawn(RawSender(s, batch, frame, count, &result.error));
      for (size_t k = 0; k < sockets.in.size(); ++k) {
        scope.Spawn(RawReceiver(sockets.in[k], count, &counters[k], &result.error));
      }
      co_await scope.Join();
    }
    if (timed) {
      uint64_t after = 0;
      for (const FrameCounter& c : counters) after += c.frames();
      result.delivered = after - before;
      result.wire_bytes = result.delivered * frame;
      h.Finished();
    } else {
      h.Ready();
      if (result.error.empty()) (void)co_await gates.start.Wait();
    }
  }
  (void)co_await gates.stop.Wait();
}

// Node 0 writes the request frame to node 1 and reads the reply frame back; node 1 answers.
Task<absl::Status> ReadFrame(Stream& s, std::span<std::byte> buffer) {
  for (size_t have = 0; have < buffer.size();) {
    absl::StatusOr<size_t> n = co_await s.ReadSome(buffer.subspan(have));
    if (!n.ok()) co_return n.status();
    if (*n == 0) co_return absl::OutOfRangeError("closed");
    have += *n;
  }
  co_return absl::OkStatus();
}

Task<void> RawLatencyDriver(Executor& ex, RawNodeSockets& sockets, int self, uint64_t warmup,
                            uint64_t rounds, std::span<const std::byte> request,
                            std::span<const std::byte> reply, Gates& gates, Harness& h,
                            NodeResult& result) {
  std::vector<std::byte> buffer(std::max(request.size(), reply.size()));
  result.rtt_us.reserve(rounds);
  co_await PrimePost(ex);
  for (int phase = 0; phase < 2; ++phase) {
    const bool timed = phase == 1;
    const uint64_t count = timed ? rounds : warmup;
    for (uint64_t k = 0; k < count && result.error.empty() && self <= 1; ++k) {
      if (self == 0) {
        Stream& s = sockets.out[0];  // to node 1
        auto t0 = std::chrono::steady_clock::now();
        absl::Status st = co_await s.Write(request);
        if (st.ok()) st = co_await ReadFrame(s, std::span(buffer).first(reply.size()));
        auto t1 = std::chrono::steady_clock::now();
        if (!st.ok()) result.error = st.ToString();
        if (timed) {
          result.rtt_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
          ++result.delivered;
          result.wire_bytes += reply.size();
        }
      } else {
        Stream& s = sockets.in[0];  // from node 0
        absl::Status st = co_await ReadFrame(s, std::span(buffer).first(request.size()));
        if (st.ok()) st = co_await s.Write(reply);
        if (!st.ok()) result.error = st.ToString();
        if (timed) {
          ++result.delivered;
          result.wire_bytes += request.size();
        }
      }
    }
    if (timed) {
      h.Finished();
    } else {
      h.Ready();
      if (result.error.empty()) (void)co_await gates.start.Wait();
    }
  }
  (void)co_await gates.stop.Wait();
}

template <typename MakeDriver>
RunResult RunRaw(int nodes, net::BackendKind backend, MakeDriver make_driver) {
  Mesh mesh = MakeMesh(nodes);
  Harness h(nodes);
  Nodes all(nodes);
  Countdown registered(nodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < nodes; ++i) {
    threads.emplace_back([&, i] {
      std::unique_ptr<Executor> ex = NewExecutor(backend);
      {
        RawNodeSockets sockets;
        for (int j = 0; j < nodes; ++j) {
          if (j == i) continue;
          sockets.out.push_back(*Stream::Adopt(*ex, net::Socket(mesh.out[i][j])));
          sockets.in.push_back(*Stream::Adopt(*ex, net::Socket(mesh.in[i][j])));
        }
        Gates gates;
        all.executors[i] = ex.get();
        all.gates[i] = &gates;
        registered.CountDown();
        ex->BlockOn(make_driver(*ex, sockets, i, gates, h, h.results()[i]));
      }
      ex->Shutdown();
    });
  }
  registered.Wait(std::chrono::seconds(120));
  RunResult r = h.Measure([&] { all.StartAll(); }, [&] { all.StopAll(); });
  for (std::thread& t : threads) t.join();
  return r;
}

}  // namespace

size_t FrameSize(const xdr::PaxMsg& msg) {
  xdr::Buffer b;
  absl::StatusOr<size_t> n = xdr::AppendFrame(xdr::kMaxProtocolVersion, msg, b);
  if (!n.ok()) Die("encode");
  return b.size();
}

RunResult RunUxcomBroadcast(const Workload& w, net::BackendKind backend,
                            const xcom::TlsOptions& tls) {
  return RunTransport(
      w.nodes, backend,
      [&](Executor& ex, Transport& t, SiteId site, int, Gates& gates, Harness& h,
          NodeResult& result) { return BroadcastDriver(ex, t, site, w, gates, h, result); },
      tls, PooledMessages(w));
}

const xcom::TlsOptions& BenchTls() {
  static const xcom::TlsOptions* const options = [] {
    absl::StatusOr<net::ThrowawayCa> ca = net::ThrowawayCa::Create("transport_bench CA");
    if (!ca.ok()) Die("ThrowawayCa");
    absl::StatusOr<net::PemPair> node =
        ca->Issue({.common_name = "bench", .ip_addresses = {"127.0.0.1"}});
    static absl::StatusOr<net::TempDirectory> dir = net::TempDirectory::Create("transport_bench");
    if (!node.ok() || !dir.ok()) Die("certificates");
    absl::StatusOr<std::string> ca_file = dir->Write("ca.pem", ca->certificate_pem());
    absl::StatusOr<std::string> cert = dir->Write("node.pem", node->certificate);
    absl::StatusOr<std::string> key = dir->Write("node-key.pem", node->private_key);
    if (!ca_file.ok() || !cert.ok() || !key.ok()) Die("certificate files");
    return new xcom::TlsOptions{.mode = xcom::SslMode::kVerifyIdentity,
                                .cert_file = *cert,
                                .key_file = *key,
                                .ca_file = *ca_file};
  }();
  return *options;
}

RunResult RunUxcomLatency(uint64_t warmup, uint64_t rounds, net::BackendKind backend) {
  return RunTransport(3, backend,
                      [&](Executor& ex, Transport& t, SiteId site, int self, Gates& gates,
                          Harness& h, NodeResult& result) {
                        return LatencyDriver(ex, t, site, self, warmup, rounds, gates, h, result);
                      });
}

RunResult RunRawBroadcast(const Workload& w, net::BackendKind backend) {
  xdr::Buffer frame;
  if (!xdr::AppendFrame(xdr::kMaxProtocolVersion, BroadcastMessage(w.payload), frame).ok()) {
    Die("encode");
  }
  const size_t per_batch = std::max<size_t>(1, (64 << 10) / frame.size());
  std::vector<std::byte> batch;
  for (size_t k = 0; k < per_batch; ++k) {
    batch.insert(batch.end(), frame.span().begin(), frame.span().end());
  }
  return RunRaw(w.nodes, backend,
                [&](Executor& ex, RawNodeSockets& sockets, int, Gates& gates, Harness& h,
                    NodeResult& result) {
                  return RawStreamDriver(ex, sockets, w, batch, frame.size(), gates, h, result);
                });
}

RunResult RunRawLatency(uint64_t warmup, uint64_t rounds, net::BackendKind backend) {
  xdr::Buffer request, reply;
  if (!xdr::AppendFrame(xdr::kMaxProtocolVersion, RequestMessage(), request).ok() ||
      !xdr::AppendFrame(xdr::kMaxProtocolVersion, ReplyMessage(), reply).ok()) {
    Die("encode");
  }
  return RunRaw(3, backend,
                [&](Executor& ex, RawNodeSockets& sockets, int self, Gates& gates, Harness& h,
                    NodeResult& result) {
                  return RawLatencyDriver(ex, sockets, self, warmup, rounds, request.span(),
                                          reply.span(), gates, h, result);
                });
}

}  // namespace uxcom::bench::transport
