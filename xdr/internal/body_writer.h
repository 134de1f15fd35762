// The second encoding pass: writes a message BodySizer<V> has accepted, in wire order.
#ifndef UXCOM_XDR_INTERNAL_BODY_WRITER_H_
#define UXCOM_XDR_INTERNAL_BODY_WRITER_H_

#include <variant>

#include "xdr/big_endian.h"
#include "xdr/internal/wire_sizes.h"
#include "xdr/pax_msg.h"
#include "xdr/protocol_version.h"
#include "xdr/xdr_writer.h"

namespace uxcom::xdr::internal {

template <ProtocolVersion V>
class BodyWriter {
 public:
  explicit BodyWriter(XdrWriter& w) : w_(w) {}

  void Msg(const PaxMsg& m) {
    w_.PutU32(m.to);
    w_.PutU32(m.from);
    w_.PutU32(m.group_id);
    Synode(m.max_synode);
    w_.PutEnum(m.start_type);
    BallotOf(m.reply_to);
    BallotOf(m.proposal);
    w_.PutEnum(m.op);
    Synode(m.synode);
    w_.PutEnum(m.msg_type);
    w_.PutBool(m.receivers.has_value());
    if (m.receivers) Words(m.receivers->bits);
    Chain(m.a);
    w_.PutBool(m.snap.has_value());
    if (m.snap) Snap(*m.snap);
    w_.PutBool(m.gcs_snap.has_value());
    if (m.gcs_snap) Gcs(*m.gcs_snap);
    w_.PutEnum(m.cli_err);
    w_.PutBool(m.force_delivery);
    w_.PutI32(m.refcnt);
    if constexpr (CarriesDeliveredMsg(V)) Synode(*m.delivered_msg);
    if constexpr (CarriesEventHorizon(V)) w_.PutU32(*m.event_horizon);
    if constexpr (CarriesRequestedSynodeAppData(V)) {
      w_.PutU32(static_cast<uint32_t>(m.requested_synode_app_data.size()));
      for (const SynodeAppData& s : m.requested_synode_app_data) {
        Synode(s.synode);
        w_.PutCountedOpaque(s.data);
      }
    }
  }

 private:
  void Synode(const SynodeNo& s) {
    w_.PutU32(s.group_id);
    w_.PutU64(s.msgno);
    w_.PutU32(s.node);
  }
  void BallotOf(const Ballot& b) {
    w_.PutI32(b.cnt);
    w_.PutU32(b.node);
  }
  void Words(const std::pmr::vector<uint32_t>& words) {
    w_.PutU32(static_cast<uint32_t>(words.size()));
    for (uint32_t word : words) w_.PutU32(word);
  }
  void Synodes(const SynodeNoArray& a) {
    w_.PutU32(static_cast<uint32_t>(a.size()));
    for (const SynodeNo& s : a) Synode(s);
  }
  void UList(const UncommittedList& u) {
    w_.PutU32(u.active);
    Synodes(u.vers);
  }
  void Nodes(const NodeList& nodes) {
    w_.PutU32(static_cast<uint32_t>(nodes.size()));
    for (const NodeAddress& a : nodes) {
      w_.PutCountedOpaque(a.address);
      w_.PutCountedOpaque(a.uuid.data);
      if constexpr (CarriesNodeProtoRange(V)) {
        w_.PutEnum(a.proto->min_proto);
        w_.PutEnum(a.proto->max_proto);
      }
    }
  }

  void Chain(const AppDataList& list) {
    w_.PutBool(!list.empty());
    for (size_t i = 0; i < list.size(); ++i) {
      const AppData& d = list[i];
      Synode(d.unique_id);
      w_.PutU32(d.group_id);
      w_.PutU64(d.lsn);
      Synode(d.app_key);
      w_.PutEnum(d.consensus);
      w_.PutDouble(d.expiry_time);
      w_.PutBool(d.notused);
      w_.PutBool(d.log_it);
      w_.PutBool(d.chosen);
      w_.PutEnum(d.recover);
      Body(d.body);
      w_.PutBool(i + 1 < list.size());  // next
    }
  }

  void Body(const AppU& u) {
    w_.PutEnum(u.c_t);
    switch (u.kind()) {
      case AppArm::kNodes:
        Nodes(*std::get_if<NodeList>(&u.arm));
        break;
      case AppArm::kRep: {
        const Repository& r = *std::get_if<Repository>(&u.arm);
        Synode(r.vers);
        Synodes(r.msg_list);
        UList(r.u_list);
        break;
      }
      case AppArm::kData:
        w_.PutCountedOpaque(*std::get_if<Bytes>(&u.arm));
        break;
      case AppArm::kTd: {
        const TransData& t = *std::get_if<TransData>(&u.arm);
        Synode(t.tid.cfg);
        w_.PutU32(t.tid.pc);
        w_.PutI32(t.pc);
        w_.PutCountedOpaque(t.cluster_name);
        w_.PutI32(t.errmsg.nodeid);
        w_.PutI32(t.errmsg.code);
        w_.PutCountedOpaque(t.errmsg.message);
        break;
      }
      case AppArm::kPresent: {
        const NodeSet& s = *std::get_if<NodeSet>(&u.arm);
        w_.PutU32(static_cast<uint32_t>(s.size()));
        for (bool b : s) w_.PutBool(b);
        break;
      }
      case AppArm::kCacheLimit:
        w_.PutU64(*std::get_if<uint64_t>(&u.arm));
        break;
      case AppArm::kEventHorizon:
        w_.PutU32(*std::get_if<uint32_t>(&u.arm));
        break;
      case AppArm::kSynodes:
        Synodes(*std::get_if<SynodeNoArray>(&u.arm));
        break;
      case AppArm::kVoid:
        break;
    }
  }

  void Snap(const Snapshot& s) {
    Synode(s.vers);
    w_.PutU32(static_cast<uint32_t>(s.snap.size()));
    for (const AppDataList& entry : s.snap) Chain(entry);
    UList(s.u_list);
  }

  void Gcs(const GcsSnapshot& g) {
    Synode(g.log_start);
    w_.PutU32(static_cast<uint32_t>(g.cfg.size()));
    for (const std::optional<Config>& c : g.cfg) {
      w_.PutBool(c.has_value());
      if (!c) continue;
      Synode(c->start);
      Synode(c->boot_key);
      Nodes(c->nodes);
      if constexpr (CarriesEventHorizon(V)) w_.PutU32(*c->event_horizon);
    }
    w_.PutCountedOpaque(g.app_snap.data);
  }

  XdrWriter& w_;
};

}  // namespace uxcom::xdr::internal

#endif  // UXCOM_XDR_INTERNAL_BODY_WRITER_H_
