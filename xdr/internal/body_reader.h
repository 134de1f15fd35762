// Reads one pax_msg of protocol version V from a body, allocating only from an Arena.
//
// Each field is read in wire order with the failure semantics of libtirpc's xdrmem (see
// XdrReader), so the position after a failure is the "consumed" of 8.0.18. Counts are checked
// against their bound and vectors reserve at most as many elements as the remaining bytes can
// hold, before anything is allocated.
#ifndef UXCOM_XDR_INTERNAL_BODY_READER_H_
#define UXCOM_XDR_INTERNAL_BODY_READER_H_

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <variant>

#include "xdr/arena.h"
#include "xdr/big_endian.h"
#include "xdr/decode.h"
#include "xdr/internal/error_trail.h"
#include "xdr/internal/str_cat.h"
#include "xdr/internal/wire_sizes.h"
#include "xdr/limits.h"
#include "xdr/pax_msg.h"
#include "xdr/protocol_version.h"
#include "xdr/xdr_reader.h"

namespace uxcom::xdr::internal {

template <ProtocolVersion V>
class BodyReader {
 public:
  BodyReader(std::span<const std::byte> body, Arena& arena, const DecodeOptions& options,
             ErrorTrail& trail)
      : r_(body), arena_(arena), options_(options), trail_(trail) {}

  size_t offset() const { return r_.offset(); }

  bool Msg(PaxMsg& m) {
    Forget(m);
    if (r_.Has(kPaxMsgPrefixSize)) [[likely]] {
      const std::byte* b = r_.TakeUnchecked(kPaxMsgPrefixSize);
      m.to = At32(b, 0);
      m.from = At32(b, 4);
      m.group_id = At32(b, 8);
      m.max_synode = SynodeAt(b, 12);
      m.start_type = static_cast<StartType>(At32(b, 28));
      m.reply_to = {static_cast<int32_t>(At32(b, 32)), At32(b, 36)};
      m.proposal = {static_cast<int32_t>(At32(b, 40)), At32(b, 44)};
      m.op = static_cast<PaxOp>(At32(b, 48));
      m.synode = SynodeAt(b, 52);
      m.msg_type = static_cast<PaxMsgType>(At32(b, 68));
    } else {
      return ShortPrefix(m);
    }

    bool present = false;
    if (!Flag(present, "receivers")) return false;
    if (present) {
      BitSet& b = m.receivers.emplace(BitSet{std::pmr::vector<uint32_t>(&arena_)});
      if (!Words(b.bits)) return trail_.In("receivers");
    }
    if (!Chain(m.a, "a")) return false;
    if (!Flag(present, "snap")) return false;
    if (present && !Snap(m.snap.emplace(Snapshot{
                       .snap = std::pmr::vector<AppDataList>(&arena_),
                       .u_list = {.vers = SynodeNoArray(&arena_)},
                   }))) {
      return trail_.In("snap");
    }
    if (!Flag(present, "gcs_snap")) return false;
    if (present && !Gcs(m.gcs_snap.emplace(GcsSnapshot{
                       .cfg = std::pmr::vector<std::optional<Config>>(&arena_),
                   }))) {
      return trail_.In("gcs_snap");
    }
    constexpr size_t kTailSize = 3 * kUnit + (CarriesDeliveredMsg(V) ? kSynodeNoSize : 0) +
                                 (CarriesEventHorizon(V) ? kUnit : 0);
    if (r_.Has(kTailSize)) [[likely]] {
      const std::byte* b = r_.TakeUnchecked(kTailSize);
      m.cli_err = static_cast<ClientReplyCode>(At32(b, 0));
      m.force_delivery = At32(b, 4) != 0;
      m.refcnt = static_cast<int32_t>(At32(b, 8));
      if constexpr (CarriesDeliveredMsg(V)) m.delivered_msg = SynodeAt(b, 12);
      if constexpr (CarriesEventHorizon(V)) {
        m.event_horizon = At32(b, CarriesDeliveredMsg(V) ? 28 : 12);
      }
    } else {
      return ShortTail(m);
    }
    if constexpr (CarriesRequestedSynodeAppData(V)) {
      auto& requested = m.requested_synode_app_data;
      uint32_t count = 0;
      if (!ArrayCount(count, kMaxSynodeArray, "MAX_SYNODE_ARRAY", kMinSynodeAppDataSize,
                      requested)) {
        return trail_.In("requested_synode_app_data");
      }
      for (uint32_t i = 0; i < count; ++i) {
        SynodeAppData& s = requested.emplace_back();
        if (!Synode(s.synode)) {
          trail_.In("synode");
          return trail_.In("requested_synode_app_data", i);
        }
        if (!CheckedData(s.data)) {
          trail_.In("data");
          return trail_.In("requested_synode_app_data", i);
        }
      }
    }
    return true;
  }

 private:
  // Abandons whatever `m` held (without destroying it: its memory is in an arena that has been
  // reset, or it was never allocated) and binds its containers to this decode's arena. Every
  // other field is overwritten by the decode.
  void Forget(PaxMsg& m) {
    std::construct_at(&m.receivers);
    std::construct_at(&m.a, &arena_);
    std::construct_at(&m.snap);
    std::construct_at(&m.gcs_snap);
    std::construct_at(&m.delivered_msg);
    std::construct_at(&m.event_horizon);
    std::construct_at(&m.requested_synode_app_data, &arena_);
  }

  // Not enough bytes for cli_err … event_horizon: field by field, to fail where xdrmem would.
  [[gnu::noinline, gnu::cold]] bool ShortTail(PaxMsg& m) {
    if (!Enum(m.cli_err, "cli_err") || !Bool(m.force_delivery, "force_delivery") ||
        !I32(m.refcnt, "refcnt")) {
      return false;
    }
    if constexpr (CarriesDeliveredMsg(V)) {
      if (!Synode(m.delivered_msg.emplace())) return trail_.In("delivered_msg");
    }
    if constexpr (CarriesEventHorizon(V)) {
      if (!U32(m.event_horizon.emplace(), "event_horizon")) return false;
    }
    return trail_.Fail("internal: a short tail decoded");
  }

  // Fewer than 72 bytes: reads field by field to fail exactly where xdrmem would.
  [[gnu::noinline, gnu::cold]] bool ShortPrefix(PaxMsg& m) {
    if (!U32(m.to, "to") || !U32(m.from, "from") || !U32(m.group_id, "group_id")) return false;
    if (!Synode(m.max_synode)) return trail_.In("max_synode");
    if (!Enum(m.start_type, "start_type")) return false;
    if (!BallotOf(m.reply_to)) return trail_.In("reply_to");
    if (!BallotOf(m.proposal)) return trail_.In("proposal");
    if (!Enum(m.op, "op")) return false;
    if (!Synode(m.synode)) return trail_.In("synode");
    if (!Enum(m.msg_type, "msg_type")) return false;
    return trail_.Fail("internal: a short prefix decoded");
  }

  // Fields of a run taken with TakeUnchecked, at constant offsets.
  [[gnu::always_inline]] static uint32_t At32(const std::byte* b, size_t offset) {
    return LoadBigEndian32(b + offset);
  }
  [[gnu::always_inline]] static uint64_t At64(const std::byte* b, size_t offset) {
    return LoadBigEndian64(b + offset);
  }
  [[gnu::always_inline]] static SynodeNo SynodeAt(const std::byte* b, size_t offset) {
    return {At32(b, offset), At64(b, offset + 4), At32(b, offset + 12)};
  }

  // --- primitives: on failure record "needs N bytes, M remain" at the item's offset --------
  [[gnu::noinline, gnu::cold]] bool Short(size_t need, size_t at, size_t remaining) {
    return trail_.Fail(StrCat("needs ", need, " bytes, ", remaining, " remain"), at);
  }
  bool U32(uint32_t& v, std::string_view field) {
    if (r_.ReadU32(v)) return true;
    Short(4, r_.offset(), r_.remaining());
    return trail_.In(field);
  }
  bool I32(int32_t& v, std::string_view field) {
    if (r_.ReadI32(v)) return true;
    Short(4, r_.offset(), r_.remaining());
    return trail_.In(field);
  }
  template <typename E>
  bool Enum(E& v, std::string_view field) {
    if (r_.ReadEnum(v)) return true;
    Short(4, r_.offset(), r_.remaining());
    return trail_.In(field);
  }
  bool Bool(bool& v, std::string_view field) {
    if (r_.ReadBool(v)) return true;
    Short(4, r_.offset(), r_.remaining());
    return trail_.In(field);
  }
  // An optional-data pointer's presence flag.
  bool Flag(bool& present, std::string_view field) { return Bool(present, field); }
  bool U64(uint64_t& v, std::string_view field) {
    const size_t at = r_.offset(), remaining = r_.remaining();
    if (r_.ReadU64(v)) return true;
    Short(8, at, remaining);
    return trail_.In(field);
  }
  bool Double(double& v, std::string_view field) {
    const size_t at = r_.offset(), remaining = r_.remaining();
    if (r_.ReadDouble(v)) return true;
    Short(8, at, remaining);
    return trail_.In(field);
  }

  // A length-prefixed string or opaque of at most `max` bytes, viewed or copied.
  [[gnu::noinline, gnu::cold]] bool LengthError(uint32_t length, uint64_t max,
                                                std::string_view bound, size_t at) {
    return trail_.Fail(StrCat("length ", length, " > ", max, " (", bound, ")"), at);
  }
  [[gnu::noinline, gnu::cold]] bool OpaqueShort(uint32_t length, size_t remaining, size_t at) {
    return trail_.Fail(
        StrCat("length ", length, " needs ", XdrPadded(length), " bytes, ", remaining, " remain"),
        at);
  }
  [[gnu::noinline, gnu::cold]] bool CountError(uint32_t count, uint32_t max, std::string_view bound,
                                               size_t at) {
    return trail_.Fail(StrCat("count ", count, " > ", max, " (", bound, ")"), at);
  }

  bool Counted(std::string_view& out, uint64_t max, std::string_view bound) {
    const size_t at = r_.offset();
    uint32_t length = 0;
    if (!r_.ReadU32(length)) [[unlikely]]
      return Short(4, at, r_.remaining());
    if (length > max) [[unlikely]]
      return LengthError(length, max, bound, at);
    const size_t remaining = r_.remaining();
    const std::byte* data = nullptr;
    if (!r_.ReadOpaque(length, data)) [[unlikely]]
      return OpaqueShort(length, remaining, at);
    if (options_.zero_copy || length == 0) {
      out = std::string_view(reinterpret_cast<const char*>(data), length);
    } else {
      char* copy = arena_.AllocateArray<char>(length);
      std::memcpy(copy, data, length);
      out = std::string_view(copy, length);
    }
    return true;
  }
  // checked_data: 8.0.18 first requires 4 bytes to remain, then reads an opaque whose only
  // bound is its 32-bit length.
  bool CheckedData(Bytes& out) { return Counted(out, 0xFFFFFFFFull, "32-bit length"); }
  bool BlobOf(Blob& b) {
    return Counted(b.data, options_.max_blob_bytes, "MAXBLOB") || trail_.In("data");
  }

  // Reads an array count, checks it against `max` and reserves what the remaining bytes can
  // hold at `min_element_size` each (a lying count allocates nothing it cannot fill).
  template <typename Vec>
  bool ArrayCount(uint32_t& count, uint32_t max, std::string_view bound, size_t min_element_size,
                  Vec& vec) {
    const size_t at = r_.offset();
    if (!r_.ReadU32(count)) [[unlikely]]
      return Short(4, at, r_.remaining());
    if (count > max) [[unlikely]]
      return CountError(count, max, bound, at);
    vec.reserve(std::min<size_t>(count, r_.remaining() / min_element_size));
    return true;
  }

  // --- structures ----------------------------------------------------------------------------
  bool Synode(SynodeNo& s) {
    return U32(s.group_id, "group_id") && U64(s.msgno, "msgno") && U32(s.node, "node");
  }
  bool BallotOf(Ballot& b) { return I32(b.cnt, "cnt") && U32(b.node, "node"); }

  bool Words(std::pmr::vector<uint32_t>& words) {
    uint32_t count = 0;
    if (!ArrayCount(count, kMaxBitSetWords, "NSERVERS", kUnit, words)) return trail_.In("bits");
    for (uint32_t i = 0; i < count; ++i) {
      uint32_t w = 0;
      if (!r_.ReadU32(w)) {
        Short(4, r_.offset(), r_.remaining());
        return trail_.In("bits", i);
      }
      words.push_back(w);
    }
    return true;
  }

  bool Synodes(SynodeNoArray& a, std::string_view field) {
    uint32_t count = 0;
    if (!ArrayCount(count, kMaxSynodeArray, "MAX_SYNODE_ARRAY", kSynodeNoSize, a)) {
      return trail_.In(field);
    }
    if (r_.Has(size_t{count} * kSynodeNoSize)) [[likely]] {
      const std::byte* b = r_.TakeUnchecked(size_t{count} * kSynodeNoSize);
      for (uint32_t i = 0; i < count; ++i) a.push_back(SynodeAt(b, i * kSynodeNoSize));
      return true;
    }
    for (uint32_t i = 0; i < count; ++i) {
      if (!Synode(a.emplace_back())) return trail_.In(field, i);
    }
    return true;
  }

  bool UList(UncommittedList& u) { return U32(u.active, "active") && Synodes(u.vers, "vers"); }

  bool Nodes(NodeList& nodes, std::string_view field) {
    uint32_t count = 0;
    if (!ArrayCount(count, kMaxNodes, "NSERVERS", kMinNodeAddressSize, nodes)) {
      return trail_.In(field);
    }
    for (uint32_t i = 0; i < count; ++i) {
      if (!Node(nodes.emplace_back())) return trail_.In(field, i);
    }
    return true;
  }

  bool Node(NodeAddress& a) {
    // 8.0.18's x_1_0 codec passes the largest 32-bit bound; libtirpc then refuses 2^32 - 1.
    constexpr uint64_t kAddressMax = NodeAddressIsUnbounded(V) ? 0xFFFFFFFEull : kMaxNameBytes;
    constexpr std::string_view kAddressBound =
        NodeAddressIsUnbounded(V) ? "32-bit string length" : "MAXNAME";
    if (!Counted(a.address, kAddressMax, kAddressBound)) return trail_.In("address");
    if (!BlobOf(a.uuid)) return trail_.In("uuid");
    if constexpr (CarriesNodeProtoRange(V)) {
      XProtoRange& p = a.proto.emplace();
      if (!Enum(p.min_proto, "min_proto") || !Enum(p.max_proto, "max_proto")) {
        return trail_.In("proto");
      }
    }
    return true;
  }

  // An app_data pointer and its next chain, iteratively. `field` names the pointer.
  bool Chain(AppDataList& list, std::string_view field) {
    bool present = false;
    if (!r_.ReadBool(present)) {
      Short(4, r_.offset(), r_.remaining());
      return trail_.InChain(field, 0);
    }
    // Typical chains are short; reserving a few elements (never more than the remaining bytes
    // could hold) saves the growth steps of the common cases.
    if (present) list.reserve(std::min<size_t>(r_.remaining() / kMinAppDataSize + 1, 4));
    for (size_t depth = 0; present; ++depth) {
      if (!AppDataOf(list)) return trail_.InChain(field, depth);
      if (!r_.ReadBool(present)) {
        Short(4, r_.offset(), r_.remaining());
        return trail_.InChain(field, depth + 1);
      }
    }
    return true;
  }

  // Appends the next app_data of a chain to `list`.
  bool AppDataOf(AppDataList& list) {
    if (r_.Has(kAppDataHeadSize)) [[likely]] {
      const std::byte* b = r_.TakeUnchecked(kAppDataHeadSize);
      const SynodeNo unique_id = SynodeAt(b, 0);
      const uint32_t group_id = At32(b, 16);
      const uint64_t lsn = At64(b, 20);
      const SynodeNo app_key = SynodeAt(b, 28);
      const auto consensus = static_cast<ConsType>(At32(b, 44));
      const double expiry_time = std::bit_cast<double>(At64(b, 48));
      const bool notused = At32(b, 56) != 0;
      const bool log_it = At32(b, 60) != 0;
      const bool chosen = At32(b, 64) != 0;
      const auto recover = static_cast<RecoverAction>(At32(b, 68));
      const auto c_t = static_cast<CargoType>(At32(b, 72));
      AppU body{c_t, AppU::Arm(std::in_place_index<static_cast<size_t>(AppArm::kVoid)>)};
#if defined(__cpp_aggregate_paren_init)
      // Built in place from its values: value-initializing an element first would zero its
      // ~200 bytes (GCC emits rep stos for that) only to overwrite them.
      AppData& d = list.emplace_back(unique_id, group_id, lsn, app_key, consensus, expiry_time,
                                     notused, log_it, chosen, recover, std::move(body));
#else
      AppData& d =
          list.emplace_back(AppData{unique_id, group_id, lsn, app_key, consensus, expiry_time,
                                    notused, log_it, chosen, recover, std::move(body)});
#endif
      return Arm(d.body) || trail_.In("body");
    }
    return ShortAppData(list.emplace_back());
  }

  // Fewer than 76 bytes: field by field, to fail exactly where xdrmem would.
  [[gnu::noinline, gnu::cold]] bool ShortAppData(AppData& d) {
    if (!Synode(d.unique_id)) return trail_.In("unique_id");
    if (!U32(d.group_id, "group_id") || !U64(d.lsn, "lsn")) return false;
    if (!Synode(d.app_key)) return trail_.In("app_key");
    if (!Enum(d.consensus, "consensus") || !Double(d.expiry_time, "expiry_time") ||
        !Bool(d.notused, "notused") || !Bool(d.log_it, "log_it") || !Bool(d.chosen, "chosen") ||
        !Enum(d.recover, "recover")) {
      return false;
    }
    return Body(d.body) || trail_.In("body");
  }

  // The discriminant, then its arm.
  bool Body(AppU& u) { return Enum(u.c_t, "c_t") && Arm(u); }

  // The arm u.c_t selects.
  bool Arm(AppU& u) {
    switch (ArmOf(u.c_t)) {
      case AppArm::kData:  // the common case first
        return CheckedData(u.arm.emplace<Bytes>()) || trail_.In("data");
      case AppArm::kNodes:
        return Nodes(u.arm.emplace<NodeList>(&arena_), "nodes");
      case AppArm::kRep: {
        Repository& rep = u.arm.emplace<Repository>(Repository{
            .msg_list = SynodeNoArray(&arena_),
            .u_list = {.vers = SynodeNoArray(&arena_)},
        });
        if (!Synode(rep.vers)) {
          return trail_.Path("vers", "rep");
        }
        if (!Synodes(rep.msg_list, "msg_list")) return trail_.In("rep");
        if (!UList(rep.u_list)) {
          return trail_.Path("u_list", "rep");
        }
        return true;
      }
      case AppArm::kTd: {
        TransData& t = u.arm.emplace<TransData>();
        if (!Synode(t.tid.cfg)) {
          return trail_.Path("cfg", "tid", "td");
        }
        if (!U32(t.tid.pc, "pc")) {
          return trail_.Path("tid", "td");
        }
        if (!I32(t.pc, "pc")) return trail_.In("td");
        if (!Counted(t.cluster_name, kMaxNameBytes, "MAXNAME")) {
          return trail_.Path("cluster_name", "td");
        }
        if (!I32(t.errmsg.nodeid, "nodeid") || !I32(t.errmsg.code, "code")) {
          return trail_.Path("errmsg", "td");
        }
        if (!Counted(t.errmsg.message, kMaxErrorBytes, "MAXERROR")) {
          return trail_.Path("message", "errmsg", "td");
        }
        return true;
      }
      case AppArm::kPresent: {
        NodeSet& s = u.arm.emplace<NodeSet>(&arena_);
        uint32_t count = 0;
        if (!ArrayCount(count, kMaxNodes, "NSERVERS", kUnit, s)) return trail_.In("present");
        for (uint32_t i = 0; i < count; ++i) {
          bool b = false;
          if (!r_.ReadBool(b)) {
            Short(4, r_.offset(), r_.remaining());
            return trail_.In("present", i);
          }
          s.push_back(b);
        }
        return true;
      }
      case AppArm::kCacheLimit:
        return U64(u.arm.emplace<uint64_t>(), "cache_limit");
      case AppArm::kEventHorizon:
        return U32(u.arm.emplace<uint32_t>(), "event_horizon");
      case AppArm::kSynodes:
        return Synodes(u.arm.emplace<SynodeNoArray>(&arena_), "synodes");
      case AppArm::kVoid:
        u.arm.emplace<std::monostate>();
        return true;
    }
    return true;
  }

  bool Snap(Snapshot& s) {
    if (!Synode(s.vers)) return trail_.In("vers");
    uint32_t count = 0;
    if (!ArrayCount(count, kMaxAppPtrArray, "MAX_APP_PTR_ARRAY", kMinAppDataPtrSize, s.snap)) {
      return trail_.In("snap");
    }
    for (uint32_t i = 0; i < count; ++i) {
      // pmr uses-allocator construction gives the new list the arena.
      if (!Chain(s.snap.emplace_back(), "")) return trail_.In("snap", i);
    }
    if (!UList(s.u_list)) return trail_.In("u_list");
    return true;
  }

  bool Gcs(GcsSnapshot& g) {
    if (!Synode(g.log_start)) return trail_.In("log_start");
    uint32_t count = 0;
    if (!ArrayCount(count, kMaxConfigs, "NSERVERS", kMinConfigPtrSize, g.cfg)) {
      return trail_.In("cfg");
    }
    for (uint32_t i = 0; i < count; ++i) {
      std::optional<Config>& entry = g.cfg.emplace_back();
      bool present = false;
      if (!r_.ReadBool(present)) {
        Short(4, r_.offset(), r_.remaining());
        return trail_.In("cfg", i);
      }
      if (present && !Conf(entry.emplace(Config{.nodes = NodeList(&arena_)}))) {
        return trail_.In("cfg", i);
      }
    }
    if (!BlobOf(g.app_snap)) return trail_.In("app_snap");
    return true;
  }

  bool Conf(Config& c) {
    if (!Synode(c.start)) return trail_.In("start");
    if (!Synode(c.boot_key)) return trail_.In("boot_key");
    if (!Nodes(c.nodes, "nodes")) return false;
    if constexpr (CarriesEventHorizon(V)) {
      if (!U32(c.event_horizon.emplace(), "event_horizon")) return false;
    }
    return true;
  }

  XdrReader r_;
  Arena& arena_;
  const DecodeOptions& options_;
  ErrorTrail& trail_;
};

}  // namespace uxcom::xdr::internal

#endif  // UXCOM_XDR_INTERNAL_BODY_READER_H_
