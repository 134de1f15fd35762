#include "xdr/tools/input_format.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace uxcom::xdr::tools {
namespace {

struct Replay {
  std::vector<char> prefix;
  size_t taken = 0;
  std::istream* in;
};

ssize_t ReadReplay(void* cookie, char* buf, size_t size) {
  auto* r = static_cast<Replay*>(cookie);
  size_t n = 0;
  if (r->taken < r->prefix.size()) {
    n = std::min(size, r->prefix.size() - r->taken);
    std::memcpy(buf, r->prefix.data() + r->taken, n);
    r->taken += n;
    if (n == size) return static_cast<ssize_t>(n);
  }
  r->in->read(buf + n, static_cast<std::streamsize>(size - n));
  return static_cast<ssize_t>(n + static_cast<size_t>(r->in->gcount()));
}

int CloseReplay(void* cookie) {
  delete static_cast<Replay*>(cookie);
  return 0;
}

}  // namespace

InputFormat SniffInput(std::span<const std::byte> first) {
  if (first.size() < 4) return InputFormat::kRawFrames;
  uint32_t magic;
  std::memcpy(&magic, first.data(), 4);
  switch (magic) {
    case 0xa1b2c3d4:  // pcap, microseconds, either byte order
    case 0xd4c3b2a1:
    case 0xa1b23c4d:  // pcap, nanoseconds
    case 0x4d3cb2a1:
    case 0xa1b2cd34:  // "modified" pcap (Alexey Kuznetsov's patches)
    case 0x34cdb2a1:
    case 0x0a0d0d0a:  // pcapng section header block
      return InputFormat::kCapture;
    default:
      return InputFormat::kRawFrames;
  }
}

FILE* ReplayAsFile(std::span<const std::byte> prefix, std::istream& in) {
  auto* r =
      new Replay{std::vector<char>(reinterpret_cast<const char*>(prefix.data()),
                                   reinterpret_cast<const char*>(prefix.data()) + prefix.size()),
                 0, &in};
  cookie_io_functions_t io{};
  io.read = &ReadReplay;
  io.close = &CloseReplay;
  FILE* f = fopencookie(r, "rb", io);
  if (f == nullptr) delete r;
  return f;
}

}  // namespace uxcom::xdr::tools
