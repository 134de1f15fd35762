// The second encoding pass: writes a message BodySizer<V> has accepted, in wire order.
//
// The write position is passed and returned by value rather than kept in an object: stores
// through a byte pointer may alias anything in memory, so a position held in memory would be
// reloaded and stored back around every 4-byte store. As a value it stays in a register.
#ifndef UXCOM_XDR_INTERNAL_BODY_WRITER_H_
#define UXCOM_XDR_INTERNAL_BODY_WRITER_H_

#include <cstring>
#include <variant>

#include "xdr/big_endian.h"
#include "xdr/pax_msg.h"
#include "xdr/protocol_version.h"
#include "xdr/xdr_reader.h"

namespace uxcom::xdr::internal {

[[gnu::always_inline]] inline std::byte* Put32(std::byte* p, uint32_t v) {
  StoreBigEndian32(p, v);
  return p + 4;
}
[[gnu::always_inline]] inline std::byte* Put64(std::byte* p, uint64_t v) {
  StoreBigEndian64(p, v);
  return p + 8;
}
template <typename E>
[[gnu::always_inline]] inline std::byte* PutEnum(std::byte* p, E v) {
  return Put32(p, static_cast<uint32_t>(v));
}
[[gnu::always_inline]] inline std::byte* PutBool(std::byte* p, bool v) {
  return Put32(p, v ? 1 : 0);
}
// Length word, bytes, zero padding.
[[gnu::always_inline]] inline std::byte* PutCounted(std::byte* p, std::string_view data) {
  const size_t n = data.size();
  p = Put32(p, static_cast<uint32_t>(n));
  const size_t padded = XdrPadded(n);
  if (padded != n) StoreBigEndian32(p + padded - 4, 0);  // the padding, before the copy
  if (n != 0) std::memcpy(p, data.data(), n);
  return p + padded;
}

template <ProtocolVersion V>
class BodyWriter {
 public:
  // Writes `m` at p; returns the end of what was written.
  static std::byte* Msg(std::byte* p, const PaxMsg& m) {
    p = Put32(p, m.to);
    p = Put32(p, m.from);
    p = Put32(p, m.group_id);
    p = Synode(p, m.max_synode);
    p = PutEnum(p, m.start_type);
    p = BallotOf(p, m.reply_to);
    p = BallotOf(p, m.proposal);
    p = PutEnum(p, m.op);
    p = Synode(p, m.synode);
    p = PutEnum(p, m.msg_type);
    p = PutBool(p, m.receivers.has_value());
    if (m.receivers) p = Words(p, m.receivers->bits);
    p = Chain(p, m.a);
    p = PutBool(p, m.snap.has_value());
    if (m.snap) p = Snap(p, *m.snap);
    p = PutBool(p, m.gcs_snap.has_value());
    if (m.gcs_snap) p = Gcs(p, *m.gcs_snap);
    p = PutEnum(p, m.cli_err);
    p = PutBool(p, m.force_delivery);
    p = Put32(p, static_cast<uint32_t>(m.refcnt));
    if constexpr (CarriesDeliveredMsg(V)) p = Synode(p, *m.delivered_msg);
    if constexpr (CarriesEventHorizon(V)) p = Put32(p, *m.event_horizon);
    if constexpr (CarriesRequestedSynodeAppData(V)) {
      p = Put32(p, static_cast<uint32_t>(m.requested_synode_app_data.size()));
      for (const SynodeAppData& s : m.requested_synode_app_data) {
        p = Synode(p, s.synode);
        p = PutCounted(p, s.data);
      }
    }
    return p;
  }

 private:
  static std::byte* Synode(std::byte* p, const SynodeNo& s) {
    p = Put32(p, s.group_id);
    p = Put64(p, s.msgno);
    return Put32(p, s.node);
  }
  static std::byte* BallotOf(std::byte* p, const Ballot& b) {
    p = Put32(p, static_cast<uint32_t>(b.cnt));
    return Put32(p, b.node);
  }
  static std::byte* Words(std::byte* p, const std::pmr::vector<uint32_t>& words) {
    p = Put32(p, static_cast<uint32_t>(words.size()));
    for (uint32_t word : words) p = Put32(p, word);
    return p;
  }
  static std::byte* Synodes(std::byte* p, const SynodeNoArray& a) {
    p = Put32(p, static_cast<uint32_t>(a.size()));
    for (const SynodeNo& s : a) p = Synode(p, s);
    return p;
  }
  static std::byte* UList(std::byte* p, const UncommittedList& u) {
    p = Put32(p, u.active);
    return Synodes(p, u.vers);
  }
  static std::byte* Nodes(std::byte* p, const NodeList& nodes) {
    p = Put32(p, static_cast<uint32_t>(nodes.size()));
    for (const NodeAddress& a : nodes) {
      p = PutCounted(p, a.address);
      p = PutCounted(p, a.uuid.data);
      if constexpr (CarriesNodeProtoRange(V)) {
        p = PutEnum(p, a.proto->min_proto);
        p = PutEnum(p, a.proto->max_proto);
      }
    }
    return p;
  }

  // The `a` flag (or an app_data_ptr flag) and its chain: 1 / app_data / 1 / … / 0.
  static std::byte* Chain(std::byte* p, const AppDataList& list) {
    p = PutBool(p, !list.empty());
    const size_t n = list.size();
    for (size_t i = 0; i < n; ++i) {
      const AppData& d = list[i];
      p = Synode(p, d.unique_id);
      p = Put32(p, d.group_id);
      p = Put64(p, d.lsn);
      p = Synode(p, d.app_key);
      p = PutEnum(p, d.consensus);
      p = Put64(p, std::bit_cast<uint64_t>(d.expiry_time));
      p = PutBool(p, d.notused);
      p = PutBool(p, d.log_it);
      p = PutBool(p, d.chosen);
      p = PutEnum(p, d.recover);
      p = Body(p, d.body);
      p = PutBool(p, i + 1 < n);  // next
    }
    return p;
  }

  static std::byte* Body(std::byte* p, const AppU& u) {
    p = PutEnum(p, u.c_t);
    switch (u.kind()) {
      case AppArm::kData:  // the common case first
        return PutCounted(p, *std::get_if<Bytes>(&u.arm));
      case AppArm::kNodes:
        return Nodes(p, *std::get_if<NodeList>(&u.arm));
      case AppArm::kRep: {
        const Repository& r = *std::get_if<Repository>(&u.arm);
        p = Synode(p, r.vers);
        p = Synodes(p, r.msg_list);
        return UList(p, r.u_list);
      }
      case AppArm::kTd: {
        const TransData& t = *std::get_if<TransData>(&u.arm);
        p = Synode(p, t.tid.cfg);
        p = Put32(p, t.tid.pc);
        p = Put32(p, static_cast<uint32_t>(t.pc));
        p = PutCounted(p, t.cluster_name);
        p = Put32(p, static_cast<uint32_t>(t.errmsg.nodeid));
        p = Put32(p, static_cast<uint32_t>(t.errmsg.code));
        return PutCounted(p, t.errmsg.message);
      }
      case AppArm::kPresent: {
        const NodeSet& s = *std::get_if<NodeSet>(&u.arm);
        p = Put32(p, static_cast<uint32_t>(s.size()));
        for (bool b : s) p = PutBool(p, b);
        return p;
      }
      case AppArm::kCacheLimit:
        return Put64(p, *std::get_if<uint64_t>(&u.arm));
      case AppArm::kEventHorizon:
        return Put32(p, *std::get_if<uint32_t>(&u.arm));
      case AppArm::kSynodes:
        return Synodes(p, *std::get_if<SynodeNoArray>(&u.arm));
      case AppArm::kVoid:
        return p;
    }
    return p;
  }

  static std::byte* Snap(std::byte* p, const Snapshot& s) {
    p = Synode(p, s.vers);
    p = Put32(p, static_cast<uint32_t>(s.snap.size()));
    for (const AppDataList& entry : s.snap) p = Chain(p, entry);
    return UList(p, s.u_list);
  }

  static std::byte* Gcs(std::byte* p, const GcsSnapshot& g) {
    p = Synode(p, g.log_start);
    p = Put32(p, static_cast<uint32_t>(g.cfg.size()));
    for (const std::optional<Config>& c : g.cfg) {
      p = PutBool(p, c.has_value());
      if (!c) continue;
      p = Synode(p, c->start);
      p = Synode(p, c->boot_key);
      p = Nodes(p, c->nodes);
      if constexpr (CarriesEventHorizon(V)) p = Put32(p, *c->event_horizon);
    }
    return PutCounted(p, g.app_snap.data);
  }
};

}  // namespace uxcom::xdr::internal

#endif  // UXCOM_XDR_INTERNAL_BODY_WRITER_H_
