#include "bench/transport/xcom_model.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/baseline/tirpc_pax_msg.h"
#include "bench/transport/harness.h"

namespace uxcom::bench::transport {
namespace {

using tirpc::pax_msg;

constexpr size_t kSrvBufSize = 64 * 1024;  // XCom's srv_buf
constexpr uint32_t kVersion = 7;           // x_1_6, what every connection negotiated
constexpr size_t kHeaderSize = 12;

// XCom's srv_buf: a fixed buffer with a read position (start) and a fill position (end).
struct SrvBuf {
  std::unique_ptr<char[]> data = std::make_unique<char[]>(kSrvBufSize);
  size_t start = 0;
  size_t end = 0;
  size_t available() const { return end - start; }
  size_t free_space() const { return kSrvBufSize - end; }
  void reset() { start = end = 0; }
  size_t get(char* dst, size_t n) {  // get_srv_buf
    size_t k = std::min(n, available());
    std::memcpy(dst, data.get() + start, k);
    start += k;
    return k;
  }
};

// buffered_read_msg on one connection: the 12-byte header, then calloc(length) and the body,
// both taken from the srv_buf that one recv() refills whenever it is empty (bodies of at least
// a buffer's size are read directly, as buffered_read_bytes does); then deserialize_msg.
class MessageReader {
 public:
  enum Result { kMessage, kWouldBlock, kError };

  ~MessageReader() { free(body_); }

  Result Next(int fd, pax_msg** out, uint32_t* wire_size, std::string* error) {
    for (;;) {
      if (!in_body_) {
        have_ += buf_.get(header_ + have_, kHeaderSize - have_);
        if (have_ == kHeaderSize) {
          uint32_t length;
          std::memcpy(&length, header_ + 4, 4);
          length_ = ntohl(length);
          body_ = static_cast<char*>(calloc(1, length_ == 0 ? 1 : length_));
          body_have_ = 0;
          in_body_ = true;
          have_ = 0;
        }
      }
      if (in_body_) {
        body_have_ += static_cast<uint32_t>(buf_.get(body_ + body_have_, length_ - body_have_));
        if (body_have_ == length_) {
          uint32_t consumed = 0;
          bool ok = tirpc::Deserialize(kVersion, body_, length_, out, &consumed);
          free(body_);
          body_ = nullptr;
          in_body_ = false;
          if (!ok) {
            *error = "deserialize failed";
            return kError;
          }
          *wire_size = static_cast<uint32_t>(kHeaderSize + length_);
          return kMessage;
        }
      }
      // The buffer is empty and more bytes are needed.
      ssize_t n;
      if (in_body_ && length_ - body_have_ >= kSrvBufSize) {
        n = recv(fd, body_ + body_have_, length_ - body_have_, 0);
        if (n > 0) body_have_ += static_cast<uint32_t>(n);
      } else {
        buf_.reset();
        n = recv(fd, buf_.data.get(), kSrvBufSize, 0);
        if (n > 0) buf_.end = static_cast<size_t>(n);
      }
      if (n > 0) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return kWouldBlock;
      if (n < 0 && errno == EINTR) continue;
      *error = n == 0 ? "connection closed" : absl::StrCat("recv: ", std::strerror(errno));
      return kError;
    }
  }

 private:
  SrvBuf buf_;
  char header_[kHeaderSize];
  size_t have_ = 0;
  bool in_body_ = false;
  char* body_ = nullptr;
  uint32_t length_ = 0;
  uint32_t body_have_ = 0;
};

// A FIFO of sequence numbers that never shrinks (XCom's channels reuse msg_links from a free
// list, so queueing costs no allocation in steady state either).
class SeqQueue {
 public:
  bool empty() const { return size_ == 0; }
  void push(uint64_t v) {
    if (size_ == ring_.size()) {
      std::vector<uint64_t> bigger(ring_.empty() ? 64 : 2 * ring_.size());
      for (size_t i = 0; i < size_; ++i) bigger[i] = ring_[(head_ + i) % ring_.size()];
      ring_ = std::move(bigger);
      head_ = 0;
    }
    ring_[(head_ + size_) % ring_.size()] = v;
    ++size_;
  }
  uint64_t pop() {
    uint64_t v = ring_[head_];
    head_ = (head_ + 1) % ring_.size();
    --size_;
    return v;
  }

 private:
  std::vector<uint64_t> ring_;
  size_t head_ = 0;
  size_t size_ = 0;
};

// Another node, as this node's server table and connections see it.
struct Peer {
  uint32_t node = 0;
  int out_fd = -1;  // our connection to it (sender_task, reply_handler_task)
  int in_fd = -1;   // its connection to us (acceptor_learner_task)

  // sender_task
  SeqQueue queue;
  SrvBuf out;
  size_t out_sent = 0;
  bool flushing = false;
  bool want_write = false;  // waiting for POLLOUT
  char* pending = nullptr;  // serialized, waiting for the flush to make room
  uint32_t pending_len = 0;
  size_t pending_sent = 0;  // of a frame above 64 KiB, written unbuffered

  // acceptor_learner_task
  MessageReader acceptor;
  bool in_readable = true;

  // reply_handler_task
  MessageReader replies;
  bool reply_readable = true;
};

void SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL, 0);
  if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) Die("fcntl");
}

class Node {
 public:
  Node(int self, int nodes, const Mesh& mesh, NodeResult& result)
      : self_(static_cast<uint32_t>(self)), result_(result) {
    for (int j = 0; j < nodes; ++j) {
      if (j == self) continue;
      auto p = std::make_unique<Peer>();
      p->node = static_cast<uint32_t>(j);
      p->out_fd = mesh.out[self][j];
      p->in_fd = mesh.in[self][j];
      SetNonBlocking(p->out_fd);
      SetNonBlocking(p->in_fd);
      peers_.push_back(std::move(p));
    }
    pollfds_.reserve(3 * peers_.size());
  }
  ~Node() {
    for (auto& p : peers_) {
      free(p->pending);
      close(p->out_fd);
      close(p->in_fd);
    }
    tirpc::FreePaxMsg(kVersion, template_);
  }

  void Broadcast(const Workload& w, Harness& h, Countdown& start, Countdown& stop);
  void Latency(uint64_t warmup, uint64_t rounds, Harness& h, Countdown& start, Countdown& stop);

 private:
  // send_to_all: every other node's queue, and the local sender's.
  void SendToAll(uint64_t seq) {
    for (auto& p : peers_) p->queue.push(seq);
    local_.push(seq);
  }
  // sender_task for `p` until its queue is empty and flushed, or the socket is full.
  bool RunSender(Peer& p);
  // flush_srv_buf: false while the socket is full (POLLOUT awaited).
  bool ContinueFlush(Peer& p);
  // The unbuffered task_write of a frame above 64 KiB: false while the socket is full.
  bool ContinueUnbuffered(Peer& p);
  // Non-blocking send of data[sent, len) on p's connection: false while the socket is full
  // (POLLOUT awaited) or on an error (recorded).
  bool SendSome(Peer& p, const char* data, size_t len, size_t& sent);
  // Blocking write of a whole frame (task_write): used for replies on an inbound connection.
  bool WriteAll(int fd, const char* data, size_t n);
  // Reads messages until the socket would block; `dispatch` gets each one (and frees it).
  template <typename Dispatch>
  bool RunReader(MessageReader& reader, int fd, bool& readable, Dispatch dispatch);
  // One poll() over what the tasks wait for; `block`: no task is runnable.
  bool Poll(bool block);
  bool Fail(std::string error) {
    if (result_.error.empty()) result_.error = std::move(error);
    return false;
  }

  uint32_t self_;
  NodeResult& result_;
  std::vector<std::unique_ptr<Peer>> peers_;
  SeqQueue local_;
  pax_msg* template_ = nullptr;  // the message sender_task serializes, with its seq and `to`
  std::vector<pollfd> pollfds_;
  std::vector<std::pair<Peer*, int>> polled_;  // what each pollfd is for: 0 in, 1 out, 2 reply
};

bool Node::SendSome(Peer& p, const char* data, size_t len, size_t& sent) {
  while (sent < len) {
    ssize_t n = send(p.out_fd, data + sent, len - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      p.want_write = true;
      return false;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return Fail(absl::StrCat("send: ", std::strerror(errno)));
    }
  }
  return true;
}

bool Node::ContinueFlush(Peer& p) {
  if (!SendSome(p, p.out.data.get(), p.out.end, p.out_sent)) return false;
  p.out.reset();
  p.out_sent = 0;
  p.flushing = false;
  return true;
}

bool Node::ContinueUnbuffered(Peer& p) {
  if (!SendSome(p, p.pending, p.pending_len, p.pending_sent)) return false;
  free(p.pending);
  p.pending = nullptr;
  p.pending_sent = 0;
  return true;
}

bool Node::RunSender(Peer& p) {
  for (;;) {
    if (p.flushing && !ContinueFlush(p)) return result_.error.empty();
    if (p.pending != nullptr && p.pending_len > kSrvBufSize) {
      // Larger than srv_buf: task_write'n unbuffered once the buffer is flushed (spec §2.5).
      if (!ContinueUnbuffered(p)) return result_.error.empty();
    } else if (p.pending != nullptr) {
      std::memcpy(p.out.data.get() + p.out.end, p.pending, p.pending_len);
      p.out.end += p.pending_len;
      free(p.pending);
      p.pending = nullptr;
    }
    if (p.queue.empty()) {
      if (p.out.end > 0) {
        p.flushing = true;
        p.out_sent = 0;
        if (!ContinueFlush(p)) return result_.error.empty();
      }
      return true;
    }
    template_->synode.msgno = p.queue.pop();
    template_->to = p.node;
    char* frame;
    uint32_t len;
    if (!tirpc::Serialize(kVersion, template_, &frame, &len)) return Fail("serialize failed");
    if (len > p.out.free_space()) {
      p.pending = frame;
      p.pending_len = len;
      p.flushing = true;
      p.out_sent = 0;
      continue;
    }
    std::memcpy(p.out.data.get() + p.out.end, frame, len);
    p.out.end += len;
    free(frame);
  }
}

bool Node::WriteAll(int fd, const char* data, size_t n) {
  for (size_t done = 0; done < n;) {
    ssize_t k = send(fd, data + done, n - done, MSG_NOSIGNAL);
    if (k > 0) {
      done += static_cast<size_t>(k);
    } else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd pfd{fd, POLLOUT, 0};
      poll(&pfd, 1, -1);
    } else if (!(k < 0 && errno == EINTR)) {
      return Fail(absl::StrCat("send: ", std::strerror(errno)));
    }
  }
  return true;
}

template <typename Dispatch>
bool Node::RunReader(MessageReader& reader, int fd, bool& readable, Dispatch dispatch) {
  for (;;) {
    pax_msg* m = nullptr;
    uint32_t wire = 0;
    std::string error;
    MessageReader::Result r = reader.Next(fd, &m, &wire, &error);
    if (r == MessageReader::kWouldBlock) {
      readable = false;
      return true;
    }
    if (r == MessageReader::kError) return Fail(error);
    bool ok = dispatch(m, wire);
    tirpc::FreePaxMsg(kVersion, m);
    if (!ok) return false;
  }
}

bool Node::Poll(bool block) {
  pollfds_.clear();
  polled_.clear();
  for (auto& p : peers_) {
    if (!p->in_readable) {
      pollfds_.push_back({p->in_fd, POLLIN, 0});
      polled_.push_back({p.get(), 0});
    }
    if (p->want_write) {
      pollfds_.push_back({p->out_fd, POLLOUT, 0});
      polled_.push_back({p.get(), 1});
    }
    if (!p->reply_readable) {
      pollfds_.push_back({p->out_fd, POLLIN, 0});
      polled_.push_back({p.get(), 2});
    }
  }
  if (block && pollfds_.empty()) return Fail("nothing to wait for");
  int n = poll(pollfds_.data(), pollfds_.size(), block ? -1 : 0);
  if (n < 0 && errno != EINTR) return Fail(absl::StrCat("poll: ", std::strerror(errno)));
  for (size_t i = 0; n > 0 && i < pollfds_.size(); ++i) {
    if (pollfds_[i].revents == 0) continue;
    auto [p, what] = polled_[i];
    if (what == 0) p->in_readable = true;
    if (what == 1) p->want_write = false;
    if (what == 2) p->reply_readable = true;
  }
  return true;
}

void Node::Broadcast(const Workload& w, Harness& h, Countdown& start, Countdown& stop) {
  template_ = tirpc::FromModel(BroadcastMessage(w.payload));
  template_->from = self_;
  polled_.reserve(3 * peers_.size());
  Progress progress(w.nodes, w.window);
  const uint64_t n = static_cast<uint64_t>(w.nodes);
  uint64_t sent = 0;
  for (int phase = 0; phase < 2; ++phase) {
    const bool timed = phase == 1;
    const uint64_t end = timed ? w.warmup + w.messages : w.warmup;
    bool reported = false;
    for (;;) {
      // The application: broadcast while the window allows.
      while (sent < end && progress.CanSend(sent)) SendToAll(sent++);
      // local_sender_task
      while (!local_.empty()) {
        if (!progress.Receive(self_, local_.pop())) Fail(progress.error());
        if (timed) ++result_.self_delivered;
      }
      // sender_task per peer
      for (auto& p : peers_) {
        if (!p->want_write) RunSender(*p);
      }
      // acceptor_learner_task per inbound connection
      for (auto& p : peers_) {
        if (!p->in_readable) continue;
        RunReader(p->acceptor, p->in_fd, p->in_readable, [&](pax_msg* m, uint32_t wire) {
          if (!progress.Receive(m->from, m->synode.msgno)) return Fail(progress.error());
          if (timed) {
            ++result_.delivered;
            result_.wire_bytes += wire;
          }
          return true;
        });
      }
      const bool received_all = progress.total() >= end * n;
      if ((received_all || !result_.error.empty()) && !reported) {
        reported = true;
        if (timed) {
          h.Finished();
        } else {
          h.Ready();
        }
      }
      if (!result_.error.empty()) break;
      bool drained = true;
      bool runnable = (sent < end && progress.CanSend(sent)) || !local_.empty();
      for (auto& p : peers_) {
        if (!p->queue.empty() || p->out.end != 0 || p->pending != nullptr) drained = false;
        if ((!p->queue.empty() && !p->want_write) || p->in_readable) runnable = true;
      }
      if (received_all && drained) break;
      if (!Poll(!runnable)) break;
    }
    if (!result_.error.empty()) {
      if (!timed) h.Finished();  // the run cannot go on: let the harness report it
      break;
    }
    if (!timed) start.Wait(std::chrono::seconds(120));
  }
  stop.Wait(std::chrono::seconds(120));
}

void Node::Latency(uint64_t warmup, uint64_t rounds, Harness& h, Countdown& start,
                   Countdown& stop) {
  template_ = tirpc::FromModel(RequestMessage());
  template_->from = self_;
  pax_msg* reply = tirpc::FromModel(ReplyMessage());
  reply->from = self_;
  polled_.reserve(3 * peers_.size());
  result_.rtt_us.reserve(rounds);
  Peer& peer = *peers_[0];  // node 0: its connection to node 1; node 1: node 0's to it
  uint64_t k = 0;
  for (int phase = 0; phase < 2; ++phase) {
    const bool timed = phase == 1;
    const uint64_t end = timed ? warmup + rounds : warmup;
    bool outstanding = false;
    std::chrono::steady_clock::time_point t0;
    while (self_ <= 1 && k < end && result_.error.empty()) {
      bool runnable = false;
      if (self_ == 0) {
        if (!outstanding) {
          t0 = std::chrono::steady_clock::now();
          peer.queue.push(k);  // send_server_msg
          outstanding = true;
        }
        if (!peer.want_write) RunSender(peer);
        if (peer.reply_readable) {
          RunReader(peer.replies, peer.out_fd, peer.reply_readable, [&](pax_msg* m, uint32_t wire) {
            auto t1 = std::chrono::steady_clock::now();
            if (m->synode.msgno != k) return Fail("unexpected reply");
            if (timed) {
              result_.rtt_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
              ++result_.delivered;
              result_.wire_bytes += wire;
            }
            outstanding = false;
            ++k;
            return true;
          });
        }
        runnable = (!outstanding && k < end) || (!peer.queue.empty() && !peer.want_write) ||
                   peer.reply_readable;
      } else {
        if (peer.in_readable) {
          RunReader(peer.acceptor, peer.in_fd, peer.in_readable, [&](pax_msg* m, uint32_t wire) {
            if (m->synode.msgno != k) return Fail("unexpected request");
            // The acceptor answers on the connection the request came in on.
            reply->synode.msgno = m->synode.msgno;
            reply->to = m->from;
            char* frame;
            uint32_t len;
            if (!tirpc::Serialize(kVersion, reply, &frame, &len)) return Fail("serialize");
            bool ok = WriteAll(peer.in_fd, frame, len);
            free(frame);
            if (timed) {
              ++result_.delivered;
              result_.wire_bytes += wire;
            }
            ++k;
            return ok;
          });
        }
        runnable = peer.in_readable;
      }
      if (k >= end || !result_.error.empty()) break;
      if (!Poll(!runnable)) break;
    }
    if (timed) {
      h.Finished();
    } else {
      h.Ready();
      if (result_.error.empty()) start.Wait(std::chrono::seconds(120));
    }
  }
  tirpc::FreePaxMsg(kVersion, reply);
  stop.Wait(std::chrono::seconds(120));
}

template <typename Body>
RunResult RunModel(int nodes, Body body) {
  Mesh mesh = MakeMesh(nodes);
  Harness h(nodes);
  Countdown start(1), stop(1);
  std::vector<std::thread> threads;
  for (int i = 0; i < nodes; ++i) {
    threads.emplace_back([&, i] {
      Node node(i, nodes, mesh, h.results()[i]);
      body(node, h, start, stop);
    });
  }
  RunResult r = h.Measure([&] { start.CountDown(); }, [&] { stop.CountDown(); });
  for (std::thread& t : threads) t.join();
  return r;
}

}  // namespace

RunResult RunXcomModelBroadcast(const Workload& w) {
  return RunModel(w.nodes, [&](Node& node, Harness& h, Countdown& start, Countdown& stop) {
    node.Broadcast(w, h, start, stop);
  });
}

RunResult RunXcomModelLatency(uint64_t warmup, uint64_t rounds) {
  return RunModel(3, [&](Node& node, Harness& h, Countdown& start, Countdown& stop) {
    node.Latency(warmup, rounds, h, start, stop);
  });
}

}  // namespace uxcom::bench::transport
