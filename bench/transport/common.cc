#include "bench/transport/common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "bench/loopback_pairs.h"

namespace uxcom::bench::transport {
namespace {

const std::string& Payload(size_t size) {
  static const std::string* bytes = [] {
    auto* s = new std::string(1 << 20, '\0');
    for (size_t i = 0; i < s->size(); ++i) (*s)[i] = static_cast<char>(i * 7 + 1);
    return s;
  }();
  if (size > bytes->size()) Die("payload too large");
  return *bytes;
}

xdr::PaxMsg Base(xdr::PaxOp op, size_t payload) {
  xdr::PaxMsg m{
      .to = 0,
      .from = 0,
      .group_id = kGroup,
      .max_synode = {kGroup, 1'000'123, 0},
      .reply_to = {3, 0},
      .proposal = {3, 0},
      .op = op,
      .synode = {kGroup, 0, 0},
      .delivered_msg = xdr::SynodeNo{kGroup, 1'000'100, 0},
      .event_horizon = 10,
  };
  m.a = {xdr::AppData{
      .unique_id = {kGroup, 500'000, 0},
      .group_id = kGroup,
      .lsn = 41,
      .app_key = {kGroup, 1'000'120, 0},
      .expiry_time = 0.0,
      .log_it = true,
      .body = xdr::AppU::App(std::string_view(Payload(payload)).substr(0, payload)),
  }};
  return m;
}

}  // namespace

void Die(const char* what) {
  std::perror(what);
  std::abort();
}

xdr::PaxMsg BroadcastMessage(size_t payload) { return Base(xdr::PaxOp::kAcceptOp, payload); }
xdr::PaxMsg RequestMessage() { return Base(xdr::PaxOp::kClientMsg, 100); }
xdr::PaxMsg ReplyMessage() { return Base(xdr::PaxOp::kAckAcceptOp, 100); }

Workload MakeWorkload(int nodes, size_t payload, size_t frame_size) {
  constexpr uint64_t kRunBytes = 96ull << 20;  // delivered over the network per run
  constexpr uint64_t kWindowBytes = 256 << 10;
  Workload w;
  w.nodes = nodes;
  w.payload = payload;
  // At least 16 frames in flight, 4 for frames of 64 KiB and more (a 256 KiB transaction: a
  // window of 1 MiB; 16 would make the 9-node run move gigabytes per phase).
  const uint64_t min_window = frame_size >= (64 << 10) ? 4 : 16;
  w.window = std::clamp<uint64_t>(kWindowBytes / frame_size, min_window, 2048);
  uint64_t pairs = static_cast<uint64_t>(nodes) * (nodes - 1);
  // At least 32 windows in each phase: with large frames the byte budget alone gives a few
  // windows, which ends the warm-up before every pooled object and arena has reached the size
  // the workload needs (steady state is what the allocation count is about).
  w.messages = std::max<uint64_t>(kRunBytes / pairs / frame_size, 32 * w.window);
  w.warmup = std::max<uint64_t>(w.messages, 32 * w.window);
  return w;
}

Progress::Progress(int nodes, uint64_t window) : next_(nodes, 0), window_(window) {}

bool Progress::Receive(uint32_t from, uint64_t seq) {
  if (from >= next_.size() || next_[from] != seq) {
    if (error_.empty()) {
      error_ = absl::StrCat("message ", seq, " from node ", from, ", expected ",
                            from < next_.size() ? next_[from] : 0);
    }
    return false;
  }
  uint64_t was = next_[from]++;
  ++total_;
  if (was == min_received_) min_received_ = *std::min_element(next_.begin(), next_.end());
  return true;
}

Mesh MakeMesh(int nodes) {
  Mesh m;
  m.out.assign(nodes, std::vector<int>(nodes, -1));
  m.in.assign(nodes, std::vector<int>(nodes, -1));
  std::vector<std::pair<int, int>> pairs = LoopbackPairs(nodes * (nodes - 1));
  size_t k = 0;
  for (int i = 0; i < nodes; ++i) {
    for (int j = 0; j < nodes; ++j) {
      if (i == j) continue;
      m.out[i][j] = pairs[k].first;
      m.in[j][i] = pairs[k].second;
      ++k;
    }
  }
  return m;
}

}  // namespace uxcom::bench::transport
