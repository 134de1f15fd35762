#include "bench/baseline/tirpc_pax_msg.h"

#include <arpa/inet.h>

#include <cstdlib>
#include <cstring>
#include <variant>

namespace uxcom::bench::tirpc {
namespace {

// The version of the operation in progress, and whether 8.0.39's rules apply. 8.0.18 reads the
// version from XDR.x_public (set here too), but libtirpc's xdr_sizeof builds its own XDR and
// leaves x_public uninitialized (8.0.18 has its own sizing stream for that reason; 8.0.39
// generates one routine per version instead), so the routines read these thread-locals.
thread_local uint32_t tl_version = 0;
thread_local bool tl_8039 = false;

uint32_t VersionOf(XDR*) { return tl_version; }
bool Rules8039() { return tl_8039; }
// x_1_7's config and gcs_snapshot members, which 8.0.39's x_1_3 has too.
bool CarriesX17Members(uint32_t v) { return v >= 8 || (v == 4 && Rules8039()); }

void Begin(uint32_t version, xdr::Profile profile) {
  tl_version = version;
  tl_8039 = xdr::EffectiveProfile(profile, static_cast<xdr::ProtocolVersion>(version)) ==
            xdr::Profile::k8_0_39;
}

template <typename T>
xdrproc_t ProcOf(bool_t (*f)(XDR*, T*)) {
  return reinterpret_cast<xdrproc_t>(f);
}

bool_t xdr_synode_no(XDR* xdrs, synode_no* p) {
  return xdr_uint32_t(xdrs, &p->group_id) && xdr_uint64_t(xdrs, &p->msgno) &&
         xdr_uint32_t(xdrs, &p->node);
}

bool_t xdr_ballot(XDR* xdrs, ballot* p) {
  return xdr_int32_t(xdrs, &p->cnt) && xdr_uint32_t(xdrs, &p->node);
}

bool_t xdr_x_proto_range(XDR* xdrs, x_proto_range* p) {
  return xdr_enum(xdrs, &p->min_proto) && xdr_enum(xdrs, &p->max_proto);
}

bool_t xdr_blob(XDR* xdrs, blob* p) {
  return xdr_bytes(xdrs, &p->data.data_val, &p->data.data_len, Rules8039() ? 10'000'000 : 1024);
}

// x_1_0 has no proto range (decoding fills in {1, 1}), and 8.0.18's x_1_0 address no bound;
// x_1_9 adds services (decoding fills in 7 before).
bool_t xdr_node_address(XDR* xdrs, node_address* p) {
  const uint32_t v = VersionOf(xdrs);
  const u_int address_bound = v == 1 && !Rules8039() ? ~0u : 1024;
  if (!xdr_string(xdrs, &p->address, address_bound) || !xdr_blob(xdrs, &p->uuid)) return FALSE;
  if (v >= 2) {
    if (!xdr_x_proto_range(xdrs, &p->proto)) return FALSE;
  } else if (xdrs->x_op == XDR_DECODE) {
    p->proto = {1, 1};
  }
  if (v >= 10) return xdr_uint32_t(xdrs, &p->services);
  if (xdrs->x_op == XDR_DECODE) p->services = 7;
  return TRUE;
}

bool_t xdr_node_list(XDR* xdrs, node_list* p) {
  const uint32_t v = VersionOf(xdrs);
  if (v < 1 || v > 10) return FALSE;
  return xdr_array(xdrs, reinterpret_cast<char**>(&p->node_list_val), &p->node_list_len, 100,
                   sizeof(node_address), ProcOf(&xdr_node_address));
}

bool_t xdr_leader(XDR* xdrs, leader* p) { return xdr_string(xdrs, &p->address, 1024); }

bool_t xdr_leader_array(XDR* xdrs, leader_array* p) {
  return xdr_array(xdrs, reinterpret_cast<char**>(&p->leader_array_val), &p->leader_array_len, 100,
                   sizeof(leader), ProcOf(&xdr_leader));
}

bool_t xdr_bool_element(XDR* xdrs, bool_t* p) { return xdr_bool(xdrs, p); }
bool_t xdr_uint32_element(XDR* xdrs, uint32_t* p) { return xdr_uint32_t(xdrs, p); }

bool_t xdr_node_set(XDR* xdrs, node_set* p) {
  return xdr_array(xdrs, reinterpret_cast<char**>(&p->node_set_val), &p->node_set_len, 100,
                   sizeof(bool_t), ProcOf(&xdr_bool_element));
}

bool_t xdr_bit_set(XDR* xdrs, bit_set* p) {
  return xdr_array(xdrs, reinterpret_cast<char**>(&p->bits.bits_val), &p->bits.bits_len, 100,
                   sizeof(uint32_t), ProcOf(&xdr_uint32_element));
}

bool_t xdr_synode_no_array(XDR* xdrs, synode_no_array* p) {
  return xdr_array(xdrs, reinterpret_cast<char**>(&p->synode_no_array_val), &p->synode_no_array_len,
                   1024, sizeof(synode_no), ProcOf(&xdr_synode_no));
}

bool_t xdr_uncommitted_list(XDR* xdrs, uncommitted_list* p) {
  return xdr_uint32_t(xdrs, &p->active) && xdr_synode_no_array(xdrs, &p->vers);
}

bool_t xdr_repository(XDR* xdrs, repository* p) {
  return xdr_synode_no(xdrs, &p->vers) && xdr_synode_no_array(xdrs, &p->msg_list) &&
         xdr_uncommitted_list(xdrs, &p->u_list);
}

bool_t xdr_trans_data(XDR* xdrs, trans_data* p) {
  return xdr_synode_no(xdrs, &p->tid.cfg) && xdr_uint32_t(xdrs, &p->tid.pc) &&
         xdr_int32_t(xdrs, &p->pc) && xdr_string(xdrs, &p->cluster_name, 1024) &&
         xdr_int32_t(xdrs, &p->errmsg.nodeid) && xdr_int32_t(xdrs, &p->errmsg.code) &&
         xdr_string(xdrs, &p->errmsg.message, 10240);
}

// As 8.0.18's hand-written routine: on decode, first require the 4-byte length to be there.
bool_t xdr_checked_data(XDR* xdrs, checked_data* p) {
  if (xdrs->x_op == XDR_DECODE && p->data_len + 4 > xdrs->x_handy) return FALSE;
  return xdr_bytes(xdrs, &p->data_val, &p->data_len, 0xffffffff);
}

bool_t xdr_app_u(XDR* xdrs, app_u* p) {
  if (!xdr_enum(xdrs, &p->c_t)) return FALSE;
  switch (p->c_t) {
    case 0:
    case 1:
    case 2:
    case 14:
    case 15:
    case 18:
      return xdr_node_list(xdrs, &p->app_u_u.nodes);
    case 3:  // 8.0.39 has no arm for it
      return Rules8039() ? TRUE : xdr_repository(xdrs, &p->app_u_u.rep);
    case 4:
      return xdr_checked_data(xdrs, &p->app_u_u.data);
    case 10:
    case 11:
      return xdr_trans_data(xdrs, &p->app_u_u.td);
    case 12:
      return xdr_node_set(xdrs, &p->app_u_u.present);
    case 20:
      return xdr_uint64_t(xdrs, &p->app_u_u.cache_limit);
    case 22:
      return xdr_uint32_t(xdrs, &p->app_u_u.event_horizon);
    case 23:
      return xdr_synode_no_array(xdrs, &p->app_u_u.synodes);
    case 25:  // 8.0.39
      return !Rules8039() || xdr_uint32_t(xdrs, &p->app_u_u.max_leaders);
    case 26:  // 8.0.39
      return !Rules8039() || xdr_leader_array(xdrs, &p->app_u_u.leaders);
    default:
      return TRUE;  // void arms and the default arm
  }
}

bool_t xdr_app_data(XDR* xdrs, app_data* p) {
  return xdr_synode_no(xdrs, &p->unique_id) && xdr_uint32_t(xdrs, &p->group_id) &&
         xdr_uint64_t(xdrs, &p->lsn) && xdr_synode_no(xdrs, &p->app_key) &&
         xdr_enum(xdrs, &p->consensus) && xdr_double(xdrs, &p->expiry_time) &&
         xdr_bool(xdrs, &p->notused) && xdr_bool(xdrs, &p->log_it) && xdr_bool(xdrs, &p->chosen) &&
         xdr_enum(xdrs, &p->recover) && xdr_app_u(xdrs, &p->body) &&
         xdr_pointer(xdrs, reinterpret_cast<char**>(&p->next), sizeof(app_data),
                     ProcOf(&xdr_app_data));
}

bool_t xdr_app_data_ptr(XDR* xdrs, app_data_ptr* p) {
  return xdr_pointer(xdrs, reinterpret_cast<char**>(p), sizeof(app_data), ProcOf(&xdr_app_data));
}

bool_t xdr_snapshot(XDR* xdrs, snapshot* p) {
  return xdr_synode_no(xdrs, &p->vers) &&
         xdr_array(xdrs, reinterpret_cast<char**>(&p->snap.app_data_ptr_array_val),
                   &p->snap.app_data_ptr_array_len, 1024, sizeof(app_data_ptr),
                   ProcOf(&xdr_app_data_ptr)) &&
         xdr_uncommitted_list(xdrs, &p->u_list);
}

bool_t xdr_config(XDR* xdrs, config* p) {
  const uint32_t v = VersionOf(xdrs);
  if (v < 1 || v > 10) return FALSE;
  if (!xdr_synode_no(xdrs, &p->start) || !xdr_synode_no(xdrs, &p->boot_key) ||
      !xdr_node_list(xdrs, &p->nodes)) {
    return FALSE;
  }
  // One C struct serves every version here (MySQL has one per generation), so XDR_FREE walks
  // the newer members at every version, so a message built for x_1_9 and freed as x_1_6 leaks
  // nothing.
  const bool all = xdrs->x_op == XDR_FREE;
  if ((all || CarriesX17Members(v)) && !xdr_node_set(xdrs, &p->global_node_set)) return FALSE;
  if (v >= 5) {
    if (!xdr_uint32_t(xdrs, &p->event_horizon)) return FALSE;
  } else if (xdrs->x_op == XDR_DECODE) {
    p->event_horizon = 10;  // EVENT_HORIZON_MIN
  }
  if (all || v >= 10) {
    return xdr_uint32_t(xdrs, &p->max_active_leaders) && xdr_leader_array(xdrs, &p->leaders);
  }
  return TRUE;
}

bool_t xdr_config_ptr(XDR* xdrs, config_ptr* p) {
  return xdr_pointer(xdrs, reinterpret_cast<char**>(p), sizeof(config), ProcOf(&xdr_config));
}

bool_t xdr_gcs_snapshot(XDR* xdrs, gcs_snapshot* p) {
  return xdr_synode_no(xdrs, &p->log_start) &&
         (!CarriesX17Members(VersionOf(xdrs)) || xdr_synode_no(xdrs, &p->log_end)) &&
         xdr_array(xdrs, reinterpret_cast<char**>(&p->cfg.configs_val), &p->cfg.configs_len,
                   Rules8039() ? 1024 : 100, sizeof(config_ptr), ProcOf(&xdr_config_ptr)) &&
         xdr_blob(xdrs, &p->app_snap);
}

bool_t xdr_synode_app_data(XDR* xdrs, synode_app_data* p) {
  if (!xdr_synode_no(xdrs, &p->synode) || !xdr_checked_data(xdrs, &p->data)) return FALSE;
  if (VersionOf(xdrs) >= 10) return xdr_synode_no(xdrs, &p->origin);
  if (xdrs->x_op == XDR_DECODE) p->origin = p->synode;
  return TRUE;
}

bool_t xdr_reply_data(XDR* xdrs, reply_data* p) {
  if (!xdr_enum(xdrs, &p->rt)) return FALSE;
  if (p->rt != 0) return TRUE;  // the default void arm
  leader_info_data& l = p->reply_data_u.leaders;
  return xdr_uint32_t(xdrs, &l.max_nr_leaders) && xdr_leader_array(xdrs, &l.preferred_leaders) &&
         xdr_leader_array(xdrs, &l.actual_leaders);
}

}  // namespace

bool_t xdr_pax_msg(XDR* xdrs, pax_msg* p) {
  const uint32_t v = VersionOf(xdrs);
  if (v < 1 || v > 10) return FALSE;
  if (!xdr_uint32_t(xdrs, &p->to) || !xdr_uint32_t(xdrs, &p->from) ||
      !xdr_uint32_t(xdrs, &p->group_id) || !xdr_synode_no(xdrs, &p->max_synode) ||
      !xdr_enum(xdrs, &p->start_type) || !xdr_ballot(xdrs, &p->reply_to) ||
      !xdr_ballot(xdrs, &p->proposal) || !xdr_enum(xdrs, &p->op) ||
      !xdr_synode_no(xdrs, &p->synode) || !xdr_enum(xdrs, &p->msg_type) ||
      !xdr_pointer(xdrs, reinterpret_cast<char**>(&p->receivers), sizeof(bit_set),
                   ProcOf(&xdr_bit_set)) ||
      !xdr_pointer(xdrs, reinterpret_cast<char**>(&p->a), sizeof(app_data),
                   ProcOf(&xdr_app_data)) ||
      !xdr_pointer(xdrs, reinterpret_cast<char**>(&p->snap), sizeof(snapshot),
                   ProcOf(&xdr_snapshot)) ||
      !xdr_pointer(xdrs, reinterpret_cast<char**>(&p->gcs_snap), sizeof(gcs_snapshot),
                   ProcOf(&xdr_gcs_snapshot)) ||
      !xdr_enum(xdrs, &p->cli_err) || !xdr_bool(xdrs, &p->force_delivery) ||
      !xdr_int32_t(xdrs, &p->refcnt)) {
    return FALSE;
  }
  if (v >= 3 && !xdr_synode_no(xdrs, &p->delivered_msg)) return FALSE;
  if (v >= 5 && !xdr_uint32_t(xdrs, &p->event_horizon)) return FALSE;
  if (v >= 7 &&
      !xdr_array(xdrs,
                 reinterpret_cast<char**>(&p->requested_synode_app_data.synode_app_data_array_val),
                 &p->requested_synode_app_data.synode_app_data_array_len, 1024,
                 sizeof(synode_app_data), ProcOf(&xdr_synode_app_data))) {
    return FALSE;
  }
  if (v >= 10 && !xdr_pointer(xdrs, reinterpret_cast<char**>(&p->rd), sizeof(reply_data),
                              ProcOf(&xdr_reply_data))) {
    return FALSE;
  }
  return TRUE;
}

bool Serialize(uint32_t version, pax_msg* msg, char** frame, uint32_t* frame_size,
               xdr::Profile profile) {
  Begin(version, profile);
  const u_long size = xdr_sizeof(ProcOf(&xdr_pax_msg), msg);
  if (size == 0 || size + 12 > 0xffffffffu) return false;
  char* buf = static_cast<char*>(calloc(1, size + 12));
  XDR xdrs;
  xdrmem_create(&xdrs, buf + 12, static_cast<u_int>(size), XDR_ENCODE);
  xdrs.x_public = reinterpret_cast<char*>(&version);
  const bool ok = xdr_pax_msg(&xdrs, msg);
  xdr_destroy(&xdrs);
  if (!ok) {
    free(buf);
    return false;
  }
  const uint32_t v = htonl(version), len = htonl(static_cast<uint32_t>(size));
  std::memcpy(buf, &v, 4);
  std::memcpy(buf + 4, &len, 4);
  const uint16_t tag = htons(Rules8039() ? 666 : 0);
  buf[8] = 0;  // x_normal
  std::memcpy(buf + 9, &tag, 2);
  *frame = buf;
  *frame_size = static_cast<uint32_t>(size + 12);
  return true;
}

bool Deserialize(uint32_t version, const char* body, uint32_t size, pax_msg** out,
                 uint32_t* consumed, xdr::Profile profile) {
  Begin(version, profile);
  auto* msg = static_cast<pax_msg*>(calloc(1, sizeof(pax_msg)));
  XDR xdrs;
  xdrmem_create(&xdrs, const_cast<char*>(body), size, XDR_DECODE);
  xdrs.x_public = reinterpret_cast<char*>(&version);
  const bool ok = xdr_pax_msg(&xdrs, msg);
  *consumed = xdr_getpos(&xdrs);
  xdr_destroy(&xdrs);
  if (!ok) {
    FreePaxMsg(version, msg, profile);
    *out = nullptr;
    return false;
  }
  *out = msg;
  return true;
}

void FreePaxMsg(uint32_t version, pax_msg* msg, xdr::Profile profile) {
  if (msg == nullptr) return;
  Begin(version, profile);
  XDR xdrs{};
  xdrs.x_op = XDR_FREE;
  xdrs.x_public = reinterpret_cast<char*>(&version);
  xdr_pax_msg(&xdrs, msg);
  free(msg);
}

// --- FromModel -------------------------------------------------------------------------------
namespace {

template <typename T>
T* Alloc(size_t n = 1) {
  return static_cast<T*>(calloc(n == 0 ? 1 : n, sizeof(T)));
}

char* CopyString(std::string_view s) {
  char* p = static_cast<char*>(malloc(s.size() + 1));
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

void CopyBytes(std::string_view s, u_int* len, char** val) {
  *len = static_cast<u_int>(s.size());
  *val = nullptr;
  if (!s.empty()) {
    *val = static_cast<char*>(malloc(s.size()));
    std::memcpy(*val, s.data(), s.size());
  }
}

synode_no Synode(const xdr::SynodeNo& s) { return {s.group_id, s.msgno, s.node}; }

synode_no_array Synodes(const xdr::SynodeNoArray& a) {
  synode_no_array out{static_cast<u_int>(a.size()), nullptr};
  if (!a.empty()) {
    out.synode_no_array_val = Alloc<synode_no>(a.size());
    for (size_t i = 0; i < a.size(); ++i) out.synode_no_array_val[i] = Synode(a[i]);
  }
  return out;
}

node_list Nodes(const xdr::NodeList& nodes) {
  node_list out{static_cast<u_int>(nodes.size()), nullptr};
  if (nodes.empty()) return out;
  out.node_list_val = Alloc<node_address>(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    node_address& a = out.node_list_val[i];
    a.address = CopyString(nodes[i].address);
    CopyBytes(nodes[i].uuid.data, &a.uuid.data.data_len, &a.uuid.data.data_val);
    if (nodes[i].proto) {
      a.proto = {static_cast<enum_t>(nodes[i].proto->min_proto),
                 static_cast<enum_t>(nodes[i].proto->max_proto)};
    }
    a.services = nodes[i].services.value_or(7);
  }
  return out;
}

leader_array Leaders(const xdr::LeaderArray& leaders) {
  leader_array out{static_cast<u_int>(leaders.size()), nullptr};
  if (leaders.empty()) return out;
  out.leader_array_val = Alloc<leader>(leaders.size());
  for (size_t i = 0; i < leaders.size(); ++i) {
    out.leader_array_val[i].address = CopyString(leaders[i].address);
  }
  return out;
}

node_set NodeSetOf(const xdr::NodeSet& s) {
  node_set out{static_cast<u_int>(s.size()), s.empty() ? nullptr : Alloc<bool_t>(s.size())};
  for (size_t k = 0; k < s.size(); ++k) out.node_set_val[k] = s[k];
  return out;
}

app_data* Chain(const xdr::AppDataList& list) {
  app_data* head = nullptr;
  for (size_t i = list.size(); i-- > 0;) {
    const xdr::AppData& d = list[i];
    app_data* c = Alloc<app_data>();
    c->unique_id = Synode(d.unique_id);
    c->group_id = d.group_id;
    c->lsn = d.lsn;
    c->app_key = Synode(d.app_key);
    c->consensus = static_cast<enum_t>(d.consensus);
    c->expiry_time = d.expiry_time;
    c->notused = d.notused;
    c->log_it = d.log_it;
    c->chosen = d.chosen;
    c->recover = static_cast<enum_t>(d.recover);
    c->body.c_t = static_cast<enum_t>(d.body.c_t);
    auto& u = c->body.app_u_u;
    switch (d.body.kind()) {
      case xdr::AppArm::kNodes:
        u.nodes = Nodes(std::get<xdr::NodeList>(d.body.arm));
        break;
      case xdr::AppArm::kRep: {
        const auto& r = std::get<xdr::Repository>(d.body.arm);
        u.rep = {Synode(r.vers), Synodes(r.msg_list), {r.u_list.active, Synodes(r.u_list.vers)}};
        break;
      }
      case xdr::AppArm::kData:
        CopyBytes(std::get<xdr::Bytes>(d.body.arm), &u.data.data_len, &u.data.data_val);
        break;
      case xdr::AppArm::kTd: {
        const auto& t = std::get<xdr::TransData>(d.body.arm);
        u.td.tid = {Synode(t.tid.cfg), t.tid.pc};
        u.td.pc = t.pc;
        u.td.cluster_name = CopyString(t.cluster_name);
        u.td.errmsg = {t.errmsg.nodeid, t.errmsg.code, CopyString(t.errmsg.message)};
        break;
      }
      case xdr::AppArm::kPresent:
        u.present = NodeSetOf(std::get<xdr::NodeSet>(d.body.arm));
        break;
      case xdr::AppArm::kCacheLimit:
        u.cache_limit = std::get<uint64_t>(d.body.arm);
        break;
      case xdr::AppArm::kEventHorizon:
        u.event_horizon = *d.body.Get<xdr::AppArm::kEventHorizon>();
        break;
      case xdr::AppArm::kSynodes:
        u.synodes = Synodes(std::get<xdr::SynodeNoArray>(d.body.arm));
        break;
      case xdr::AppArm::kMaxLeaders:
        u.max_leaders = *d.body.Get<xdr::AppArm::kMaxLeaders>();
        break;
      case xdr::AppArm::kLeaders:
        u.leaders = Leaders(*d.body.Get<xdr::AppArm::kLeaders>());
        break;
      case xdr::AppArm::kVoid:
        break;
    }
    c->next = head;
    head = c;
  }
  return head;
}

}  // namespace

pax_msg* FromModel(const xdr::PaxMsg& m) {
  pax_msg* p = Alloc<pax_msg>();
  p->to = m.to;
  p->from = m.from;
  p->group_id = m.group_id;
  p->max_synode = Synode(m.max_synode);
  p->start_type = static_cast<enum_t>(m.start_type);
  p->reply_to = {m.reply_to.cnt, m.reply_to.node};
  p->proposal = {m.proposal.cnt, m.proposal.node};
  p->op = static_cast<enum_t>(m.op);
  p->synode = Synode(m.synode);
  p->msg_type = static_cast<enum_t>(m.msg_type);
  if (m.receivers) {
    p->receivers = Alloc<bit_set>();
    p->receivers->bits.bits_len = static_cast<u_int>(m.receivers->bits.size());
    p->receivers->bits.bits_val =
        m.receivers->bits.empty() ? nullptr : Alloc<uint32_t>(m.receivers->bits.size());
    for (size_t i = 0; i < m.receivers->bits.size(); ++i) {
      p->receivers->bits.bits_val[i] = m.receivers->bits[i];
    }
  }
  p->a = Chain(m.a);
  if (m.snap) {
    p->snap = Alloc<snapshot>();
    p->snap->vers = Synode(m.snap->vers);
    p->snap->snap.app_data_ptr_array_len = static_cast<u_int>(m.snap->snap.size());
    p->snap->snap.app_data_ptr_array_val =
        m.snap->snap.empty() ? nullptr : Alloc<app_data_ptr>(m.snap->snap.size());
    for (size_t i = 0; i < m.snap->snap.size(); ++i) {
      p->snap->snap.app_data_ptr_array_val[i] = Chain(m.snap->snap[i]);
    }
    p->snap->u_list = {m.snap->u_list.active, Synodes(m.snap->u_list.vers)};
  }
  if (m.gcs_snap) {
    p->gcs_snap = Alloc<gcs_snapshot>();
    p->gcs_snap->log_start = Synode(m.gcs_snap->log_start);
    p->gcs_snap->log_end = Synode(m.gcs_snap->log_end.value_or(xdr::SynodeNo{}));
    p->gcs_snap->cfg.configs_len = static_cast<u_int>(m.gcs_snap->cfg.size());
    p->gcs_snap->cfg.configs_val =
        m.gcs_snap->cfg.empty() ? nullptr : Alloc<config_ptr>(m.gcs_snap->cfg.size());
    for (size_t i = 0; i < m.gcs_snap->cfg.size(); ++i) {
      const std::optional<xdr::Config>& c = m.gcs_snap->cfg[i];
      if (!c) continue;
      config* out = Alloc<config>();
      out->start = Synode(c->start);
      out->boot_key = Synode(c->boot_key);
      out->nodes = Nodes(c->nodes);
      if (c->global_node_set) out->global_node_set = NodeSetOf(*c->global_node_set);
      out->event_horizon = c->event_horizon.value_or(10);
      out->max_active_leaders = c->max_active_leaders.value_or(0);
      if (c->leaders) out->leaders = Leaders(*c->leaders);
      p->gcs_snap->cfg.configs_val[i] = out;
    }
    CopyBytes(m.gcs_snap->app_snap.data, &p->gcs_snap->app_snap.data.data_len,
              &p->gcs_snap->app_snap.data.data_val);
  }
  p->cli_err = static_cast<enum_t>(m.cli_err);
  p->force_delivery = m.force_delivery;
  p->refcnt = m.refcnt;
  if (m.delivered_msg) p->delivered_msg = Synode(*m.delivered_msg);
  p->event_horizon = m.event_horizon.value_or(0);
  const auto& r = m.requested_synode_app_data;
  p->requested_synode_app_data.synode_app_data_array_len = static_cast<u_int>(r.size());
  p->requested_synode_app_data.synode_app_data_array_val =
      r.empty() ? nullptr : Alloc<synode_app_data>(r.size());
  for (size_t i = 0; i < r.size(); ++i) {
    synode_app_data& s = p->requested_synode_app_data.synode_app_data_array_val[i];
    s.synode = Synode(r[i].synode);
    CopyBytes(r[i].data, &s.data.data_len, &s.data.data_val);
    s.origin = Synode(r[i].origin.value_or(r[i].synode));
  }
  if (m.rd) {
    p->rd = Alloc<reply_data>();
    p->rd->rt = static_cast<enum_t>(m.rd->rt);
    if (const auto* l = std::get_if<xdr::LeaderInfoData>(&m.rd->arm)) {
      p->rd->reply_data_u.leaders = {l->max_nr_leaders, Leaders(l->preferred_leaders),
                                     Leaders(l->actual_leaders)};
    }
  }
  return p;
}

}  // namespace uxcom::bench::tirpc
