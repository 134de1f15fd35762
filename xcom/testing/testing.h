// Test support for xcom/ (testonly): loopback groups, captured logs, a raw XCom peer.
#ifndef UXCOM_XCOM_TESTING_TESTING_H_
#define UXCOM_XCOM_TESTING_TESTING_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "net/buffered_reader.h"
#include "net/executor.h"
#include "net/listener.h"
#include "net/stream.h"
#include "net/task.h"
#include "net/testing.h"
#include "xcom/transport.h"
#include "xdr/frame_header.h"
#include "xdr/pax_msg.h"

namespace uxcom::xcom::testing {

// A loopback port nobody listens on right now (see net/testing.h).
using net::testing::ReservePort;

// Log lines of every transport of a test, "[node] LEVEL: text", each with the executor's time
// when it was logged (once StampWith() names the executor; Group does).
class LogCapture {
 public:
  LogSink SinkFor(std::string node);
  void StampWith(net::Executor& executor) { state_->clock = &executor; }
  bool Contains(std::string_view text) const;
  size_t Count(std::string_view text) const;
  // When each line containing `text` was logged, in order.
  std::vector<net::TimePoint> Times(std::string_view text) const;
  // Each line containing `text`, in order.
  std::vector<std::string> Lines(std::string_view text) const;
  std::string Dump() const;  // for failure messages

 private:
  struct Line {
    std::string text;
    net::TimePoint at;
  };
  struct State {
    std::vector<Line> lines;
    net::Executor* clock = nullptr;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// `times` as offsets from `origin`, for comparing with a schedule.
std::vector<net::Duration> Since(net::TimePoint origin, const std::vector<net::TimePoint>& times);

// Options for a loopback node on `port`, logging into `logs`, with short timeouts for tests.
TransportOptions LoopbackOptions(uint16_t port, LogCapture& logs, std::string name);

// N transports on one executor, each with a site listing all of them (node i is self in
// node i's site), started.
class Group {
 public:
  using Customize = std::function<void(int node, TransportOptions& options)>;
  // The executor's time stamps the log lines.
  Group(net::Executor& executor, int n, Customize customize = {});

  int size() const { return static_cast<int>(nodes.size()); }
  Transport& operator[](int i) { return *nodes[i]; }
  Site SiteFor(int self) const;
  net::Task<void> Stop();
  // Node `from` sends AppMessage(payload) to node `to` of its site; node `to` receives the next
  // message within 5 s (kDeadlineExceeded), or the send's error if nothing was queued.
  net::Task<absl::StatusOr<IncomingMessage>> Deliver(int from, int to, std::string payload);

  LogCapture logs;
  std::vector<std::string> addresses;
  std::vector<std::unique_ptr<Transport>> nodes;
  std::vector<SiteId> sites;
};

// Every node of `g` broadcasts `per_node` messages on its own site (SendToAll, self included),
// then a fence message; every node must receive every node's messages exactly once, in
// per-sender order, with the right from/to and origin, each sender's fence after its last
// message, and nothing after the fences (a duplicate arriving late is caught: it would come
// before its sender's fence or after it). OK, or the first discrepancy (with the logs).
net::Task<absl::Status> ExchangeExactlyOnce(Group& g, int per_node,
                                            net::Duration timeout = std::chrono::seconds(10));

// A small app_type message carrying `payload`.
xdr::PaxMsg AppMessage(std::string_view payload, xdr::PaxOp op = xdr::PaxOp::kClientMsg);

// The payload of an AppMessage ("" for a message without app_data).
std::string Payload(const IncomingMessage& m);

// Receive() bounded by `timeout` (kDeadlineExceeded).
net::Task<absl::StatusOr<IncomingMessage>> ReceiveWithin(Transport& t, net::Duration timeout);

// Polls `condition` every 5 ms until it holds (true) or `timeout` passes (false).
net::Task<bool> Eventually(std::function<bool()> condition, net::Duration timeout);

// A field of /proc/self/status in bytes ("VmRSS", "VmHWM"); aborts if there is none.
size_t ProcStatusBytes(std::string_view field);
// Returns freed heap memory to the kernel and restarts the high-water mark (VmHWM) at the
// current RSS, which it returns: VmHWM minus it is the most RSS rose afterwards. It also turns
// transparent huge pages off for the process (prctl PR_SET_THP_DISABLE): on a host whose THP
// mode is "always", one touched byte can fault in 2 MiB, and the rise would measure the
// kernel's page size rather than what the node holds.
size_t ResetHighWaterMark();

// One frame read by a RawPeer.
struct RawFrame {
  xdr::FrameHeader header;
  std::vector<std::byte> bytes;  // the whole frame, header included
  std::span<const std::byte> body() const {
    return std::span<const std::byte>(bytes).subspan(xdr::kFrameHeaderSize);
  }
};

// A hand-driven XCom endpoint: writes raw bytes, reads whole frames.
class RawPeer {
 public:
  explicit RawPeer(net::Stream stream) : stream_(std::move(stream)), reader_(stream_) {}
  static net::Task<absl::StatusOr<std::unique_ptr<RawPeer>>> Connect(net::Executor& ex,
                                                                     uint16_t port);
  net::Task<absl::Status> Write(std::span<const std::byte> bytes);
  // Reads one frame (negotiation frames are 12 bytes whatever their length field says).
  net::Task<absl::StatusOr<RawFrame>> ReadFrame(net::Duration timeout = std::chrono::seconds(5));
  // Waits for EOF (OK) or times out (kDeadlineExceeded); bytes arriving first are an error.
  net::Task<absl::Status> ExpectClosed(net::Duration timeout = std::chrono::seconds(5));
  net::Stream& stream() { return stream_; }

 private:
  net::Stream stream_;
  net::BufferedReader reader_;
};

// A listener standing in for a peer the transport dials (a MySQL member, a broken peer).
class RawListener {
 public:
  explicit RawListener(net::Executor& ex);
  std::string address() const;  // "127.0.0.1:port"
  uint16_t port() const { return port_; }
  // The next connection; fails the test after `timeout`.
  net::Task<std::unique_ptr<RawPeer>> Accept(net::Duration timeout = std::chrono::seconds(5));

 private:
  uint16_t port_;
  net::Listener listener_;
};

std::vector<std::byte> Bytes(std::string_view s);

// The normal frame a peer speaking `version` sends for `msg` (absent fields XCom's C struct
// always has get their defaults). Aborts the test if `msg` cannot be encoded at `version`.
std::vector<std::byte> EncodeFrame(xdr::ProtocolVersion version, const xdr::PaxMsg& msg);

// An x_1_6 frame of an AppMessage carrying `payload_bytes` from no site's member (group 0, no
// delivered_msg, no event horizon): only the transport's own checks apply, and it is delivered.
std::vector<std::byte> StrangerFrame(size_t payload_bytes);

// A started transport (node 0, logging into `logs`) whose site lists `peer` as node 1: the
// transport dials the peer (a RawListener) as soon as the site is installed.
struct DialingNode {
  DialingNode(net::Executor& ex, const std::string& peer,
              std::function<void(TransportOptions&)> customize = {});
  LogCapture logs;
  std::unique_ptr<Transport> t;
  SiteId site = 0;
  static constexpr uint32_t kGroup = 7;
};

}  // namespace uxcom::xcom::testing

#endif  // UXCOM_XCOM_TESTING_TESTING_H_
