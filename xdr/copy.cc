#include "xdr/copy.h"

#include <cstring>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "xdr/internal/use_arena.h"

namespace uxcom::xdr {
namespace {

// Every member function returns a value whose containers were constructed on the arena; moving
// such a value keeps its resource, so the results can be moved into arena-backed parents.
class Copier {
 public:
  explicit Copier(Arena& arena) : arena_(arena) {}

  std::string_view Text(std::string_view s) {
    if (s.empty()) return {};
    char* p = arena_.AllocateArray<char>(s.size());
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

  template <typename T>
  std::pmr::vector<T> Plain(const std::pmr::vector<T>& v) {
    std::pmr::vector<T> out(&arena_);
    out.assign(v.begin(), v.end());
    return out;
  }

  NodeList Nodes(const NodeList& nodes) {
    NodeList out(&arena_);
    out.reserve(nodes.size());
    for (const NodeAddress& n : nodes) {
      out.push_back({.address = Text(n.address), .uuid = {Text(n.uuid.data)}, .proto = n.proto});
    }
    return out;
  }

  UncommittedList Uncommitted(const UncommittedList& u) {
    return {.active = u.active, .vers = Plain(u.vers)};
  }

  TransData Trans(const TransData& t) {
    return {
        .tid = t.tid,
        .pc = t.pc,
        .cluster_name = Text(t.cluster_name),
        .errmsg = {
            .nodeid = t.errmsg.nodeid, .code = t.errmsg.code, .message = Text(t.errmsg.message)}};
  }

  AppU Body(const AppU& u) {
    AppU out{.c_t = u.c_t, .arm = AppU::Arm(std::in_place_index<8>)};
    std::visit(
        [&](const auto& arm) {
          using A = std::decay_t<decltype(arm)>;
          if constexpr (std::is_same_v<A, NodeList>) {
            out.arm.emplace<NodeList>(Nodes(arm));
          } else if constexpr (std::is_same_v<A, Repository>) {
            out.arm.emplace<Repository>(Repository{.vers = arm.vers,
                                                   .msg_list = Plain(arm.msg_list),
                                                   .u_list = Uncommitted(arm.u_list)});
          } else if constexpr (std::is_same_v<A, Bytes>) {
            out.arm.emplace<Bytes>(Text(arm));
          } else if constexpr (std::is_same_v<A, TransData>) {
            out.arm.emplace<TransData>(Trans(arm));
          } else if constexpr (std::is_same_v<A, NodeSet> || std::is_same_v<A, SynodeNoArray>) {
            out.arm.emplace<A>(Plain(arm));
          } else {
            out.arm.emplace<A>(arm);  // uint64_t, uint32_t, monostate
          }
        },
        u.arm);
    return out;
  }

  AppDataList Apps(const AppDataList& list) {
    AppDataList out(&arena_);
    out.reserve(list.size());
    for (const AppData& a : list) {
      out.push_back({.unique_id = a.unique_id,
                     .group_id = a.group_id,
                     .lsn = a.lsn,
                     .app_key = a.app_key,
                     .consensus = a.consensus,
                     .expiry_time = a.expiry_time,
                     .notused = a.notused,
                     .log_it = a.log_it,
                     .chosen = a.chosen,
                     .recover = a.recover,
                     .body = Body(a.body)});
    }
    return out;
  }

  Config Conf(const Config& c) {
    return {.start = c.start,
            .boot_key = c.boot_key,
            .nodes = Nodes(c.nodes),
            .event_horizon = c.event_horizon};
  }

 private:
  Arena& arena_;
};

}  // namespace

PaxMsg* CopyToArena(const PaxMsg& msg, Arena& arena) {
  Copier copy(arena);
  PaxMsg* out = arena.New<PaxMsg>();
  out->to = msg.to;
  out->from = msg.from;
  out->group_id = msg.group_id;
  out->max_synode = msg.max_synode;
  out->start_type = msg.start_type;
  out->reply_to = msg.reply_to;
  out->proposal = msg.proposal;
  out->op = msg.op;
  out->synode = msg.synode;
  out->msg_type = msg.msg_type;
  if (msg.receivers) out->receivers.emplace(BitSet{copy.Plain(msg.receivers->bits)});
  internal::UseArena(out->a, arena);
  if (!msg.a.empty()) out->a = copy.Apps(msg.a);
  if (msg.snap) {
    Snapshot& s = out->snap.emplace(Snapshot{.vers = msg.snap->vers,
                                             .snap = std::pmr::vector<AppDataList>(&arena),
                                             .u_list = copy.Uncommitted(msg.snap->u_list)});
    s.snap.reserve(msg.snap->snap.size());
    for (const AppDataList& entry : msg.snap->snap) s.snap.push_back(copy.Apps(entry));
  }
  if (msg.gcs_snap) {
    GcsSnapshot& g =
        out->gcs_snap.emplace(GcsSnapshot{.log_start = msg.gcs_snap->log_start,
                                          .cfg = std::pmr::vector<std::optional<Config>>(&arena),
                                          .app_snap = {copy.Text(msg.gcs_snap->app_snap.data)}});
    g.cfg.reserve(msg.gcs_snap->cfg.size());
    for (const std::optional<Config>& c : msg.gcs_snap->cfg) {
      if (c) {
        g.cfg.emplace_back(copy.Conf(*c));
      } else {
        g.cfg.emplace_back(std::nullopt);
      }
    }
  }
  out->cli_err = msg.cli_err;
  out->force_delivery = msg.force_delivery;
  out->refcnt = msg.refcnt;
  out->delivered_msg = msg.delivered_msg;
  out->event_horizon = msg.event_horizon;
  internal::UseArena(out->requested_synode_app_data, arena);
  out->requested_synode_app_data.reserve(msg.requested_synode_app_data.size());
  for (const SynodeAppData& s : msg.requested_synode_app_data) {
    out->requested_synode_app_data.push_back({.synode = s.synode, .data = copy.Text(s.data)});
  }
  return out;
}

}  // namespace uxcom::xdr
