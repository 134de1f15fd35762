// FrameBuffer: cutting received bytes into XCom frames, growing only with bytes that arrived,
// refusing oversized bodies before allocating, and giving memory back after a large frame.
#include "xcom/internal/frame_buffer.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "xdr/frame_header.h"
#include "xdr/negotiation.h"

namespace uxcom::xcom::internal {
namespace {

using Bytes = std::vector<std::byte>;

// A whole frame: `header` followed by `body_bytes` bytes of a recognisable pattern (the header
// length is taken as given, so a frame may lie about its body).
Bytes Frame(const xdr::FrameHeader& header, size_t body_bytes, uint8_t seed = 0) {
  Bytes out(xdr::kFrameHeaderSize + body_bytes);
  xdr::StoreFrameHeader(
      header, std::span<std::byte, xdr::kFrameHeaderSize>(out.data(), xdr::kFrameHeaderSize));
  for (size_t i = 0; i < body_bytes; ++i) {
    out[xdr::kFrameHeaderSize + i] = static_cast<std::byte>((i * 7 + seed) & 0xff);
  }
  return out;
}

Bytes NormalFrame(size_t body_bytes, uint8_t seed = 0) {
  return Frame(
      xdr::NormalFrameHeader(xdr::ProtocolVersion::kX1_6, static_cast<uint32_t>(body_bytes)),
      body_bytes, seed);
}

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

bool BodyIs(const FrameBuffer::Next& f, const Bytes& frame) {
  return f.body.size() + xdr::kFrameHeaderSize == frame.size() &&
         std::equal(f.body.begin(), f.body.end(), frame.begin() + xdr::kFrameHeaderSize);
}

// Receives `bytes[*pos …]` into `in` at most `chunk` bytes at a time, as a reader would, until
// Peek() stops saying kNeedMore or the bytes run out. Returns the last Peek().
FrameBuffer::Next Feed(FrameBuffer& in, const Bytes& bytes, size_t* pos, size_t chunk) {
  FrameBuffer::Next f = in.Peek();
  while (f.kind == FrameBuffer::kNeedMore && *pos < bytes.size()) {
    std::span<std::byte> space = in.WritableSpace();
    REQUIRE(!space.empty());
    size_t n = std::min({space.size(), chunk, bytes.size() - *pos});
    std::memcpy(space.data(), bytes.data() + *pos, n);
    in.Commit(n);
    *pos += n;
    f = in.Peek();
  }
  return f;
}

TEST_CASE("a frame received one byte at a time is handed out only once it is complete") {
  Bytes frame = NormalFrame(100);
  FrameBuffer in(64, 1 << 20);
  FrameBuffer::Next f;
  for (size_t i = 0; i < frame.size(); ++i) {
    CHECK(f.kind == FrameBuffer::kNeedMore);
    // The header is readable as soon as its 12 bytes are in, before the body is.
    CHECK(f.has_header == (i >= xdr::kFrameHeaderSize));
    CHECK(in.mid_frame() == (i > 0));
    std::span<std::byte> space = in.WritableSpace();
    REQUIRE(!space.empty());
    space[0] = frame[i];
    in.Commit(1);
    f = in.Peek();
  }
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(f.header.type == xdr::MessageType::kNormal);
  CHECK(f.header.length == 100);
  CHECK(f.size == frame.size());
  CHECK(BodyIs(f, frame));
  // Peek is idempotent until Consume.
  FrameBuffer::Next again = in.Peek();
  CHECK(again.kind == FrameBuffer::kFrame);
  CHECK(again.body.data() == f.body.data());
  in.Consume(f);
  CHECK(in.buffered() == 0);
  CHECK_FALSE(in.mid_frame());
  FrameBuffer::Next empty = in.Peek();
  CHECK(empty.kind == FrameBuffer::kNeedMore);
  CHECK_FALSE(empty.has_header);
}

TEST_CASE("several frames arriving in one read are handed out one by one, in order") {
  Bytes a = NormalFrame(30, 1);
  Bytes b = NormalFrame(0);
  Bytes c = NormalFrame(5, 3);
  Bytes all = Concat({a, b, c});
  FrameBuffer in(1024, 1 << 20);
  size_t pos = 0;
  FrameBuffer::Next f = Feed(in, all, &pos, all.size());
  CHECK(pos == all.size());  // one read took everything
  for (const Bytes* want : {&a, &b, &c}) {
    f = in.Peek();
    REQUIRE(f.kind == FrameBuffer::kFrame);
    CHECK(f.size == want->size());
    CHECK(BodyIs(f, *want));
    in.Consume(f);
  }
  CHECK(in.Peek().kind == FrameBuffer::kNeedMore);
  CHECK(in.buffered() == 0);
}

TEST_CASE("a version request or reply is exactly its header, whatever its length field says") {
  // 8.0.18 never reads a body after a negotiation frame, so the bytes that follow the header
  // are the next frame even when the length field is not zero.
  xdr::FrameHeader request = xdr::VersionRequest(xdr::ProtocolVersion::kX1_6, 313);
  request.length = 0xFFFFFFFF;  // above any max_body: must not count as too large either
  xdr::FrameHeader reply = xdr::VersionReply(xdr::ProtocolVersion::kX1_4, 313);
  reply.length = 40;
  Bytes after = NormalFrame(8, 9);
  Bytes all = Concat({Frame(request, 0), Frame(reply, 0), after});
  FrameBuffer in(256, 1000);
  size_t pos = 0;
  Feed(in, all, &pos, all.size());

  FrameBuffer::Next f = in.Peek();
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(f.header == request);
  CHECK(f.size == xdr::kFrameHeaderSize);
  CHECK(f.body.empty());
  in.Consume(f);

  f = in.Peek();
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(f.header == reply);
  CHECK(f.size == xdr::kFrameHeaderSize);
  CHECK(f.body.empty());
  in.Consume(f);

  f = in.Peek();
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(f.header.type == xdr::MessageType::kNormal);
  CHECK(BodyIs(f, after));
}

TEST_CASE("a frame of an unknown type is skipped together with the body its header announces") {
  xdr::FrameHeader unknown{.version = xdr::ProtocolVersion::kX1_6,
                           .length = 17,
                           .type = static_cast<xdr::MessageType>(7)};
  Bytes after = NormalFrame(3, 5);
  Bytes all = Concat({Frame(unknown, 17), after});
  FrameBuffer in(16, 1 << 20);
  size_t pos = 0;
  FrameBuffer::Next f = Feed(in, all, &pos, 4);
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(f.header.type == static_cast<xdr::MessageType>(7));
  CHECK(f.size == xdr::kFrameHeaderSize + 17);
  CHECK(f.body.empty());  // only normal frames expose a body
  in.Consume(f);
  f = Feed(in, all, &pos, 4);
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(f.header.type == xdr::MessageType::kNormal);
  CHECK(BodyIs(f, after));
}

TEST_CASE("a body longer than max_body is refused from its header, before the buffer grows") {
  FrameBuffer in(64, 1000);
  size_t capacity = in.capacity();
  Bytes header_only = Frame(xdr::NormalFrameHeader(xdr::ProtocolVersion::kX1_6, 1001), 0);
  size_t pos = 0;
  FrameBuffer::Next f = Feed(in, header_only, &pos, header_only.size());
  CHECK(f.kind == FrameBuffer::kTooLarge);
  CHECK(f.has_header);
  CHECK(f.header.length == 1001);
  CHECK(in.capacity() == capacity);

  // Exactly max_body is allowed.
  FrameBuffer at_limit(64, 1000);
  Bytes frame = NormalFrame(1000);
  pos = 0;
  f = Feed(at_limit, frame, &pos, 100);
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(BodyIs(f, frame));
}

TEST_CASE("a header announcing a huge body costs memory only for the bytes that arrived") {
  const size_t initial = 64;
  FrameBuffer in(initial, size_t{1} << 31);
  // 1 GiB announced; only 20 000 bytes of it ever arrive.
  Bytes partial = Frame(xdr::NormalFrameHeader(xdr::ProtocolVersion::kX1_6, 1u << 30), 20000 - 12);
  size_t pos = 0;
  while (pos < partial.size()) {
    std::span<std::byte> space = in.WritableSpace();
    REQUIRE(!space.empty());
    // Growth is by doubling at most: the capacity never exceeds twice what is buffered.
    CHECK(in.capacity() <= std::max(initial, 2 * in.buffered()));
    size_t n = std::min(space.size(), partial.size() - pos);
    std::memcpy(space.data(), partial.data() + pos, n);
    in.Commit(n);
    pos += n;
    FrameBuffer::Next f = in.Peek();
    REQUIRE(f.kind == FrameBuffer::kNeedMore);
    CHECK(f.has_header);
  }
  CHECK(in.buffered() == 20000);
  CHECK(in.capacity() < 2 * 20000 + initial);
}

TEST_CASE("a large frame grows the buffer to exactly its size; the next small frame shrinks it") {
  const size_t initial = 64;
  FrameBuffer in(initial, 1 << 20);
  Bytes big = NormalFrame(988, 4);  // 1000 bytes on the wire
  Bytes small = NormalFrame(20, 6);
  Bytes all = Concat({big, small});
  size_t pos = 0;
  FrameBuffer::Next f = Feed(in, all, &pos, all.size());
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(f.size == 1000);
  CHECK(in.capacity() == 1000);  // 64, 128, 256, 512, then the frame's size, not 1024
  CHECK(BodyIs(f, big));         // intact across every reallocation
  in.Consume(f);
  CHECK(in.capacity() == 1000);  // kept for the next large frame
  f = Feed(in, all, &pos, all.size());
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(BodyIs(f, small));
  in.Consume(f);
  CHECK(in.capacity() == initial);  // a frame that fits: given back
}

TEST_CASE("a run of large frames reuses the grown buffer; one above the retained size does not") {
  const size_t initial = 64;
  FrameBuffer in(initial, 4 << 20);
  Bytes all = Concat({NormalFrame(988, 1), NormalFrame(988, 2), NormalFrame(988, 3)});
  size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    FrameBuffer::Next f = Feed(in, all, &pos, all.size());
    REQUIRE(f.kind == FrameBuffer::kFrame);
    in.Consume(f);
    CHECK(in.capacity() == 1000);
  }
  const size_t huge = FrameBuffer::kRetainedCapacity + 100;
  Bytes over = NormalFrame(huge - xdr::kFrameHeaderSize, 4);
  pos = 0;
  FrameBuffer::Next f = Feed(in, over, &pos, over.size());
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(in.capacity() == huge);
  in.Consume(f);
  CHECK(in.capacity() == initial);
}

TEST_CASE("frames that fit are compacted to the front and never grow the buffer") {
  const size_t initial = 64;
  FrameBuffer in(initial, 1 << 20);
  std::vector<Bytes> frames;
  Bytes stream;
  for (int i = 0; i < 50; ++i) {
    frames.push_back(NormalFrame(28 + i % 5, static_cast<uint8_t>(i)));  // 40 to 44 bytes
    stream.insert(stream.end(), frames.back().begin(), frames.back().end());
  }
  size_t pos = 0;
  for (const Bytes& want : frames) {
    FrameBuffer::Next f = Feed(in, stream, &pos, 1000);
    REQUIRE(f.kind == FrameBuffer::kFrame);
    CHECK(BodyIs(f, want));
    in.Consume(f);
    CHECK(in.capacity() == initial);
  }
  CHECK(pos == stream.size());
  CHECK(in.buffered() == 0);
}

TEST_CASE("the start of the next frame survives the reallocation that makes room for it") {
  // A small frame and the first bytes of a large one arrive together; the large frame then
  // needs more room than the buffer has. Its buffered start must move with the growth.
  const size_t initial = 64;
  FrameBuffer in(initial, 1 << 20);
  Bytes small = NormalFrame(8, 2);  // 20 bytes
  Bytes big = NormalFrame(500, 8);
  Bytes all = Concat({small, big});
  size_t pos = 0;
  FrameBuffer::Next f = Feed(in, all, &pos, all.size());
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(pos == initial);  // the small frame and 44 bytes of the large one
  CHECK(BodyIs(f, small));
  in.Consume(f);
  CHECK(in.buffered() == initial - small.size());
  CHECK(in.mid_frame());
  f = Feed(in, all, &pos, all.size());
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(BodyIs(f, big));
}

MappedBytes Mapping(size_t bytes) {
  MappedBytes m;
  m.Resize(bytes);
  return m;
}

TEST_CASE("a frame larger than the initial capacity is handed over with the memory it is in") {
  const size_t initial = 64;
  FrameBuffer in(initial, 1 << 20);
  Bytes big = NormalFrame(988, 4);  // 1000 bytes on the wire
  Bytes next = NormalFrame(20, 6);
  Bytes all = Concat({big, next});
  size_t pos = 0;
  FrameBuffer::Next f = Feed(in, all, &pos, all.size());
  REQUIRE(f.kind == FrameBuffer::kFrame);
  REQUIRE(in.CanHandOver(f));
  // The buffer had grown to the frame's 1000 bytes: a page-sized replacement is used up to that.
  MappedBytes taken = in.HandOver(f, Mapping(initial));
  CHECK(taken.get() <= f.body.data());
  CHECK(f.body.data() + f.body.size() <= taken.get() + taken.size());
  CHECK(BodyIs(f, big));  // where it was received, in the memory handed over
  CHECK(in.capacity() == 1000);
  CHECK(!in.mid_frame());
  // What follows arrives in the new memory; writing there leaves the handed-over frame alone.
  f = Feed(in, all, &pos, all.size());
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(BodyIs(f, next));
  CHECK(!in.CanHandOver(f));  // fits the initial capacity: copied out as usual
  in.Consume(f);
  CHECK(in.capacity() == initial);  // a frame that fits: given back
}

TEST_CASE("the bytes received after a handed-over frame move with the buffer") {
  const size_t initial = 64;
  FrameBuffer in(initial, 1 << 20);
  Bytes larger = NormalFrame(1488, 0);  // 1500 bytes on the wire
  size_t pos = 0;
  FrameBuffer::Next f = Feed(in, larger, &pos, larger.size());
  REQUIRE(f.kind == FrameBuffer::kFrame);
  in.Consume(f);  // the buffer stays at 1500 bytes for a run of large frames
  REQUIRE(in.capacity() == 1500);
  Bytes big = NormalFrame(988, 1);
  Bytes second = NormalFrame(40, 2);  // 52 bytes, received together with the large frame
  Bytes all = Concat({big, second});
  pos = 0;
  f = Feed(in, all, &pos, all.size());
  REQUIRE(f.kind == FrameBuffer::kFrame);
  REQUIRE(in.buffered() == all.size());
  REQUIRE(in.CanHandOver(f));
  MappedBytes taken = in.HandOver(f, Mapping(4096));
  CHECK(BodyIs(f, big));
  CHECK(in.buffered() == second.size());
  f = in.Peek();
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(BodyIs(f, second));
}

TEST_CASE("small frames, frames behind others and frames followed by too much stay put") {
  const size_t initial = 64;
  FrameBuffer in(initial, 1 << 20);
  Bytes small = NormalFrame(20, 1);
  Bytes big = NormalFrame(988, 2);
  Bytes all = Concat({small, big});
  size_t pos = 0;
  FrameBuffer::Next f = Feed(in, all, &pos, all.size());
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(!in.CanHandOver(f));  // not larger than the initial capacity
  in.Consume(f);
  f = Feed(in, all, &pos, all.size());
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(in.CanHandOver(f));  // the reallocation moved it to the front
  // A large frame followed by more than the initial capacity of further bytes is not handed
  // over (they would not fit the replacement).
  FrameBuffer again(initial, 1 << 20);
  Bytes run = Concat({NormalFrame(988, 3), NormalFrame(988, 4)});
  pos = 0;
  f = Feed(again, run, &pos, 1000);
  again.Consume(f);
  REQUIRE(again.capacity() == 1000);
  Bytes tail = Concat({NormalFrame(488, 5), NormalFrame(488, 6)});
  pos = 0;
  f = Feed(again, tail, &pos, tail.size());  // 500 bytes, then 500 more behind it
  REQUIRE(f.kind == FrameBuffer::kFrame);
  REQUIRE(again.buffered() == 1000);
  CHECK(!again.CanHandOver(f));
  // A large frame in a buffer grown to more than twice its size is copied out: handing it
  // over would make it hold the whole buffer.
  FrameBuffer grown(initial, 1 << 20);
  Bytes huge = NormalFrame(2988, 7);  // 3000 bytes
  pos = 0;
  f = Feed(grown, huge, &pos, huge.size());
  grown.Consume(f);
  REQUIRE(grown.capacity() == 3000);
  Bytes half = NormalFrame(1488, 8);  // 1500 bytes
  pos = 0;
  f = Feed(grown, half, &pos, half.size());
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(grown.CanHandOver(f));  // exactly twice
  Bytes less = NormalFrame(1487, 9);
  grown.Consume(f);
  pos = 0;
  f = Feed(grown, less, &pos, less.size());
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(!grown.CanHandOver(f));
}

TEST_CASE("an initial capacity below a header is raised to hold one") {
  FrameBuffer in(1, 100);
  CHECK(in.capacity() >= xdr::kFrameHeaderSize);
  Bytes frame = NormalFrame(0);
  size_t pos = 0;
  FrameBuffer::Next f = Feed(in, frame, &pos, 1);
  REQUIRE(f.kind == FrameBuffer::kFrame);
  CHECK(f.size == xdr::kFrameHeaderSize);
}

}  // namespace
}  // namespace uxcom::xcom::internal
