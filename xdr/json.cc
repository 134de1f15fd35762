#include "xdr/json.h"

#include <bit>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "xdr/enums.h"
#include "xdr/internal/str_cat.h"
#include "xdr/internal/use_arena.h"
#include "xdr/internal/utf8.h"

namespace uxcom::xdr {
namespace {

using internal::StrCat;

// --- writing -----------------------------------------------------------------------------------

template <typename E>
Json EnumJson(E e) {
  Json j = Json::object();
  std::optional<std::string_view> name = EnumName(e);
  j["name"] = name ? Json(std::string(*name)) : Json(nullptr);
  j["value"] = EnumValue(e);
  return j;
}

// x_proto_range holds XDR enums, which are signed on the wire.
Json ProtoEnumJson(ProtocolVersion v) {
  Json j = Json::object();
  std::optional<std::string_view> name = EnumName(v);
  j["name"] = name ? Json(std::string(*name)) : Json(nullptr);
  j["value"] = static_cast<int32_t>(ToWire(v));
  return j;
}

Json StringJson(std::string_view s) {
  if (internal::IsValidUtf8(s)) return Json(std::string(s));
  Json j = Json::object();
  j["hex"] = HexEncode(s);
  return j;
}

Json SynodeJson(const SynodeNo& s) {
  Json j = Json::object();
  j["group_id"] = s.group_id;
  j["msgno"] = std::to_string(s.msgno);
  j["node"] = s.node;
  return j;
}

Json BallotJson(const Ballot& b) {
  Json j = Json::object();
  j["cnt"] = b.cnt;
  j["node"] = b.node;
  return j;
}

Json BlobJson(const Blob& b) {
  Json j = Json::object();
  j["data"] = HexEncode(b.data);
  return j;
}

Json SynodesJson(const SynodeNoArray& a) {
  Json j = Json::array();
  for (const SynodeNo& s : a) j.push_back(SynodeJson(s));
  return j;
}

Json UListJson(const UncommittedList& u) {
  Json j = Json::object();
  j["active"] = u.active;
  j["vers"] = SynodesJson(u.vers);
  return j;
}

class JsonWriter {
 public:
  explicit JsonWriter(ProtocolVersion v) : v_(v) {}

  Json Msg(const PaxMsg& m) {
    Json j = Json::object();
    j["to"] = m.to;
    j["from"] = m.from;
    j["group_id"] = m.group_id;
    j["max_synode"] = SynodeJson(m.max_synode);
    j["start_type"] = EnumJson(m.start_type);
    j["reply_to"] = BallotJson(m.reply_to);
    j["proposal"] = BallotJson(m.proposal);
    j["op"] = EnumJson(m.op);
    j["synode"] = SynodeJson(m.synode);
    j["msg_type"] = EnumJson(m.msg_type);
    if (m.receivers) {
      Json bits = Json::array();
      for (uint32_t w : m.receivers->bits) bits.push_back(w);
      j["receivers"] = Json::object();
      j["receivers"]["bits"] = std::move(bits);
    } else {
      j["receivers"] = nullptr;
    }
    j["a"] = Chain(m.a);
    j["snap"] = m.snap ? Snap(*m.snap) : Json(nullptr);
    j["gcs_snap"] = m.gcs_snap ? Gcs(*m.gcs_snap) : Json(nullptr);
    j["cli_err"] = EnumJson(m.cli_err);
    j["force_delivery"] = m.force_delivery;
    j["refcnt"] = m.refcnt;
    if (Carries(CarriesDeliveredMsg(v_), m.delivered_msg.has_value())) {
      j["delivered_msg"] = m.delivered_msg ? SynodeJson(*m.delivered_msg) : Json(nullptr);
    }
    if (Carries(CarriesEventHorizon(v_), m.event_horizon.has_value())) {
      j["event_horizon"] = m.event_horizon ? Json(*m.event_horizon) : Json(nullptr);
    }
    if (Carries(CarriesRequestedSynodeAppData(v_), !m.requested_synode_app_data.empty())) {
      Json r = Json::array();
      for (const SynodeAppData& s : m.requested_synode_app_data) {
        Json e = Json::object();
        e["synode"] = SynodeJson(s.synode);
        e["data"] = HexEncode(s.data);
        r.push_back(std::move(e));
      }
      j["requested_synode_app_data"] = std::move(r);
    }
    return j;
  }

 private:
  // Whether to print a version-dependent field: by version, or by presence for versions
  // without a layout.
  bool Carries(bool by_version, bool present) const {
    return IsSupported(v_) ? by_version : present;
  }

  Json Nodes(const NodeList& nodes) {
    Json j = Json::array();
    for (const NodeAddress& a : nodes) {
      Json n = Json::object();
      n["address"] = StringJson(a.address);
      n["uuid"] = BlobJson(a.uuid);
      if (Carries(CarriesNodeProtoRange(v_), a.proto.has_value())) {
        if (a.proto) {
          n["proto"] = Json::object();
          n["proto"]["min_proto"] = ProtoEnumJson(a.proto->min_proto);
          n["proto"]["max_proto"] = ProtoEnumJson(a.proto->max_proto);
        } else {
          n["proto"] = nullptr;
        }
      }
      j.push_back(std::move(n));
    }
    return j;
  }

  // The chain nests through "next", built from the tail so nothing recurses.
  Json Chain(const AppDataList& list) {
    Json chain = nullptr;
    for (size_t i = list.size(); i-- > 0;) {
      Json j = AppDataJson(list[i]);
      j["next"] = std::move(chain);
      chain = std::move(j);
    }
    return chain;
  }

  Json AppDataJson(const AppData& d) {
    Json j = Json::object();
    j["unique_id"] = SynodeJson(d.unique_id);
    j["group_id"] = d.group_id;
    j["lsn"] = std::to_string(d.lsn);
    j["app_key"] = SynodeJson(d.app_key);
    j["consensus"] = EnumJson(d.consensus);
    j["expiry_time"] = DoubleToJson(d.expiry_time);
    j["notused"] = d.notused;
    j["log_it"] = d.log_it;
    j["chosen"] = d.chosen;
    j["recover"] = EnumJson(d.recover);
    j["body"] = Body(d.body);
    return j;
  }

  Json Body(const AppU& u) {
    Json j = Json::object();
    j["c_t"] = EnumJson(u.c_t);
    std::string key(ArmName(u.kind()));
    switch (u.kind()) {
      case AppArm::kNodes:
        j[key] = Nodes(std::get<NodeList>(u.arm));
        break;
      case AppArm::kRep: {
        const Repository& r = std::get<Repository>(u.arm);
        Json rep = Json::object();
        rep["vers"] = SynodeJson(r.vers);
        rep["msg_list"] = SynodesJson(r.msg_list);
        rep["u_list"] = UListJson(r.u_list);
        j[key] = std::move(rep);
        break;
      }
      case AppArm::kData:
        j[key] = HexEncode(std::get<Bytes>(u.arm));
        break;
      case AppArm::kTd: {
        const TransData& t = std::get<TransData>(u.arm);
        Json td = Json::object();
        td["tid"] = Json::object();
        td["tid"]["cfg"] = SynodeJson(t.tid.cfg);
        td["tid"]["pc"] = t.tid.pc;
        td["pc"] = t.pc;
        td["cluster_name"] = StringJson(t.cluster_name);
        td["errmsg"] = Json::object();
        td["errmsg"]["nodeid"] = t.errmsg.nodeid;
        td["errmsg"]["code"] = t.errmsg.code;
        td["errmsg"]["message"] = StringJson(t.errmsg.message);
        j[key] = std::move(td);
        break;
      }
      case AppArm::kPresent: {
        Json present = Json::array();
        for (bool b : std::get<NodeSet>(u.arm)) present.push_back(b);
        j[key] = std::move(present);
        break;
      }
      case AppArm::kCacheLimit:
        j[key] = std::to_string(std::get<uint64_t>(u.arm));
        break;
      case AppArm::kEventHorizon:
        j[key] = std::get<uint32_t>(u.arm);
        break;
      case AppArm::kSynodes:
        j[key] = SynodesJson(std::get<SynodeNoArray>(u.arm));
        break;
      case AppArm::kVoid:
        break;
    }
    return j;
  }

  Json Snap(const Snapshot& s) {
    Json j = Json::object();
    j["vers"] = SynodeJson(s.vers);
    Json entries = Json::array();
    for (const AppDataList& e : s.snap) entries.push_back(Chain(e));
    j["snap"] = std::move(entries);
    j["u_list"] = UListJson(s.u_list);
    return j;
  }

  Json Gcs(const GcsSnapshot& g) {
    Json j = Json::object();
    j["log_start"] = SynodeJson(g.log_start);
    Json cfg = Json::array();
    for (const std::optional<Config>& c : g.cfg) {
      if (!c) {
        cfg.push_back(nullptr);
        continue;
      }
      Json e = Json::object();
      e["start"] = SynodeJson(c->start);
      e["boot_key"] = SynodeJson(c->boot_key);
      e["nodes"] = Nodes(c->nodes);
      if (Carries(CarriesEventHorizon(v_), c->event_horizon.has_value())) {
        e["event_horizon"] = c->event_horizon ? Json(*c->event_horizon) : Json(nullptr);
      }
      cfg.push_back(std::move(e));
    }
    j["cfg"] = std::move(cfg);
    j["app_snap"] = BlobJson(g.app_snap);
    return j;
  }

  ProtocolVersion v_;
};

// --- reading -----------------------------------------------------------------------------------

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view TypeName(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "an integer";
    case Json::value_t::number_float:
      return "a fractional number";
    default:
      return "something else";
  }
}

// A non-negative JSON integer (parsed text gives number_unsigned, code gives number_integer).
bool AsUnsigned(const Json& j, uint64_t& out) {
  if (j.is_number_unsigned()) {
    out = j.get<uint64_t>();
    return true;
  }
  if (j.is_number_integer() && j.get<int64_t>() >= 0) {
    out = static_cast<uint64_t>(j.get<int64_t>());
    return true;
  }
  return false;
}

class JsonReader {
 public:
  JsonReader(ProtocolVersion v, Arena& arena) : v_(v), arena_(arena) {}

  const std::string& error() const { return error_; }

  bool Msg(const Json& j, PaxMsg& m) {
    std::vector<std::string_view> keys = {
        "to",       "from",     "group_id", "max_synode",     "start_type", "reply_to",
        "proposal", "op",       "synode",   "msg_type",       "receivers",  "a",
        "snap",     "gcs_snap", "cli_err",  "force_delivery", "refcnt"};
    std::vector<std::string_view> not_carried;
    (CarriesDeliveredMsg(v_) ? keys : not_carried).push_back("delivered_msg");
    (CarriesEventHorizon(v_) ? keys : not_carried).push_back("event_horizon");
    (CarriesRequestedSynodeAppData(v_) ? keys : not_carried).push_back("requested_synode_app_data");
    if (!Object(j, keys, not_carried)) return false;
    internal::UseArena(m.a, arena_);
    internal::UseArena(m.requested_synode_app_data, arena_);
    if (!U32(j, "to", m.to) || !U32(j, "from", m.from) || !U32(j, "group_id", m.group_id) ||
        !SynodeAt(j, "max_synode", m.max_synode) || !EnumAt(j, "start_type", m.start_type) ||
        !BallotAt(j, "reply_to", m.reply_to) || !BallotAt(j, "proposal", m.proposal) ||
        !EnumAt(j, "op", m.op) || !SynodeAt(j, "synode", m.synode) ||
        !EnumAt(j, "msg_type", m.msg_type)) {
      return false;
    }
    {
      Scope s(this, "receivers");
      const Json& r = j.at("receivers");
      if (!r.is_null()) {
        if (!Object(r, {"bits"})) return false;
        BitSet& b = m.receivers.emplace(BitSet{std::pmr::vector<uint32_t>(&arena_)});
        Scope bits(this, "bits");
        const Json& a = r.at("bits");
        if (!Array(a, kMaxBitSetWords)) return false;
        for (size_t i = 0; i < a.size(); ++i) {
          Scope e(this, i);
          uint32_t w;
          if (!U32Value(a[i], w)) return false;
          b.bits.push_back(w);
        }
      }
    }
    {
      Scope s(this, "a");
      if (!Chain(j.at("a"), m.a)) return false;
    }
    {
      Scope s(this, "snap");
      const Json& snap = j.at("snap");
      if (!snap.is_null() && !Snap(snap, m.snap.emplace(Snapshot{
                                             .snap = std::pmr::vector<AppDataList>(&arena_),
                                             .u_list = {.vers = SynodeNoArray(&arena_)},
                                         }))) {
        return false;
      }
    }
    {
      Scope s(this, "gcs_snap");
      const Json& gcs = j.at("gcs_snap");
      if (!gcs.is_null() &&
          !Gcs(gcs, m.gcs_snap.emplace(
                        GcsSnapshot{.cfg = std::pmr::vector<std::optional<Config>>(&arena_)}))) {
        return false;
      }
    }
    if (!EnumAt(j, "cli_err", m.cli_err) || !BoolAt(j, "force_delivery", m.force_delivery) ||
        !I32(j, "refcnt", m.refcnt)) {
      return false;
    }
    if (CarriesDeliveredMsg(v_) && !SynodeAt(j, "delivered_msg", m.delivered_msg.emplace())) {
      return false;
    }
    if (CarriesEventHorizon(v_) && !U32(j, "event_horizon", m.event_horizon.emplace())) {
      return false;
    }
    if (CarriesRequestedSynodeAppData(v_)) {
      Scope s(this, "requested_synode_app_data");
      const Json& a = j.at("requested_synode_app_data");
      if (!Array(a, kMaxSynodeArray)) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        Scope e(this, i);
        if (!Object(a[i], {"synode", "data"})) return false;
        SynodeAppData& d = m.requested_synode_app_data.emplace_back();
        if (!SynodeAt(a[i], "synode", d.synode) || !HexAt(a[i], "data", d.data)) return false;
      }
    }
    return true;
  }

  bool Header(const Json& j, FrameHeader& h) {
    if (!Object(j, {"version", "length", "x_type", "tag", "unused_byte"})) return false;
    uint32_t version, tag, unused;
    if (!U32(j, "version", version) || !U32(j, "length", h.length) ||
        !EnumAt(j, "x_type", h.type) || !U32(j, "tag", tag) || !U32(j, "unused_byte", unused)) {
      return false;
    }
    Scope s(this, "tag");
    if (tag > 0xFFFF) return Fail(StrCat("tag ", tag, " does not fit 16 bits"));
    Scope u(this, "unused_byte");
    if (unused > 0xFF) return Fail(StrCat("unused_byte ", unused, " does not fit 8 bits"));
    h.version = static_cast<ProtocolVersion>(version);
    h.tag = static_cast<uint16_t>(tag);
    h.unused = static_cast<uint8_t>(unused);
    return true;
  }

  bool Fail(std::string reason) {
    if (!error_.empty()) return false;  // keep the innermost message
    std::string path;
    for (const std::string& p : path_) {
      if (!path.empty() && p[0] != '[') path.push_back('.');
      path.append(p);
    }
    error_ = path.empty() ? reason : StrCat(path, ": ", reason);
    return false;
  }

 private:
  // Pushes a path segment for the lifetime of the scope.
  class Scope {
   public:
    Scope(JsonReader* r, std::string_view field) : r_(r) { r_->path_.emplace_back(field); }
    Scope(JsonReader* r, size_t index) : r_(r) { r_->path_.push_back(StrCat("[", index, "]")); }
    ~Scope() { r_->path_.pop_back(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    JsonReader* r_;
  };

  // `j` is an object with exactly `keys` (in any order).
  bool Object(const Json& j, const std::vector<std::string_view>& keys,
              const std::vector<std::string_view>& not_carried = {}) {
    if (!j.is_object()) return Fail(StrCat("expected an object, found ", TypeName(j)));
    for (const auto& [key, value] : j.items()) {
      bool known = false;
      for (std::string_view k : keys) known = known || k == key;
      if (known) continue;
      for (std::string_view k : not_carried) {
        if (k == key) {
          return Fail(StrCat("field '", key, "' is not carried by ", DescribeProtocolVersion(v_)));
        }
      }
      return Fail(StrCat("unknown field '", key, "'"));
    }
    for (std::string_view k : keys) {
      if (!j.contains(std::string(k))) return Fail(StrCat("missing field '", k, "'"));
    }
    return true;
  }
  bool Object(const Json& j, std::initializer_list<std::string_view> keys) {
    return Object(j, std::vector<std::string_view>(keys));
  }

  bool Array(const Json& j, uint32_t max) {
    if (!j.is_array()) return Fail(StrCat("expected an array, found ", TypeName(j)));
    if (j.size() > max) return Fail(StrCat("count ", j.size(), " > ", max));
    return true;
  }

  bool U32Value(const Json& j, uint32_t& v) {
    uint64_t u;
    if (AsUnsigned(j, u) && u <= 0xFFFFFFFFull) {
      v = static_cast<uint32_t>(u);
      return true;
    }
    return Fail(StrCat("expected an integer in 0..4294967295, found ", Describe(j)));
  }
  bool U32(const Json& obj, const char* key, uint32_t& v) {
    Scope s(this, key);
    return U32Value(obj.at(key), v);
  }
  bool I32(const Json& obj, const char* key, int32_t& v) {
    Scope s(this, key);
    const Json& j = obj.at(key);
    if (j.is_number_unsigned() && j.get<uint64_t>() <= 0x7FFFFFFFull) {
      v = static_cast<int32_t>(j.get<uint64_t>());
      return true;
    }
    if (j.is_number_integer() && !j.is_number_unsigned() && j.get<int64_t>() >= INT32_MIN &&
        j.get<int64_t>() <= INT32_MAX) {
      v = static_cast<int32_t>(j.get<int64_t>());
      return true;
    }
    return Fail(StrCat("expected an integer in -2147483648..2147483647, found ", Describe(j)));
  }
  // Decimal string (the manifest's form) or a non-negative JSON integer.
  bool U64Value(const Json& j, uint64_t& v) {
    if (j.is_string()) {
      const std::string& s = j.get_ref<const std::string&>();
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (!s.empty() && ec == std::errc() && end == s.data() + s.size()) return true;
      return Fail(StrCat("expected a decimal 64-bit unsigned integer, found \"", s, "\""));
    }
    if (AsUnsigned(j, v)) return true;
    return Fail(StrCat("expected a decimal string, found ", Describe(j)));
  }
  bool U64(const Json& obj, const char* key, uint64_t& v) {
    Scope s(this, key);
    return U64Value(obj.at(key), v);
  }
  bool BoolAt(const Json& obj, const char* key, bool& v) {
    Scope s(this, key);
    const Json& j = obj.at(key);
    if (j.is_boolean()) {
      v = j.get<bool>();
      return true;
    }
    if (uint64_t u; AsUnsigned(j, u) && u <= 1) {
      v = u == 1;
      return true;
    }
    return Fail(StrCat("expected true or false, found ", Describe(j)));
  }
  bool BoolValue(const Json& j, bool& v) {
    if (j.is_boolean()) {
      v = j.get<bool>();
      return true;
    }
    return Fail(StrCat("expected true or false, found ", Describe(j)));
  }

  // {"name": …, "value": n} (value wins; a name that contradicts it is an error), a bare name,
  // or a bare number.
  template <typename E>
  bool EnumValueOf(const Json& j, E& e) {
    using U = std::underlying_type_t<E>;
    auto from_number = [&](const Json& n) {
      if (n.is_number_integer()) {
        int64_t x =
            n.is_number_unsigned() ? static_cast<int64_t>(n.get<uint64_t>()) : n.get<int64_t>();
        // 32-bit on the wire, printed signed or unsigned; the header type is one byte.
        constexpr int64_t kMin = sizeof(U) == 1 ? 0 : INT32_MIN;
        constexpr int64_t kMax = sizeof(U) == 1 ? 0xFF : 0xFFFFFFFFll;
        if (x >= kMin && x <= kMax) {
          e = static_cast<E>(static_cast<U>(x));
          return true;
        }
      }
      return Fail(StrCat("expected a ", EnumTraits<E>::kTypeName, " value, found ", Describe(n)));
    };
    auto from_name = [&](const std::string& name) {
      if (std::optional<E> v = EnumFromName<E>(name)) {
        e = *v;
        return true;
      }
      return Fail(StrCat("unknown ", EnumTraits<E>::kTypeName, " name \"", name, "\""));
    };
    if (j.is_string()) return from_name(j.get_ref<const std::string&>());
    if (j.is_number()) return from_number(j);
    if (!j.is_object()) return Fail(StrCat("expected an enum object, found ", TypeName(j)));
    for (const auto& [key, value] : j.items()) {
      if (key != "name" && key != "value") return Fail(StrCat("unknown field '", key, "'"));
    }
    if (j.contains("value")) {
      if (!from_number(j.at("value"))) return false;
      if (j.contains("name") && !j.at("name").is_null()) {
        const Json& name = j.at("name");
        std::optional<std::string_view> expected = EnumName(e);
        if (!name.is_string() || !expected || *expected != name.get_ref<const std::string&>()) {
          return Fail(StrCat("name ", name.dump(), " does not match value ",
                             static_cast<int64_t>(static_cast<U>(e))));
        }
      }
      return true;
    }
    if (j.contains("name") && j.at("name").is_string()) {
      return from_name(j.at("name").get_ref<const std::string&>());
    }
    return Fail("expected {\"name\": …, \"value\": …}");
  }
  template <typename E>
  bool EnumAt(const Json& obj, const char* key, E& e) {
    Scope s(this, key);
    return EnumValueOf(obj.at(key), e);
  }

  std::string_view Copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = arena_.AllocateArray<char>(s.size());
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

  bool HexValue(const Json& j, std::string_view& out) {
    if (!j.is_string()) return Fail(StrCat("expected a hex string, found ", TypeName(j)));
    const std::string& s = j.get_ref<const std::string&>();
    if (s.size() % 2 != 0) return Fail("odd number of hex digits");
    char* p = s.empty() ? nullptr : arena_.AllocateArray<char>(s.size() / 2);
    for (size_t i = 0; i < s.size(); i += 2) {
      int hi = HexDigit(s[i]), lo = HexDigit(s[i + 1]);
      if (hi < 0 || lo < 0) return Fail(StrCat("not a hex digit at position ", hi < 0 ? i : i + 1));
      p[i / 2] = static_cast<char>(hi * 16 + lo);
    }
    out = std::string_view(p, s.size() / 2);
    return true;
  }
  bool HexAt(const Json& obj, const char* key, std::string_view& out, uint64_t max = 0xFFFFFFFF) {
    Scope s(this, key);
    if (!HexValue(obj.at(key), out)) return false;
    if (out.size() > max) return Fail(StrCat("length ", out.size(), " > ", max));
    return true;
  }
  bool BlobAt(const Json& obj, const char* key, Blob& b) {
    Scope s(this, key);
    const Json& j = obj.at(key);
    return Object(j, {"data"}) && HexAt(j, "data", b.data);
  }
  // A JSON string, or {"hex": …} for bytes that are not UTF-8.
  bool StringAt(const Json& obj, const char* key, std::string_view& out) {
    Scope s(this, key);
    const Json& j = obj.at(key);
    if (j.is_string()) {
      out = Copy(j.get_ref<const std::string&>());
      return true;
    }
    if (j.is_object()) return Object(j, {"hex"}) && HexAt(j, "hex", out);
    return Fail(StrCat("expected a string, found ", TypeName(j)));
  }

  bool SynodeValue(const Json& j, SynodeNo& s) {
    return Object(j, {"group_id", "msgno", "node"}) && U32(j, "group_id", s.group_id) &&
           U64(j, "msgno", s.msgno) && U32(j, "node", s.node);
  }
  bool SynodeAt(const Json& obj, const char* key, SynodeNo& s) {
    Scope sc(this, key);
    return SynodeValue(obj.at(key), s);
  }
  bool BallotAt(const Json& obj, const char* key, Ballot& b) {
    Scope s(this, key);
    const Json& j = obj.at(key);
    return Object(j, {"cnt", "node"}) && I32(j, "cnt", b.cnt) && U32(j, "node", b.node);
  }
  bool SynodesAt(const Json& obj, const char* key, SynodeNoArray& a) {
    Scope s(this, key);
    const Json& j = obj.at(key);
    if (!Array(j, kMaxSynodeArray)) return false;
    a.reserve(j.size());
    for (size_t i = 0; i < j.size(); ++i) {
      Scope e(this, i);
      if (!SynodeValue(j[i], a.emplace_back())) return false;
    }
    return true;
  }
  bool UListAt(const Json& obj, const char* key, UncommittedList& u) {
    Scope s(this, key);
    const Json& j = obj.at(key);
    return Object(j, {"active", "vers"}) && U32(j, "active", u.active) &&
           SynodesAt(j, "vers", u.vers);
  }

  bool NodesAt(const Json& obj, const char* key, NodeList& nodes) {
    Scope s(this, key);
    const Json& j = obj.at(key);
    if (!Array(j, kMaxNodes)) return false;
    nodes.reserve(j.size());
    for (size_t i = 0; i < j.size(); ++i) {
      Scope e(this, i);
      const Json& n = j[i];
      std::vector<std::string_view> keys = {"address", "uuid"};
      std::vector<std::string_view> not_carried;
      (CarriesNodeProtoRange(v_) ? keys : not_carried).push_back("proto");
      if (!Object(n, keys, not_carried)) return false;
      NodeAddress& a = nodes.emplace_back();
      if (!StringAt(n, "address", a.address) || !BlobAt(n, "uuid", a.uuid)) return false;
      if (CarriesNodeProtoRange(v_)) {
        Scope p(this, "proto");
        const Json& proto = n.at("proto");
        XProtoRange& r = a.proto.emplace();
        if (!Object(proto, {"min_proto", "max_proto"}) ||
            !EnumAt(proto, "min_proto", r.min_proto) || !EnumAt(proto, "max_proto", r.max_proto)) {
          return false;
        }
      }
    }
    return true;
  }

  // A pointer to app_data nested through "next": walked in a loop.
  bool Chain(const Json& first, AppDataList& list) {
    size_t depth = 0;
    for (const Json* j = &first; !j->is_null(); ++depth) {
      if (depth > 0) path_.emplace_back("next");
      bool ok = AppDataValue(*j, list.emplace_back());
      if (!ok) {
        path_.resize(path_.size() - depth);
        return false;
      }
      j = &j->at("next");
    }
    if (depth > 0) path_.resize(path_.size() - (depth - 1));
    return true;
  }

  bool AppDataValue(const Json& j, AppData& d) {
    if (!Object(j, {"unique_id", "group_id", "lsn", "app_key", "consensus", "expiry_time",
                    "notused", "log_it", "chosen", "recover", "body", "next"})) {
      return false;
    }
    return SynodeAt(j, "unique_id", d.unique_id) && U32(j, "group_id", d.group_id) &&
           U64(j, "lsn", d.lsn) && SynodeAt(j, "app_key", d.app_key) &&
           EnumAt(j, "consensus", d.consensus) && DoubleAt(j, "expiry_time", d.expiry_time) &&
           BoolAt(j, "notused", d.notused) && BoolAt(j, "log_it", d.log_it) &&
           BoolAt(j, "chosen", d.chosen) && EnumAt(j, "recover", d.recover) &&
           BodyAt(j, "body", d.body);
  }

  bool DoubleAt(const Json& obj, const char* key, double& d) {
    Scope s(this, key);
    const Json& j = obj.at(key);
    if (j.is_number()) {
      d = j.get<double>();
      return true;
    }
    if (!j.is_object()) return Fail(StrCat("expected {\"hex\": …}, found ", TypeName(j)));
    for (const auto& [k, value] : j.items()) {
      if (k != "hex" && k != "decimal") return Fail(StrCat("unknown field '", k, "'"));
    }
    if (j.contains("hex")) {
      Scope h(this, "hex");
      const Json& hex = j.at("hex");
      uint64_t bits = 0;
      if (!hex.is_string() || hex.get_ref<const std::string&>().size() != 16) {
        return Fail("expected 16 hex digits");
      }
      for (char c : hex.get_ref<const std::string&>()) {
        int digit = HexDigit(c);
        if (digit < 0) return Fail("expected 16 hex digits");
        bits = bits << 4 | static_cast<uint64_t>(digit);
      }
      d = std::bit_cast<double>(bits);
      return true;
    }
    Scope dec(this, "decimal");
    if (!j.contains("decimal") || !j.at("decimal").is_string()) {
      return Fail("expected \"hex\" or a \"decimal\" string");
    }
    const std::string& text = j.at("decimal").get_ref<const std::string&>();
    if (text == "NaN") {
      d = std::nan("");
    } else if (text == "Infinity") {
      d = HUGE_VAL;
    } else if (text == "-Infinity") {
      d = -HUGE_VAL;
    } else {
      char* end = nullptr;
      d = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size()) {
        return Fail(StrCat("not a number: \"", text, "\""));
      }
    }
    return true;
  }

  bool BodyAt(const Json& obj, const char* key, AppU& u) {
    Scope s(this, key);
    const Json& j = obj.at(key);
    if (!j.is_object()) return Fail(StrCat("expected an object, found ", TypeName(j)));
    if (!j.contains("c_t")) return Fail("missing field 'c_t'");
    if (!EnumAt(j, "c_t", u.c_t)) return false;
    const AppArm arm = ArmOf(u.c_t);
    std::string arm_key(ArmName(arm));
    if (arm == AppArm::kVoid) {
      if (!Object(j, {"c_t"})) return false;
    } else if (!Object(j, {"c_t", arm_key})) {
      return false;
    }
    const char* k = arm_key.c_str();
    switch (arm) {
      case AppArm::kNodes:
        return NodesAt(j, k, u.arm.emplace<NodeList>(&arena_));
      case AppArm::kRep: {
        Scope r(this, k);
        const Json& rep = j.at(k);
        Repository& out = u.arm.emplace<Repository>(Repository{
            .msg_list = SynodeNoArray(&arena_),
            .u_list = {.vers = SynodeNoArray(&arena_)},
        });
        return Object(rep, {"vers", "msg_list", "u_list"}) && SynodeAt(rep, "vers", out.vers) &&
               SynodesAt(rep, "msg_list", out.msg_list) && UListAt(rep, "u_list", out.u_list);
      }
      case AppArm::kData:
        return HexAt(j, k, u.arm.emplace<Bytes>());
      case AppArm::kTd: {
        Scope t(this, k);
        const Json& td = j.at(k);
        TransData& out = u.arm.emplace<TransData>();
        if (!Object(td, {"tid", "pc", "cluster_name", "errmsg"})) return false;
        {
          Scope tid(this, "tid");
          const Json& id = td.at("tid");
          if (!Object(id, {"cfg", "pc"}) || !SynodeAt(id, "cfg", out.tid.cfg) ||
              !U32(id, "pc", out.tid.pc)) {
            return false;
          }
        }
        if (!I32(td, "pc", out.pc) || !StringAt(td, "cluster_name", out.cluster_name)) {
          return false;
        }
        Scope e(this, "errmsg");
        const Json& err = td.at("errmsg");
        return Object(err, {"nodeid", "code", "message"}) &&
               I32(err, "nodeid", out.errmsg.nodeid) && I32(err, "code", out.errmsg.code) &&
               StringAt(err, "message", out.errmsg.message);
      }
      case AppArm::kPresent: {
        Scope p(this, k);
        const Json& a = j.at(k);
        NodeSet& set = u.arm.emplace<NodeSet>(&arena_);
        if (!Array(a, kMaxNodes)) return false;
        for (size_t i = 0; i < a.size(); ++i) {
          Scope e(this, i);
          bool b = false;
          if (!BoolValue(a[i], b)) return false;
          set.push_back(b);
        }
        return true;
      }
      case AppArm::kCacheLimit:
        return U64(j, k, u.arm.emplace<uint64_t>());
      case AppArm::kEventHorizon:
        return U32(j, k, u.arm.emplace<uint32_t>());
      case AppArm::kSynodes:
        return SynodesAt(j, k, u.arm.emplace<SynodeNoArray>(&arena_));
      case AppArm::kVoid:
        u.arm.emplace<std::monostate>();
        return true;
    }
    return true;
  }

  bool Snap(const Json& j, Snapshot& s) {
    if (!Object(j, {"vers", "snap", "u_list"}) || !SynodeAt(j, "vers", s.vers)) return false;
    {
      Scope sn(this, "snap");
      const Json& a = j.at("snap");
      if (!Array(a, kMaxAppPtrArray)) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        Scope e(this, i);
        if (!Chain(a[i], s.snap.emplace_back())) return false;
      }
    }
    return UListAt(j, "u_list", s.u_list);
  }

  bool Gcs(const Json& j, GcsSnapshot& g) {
    if (!Object(j, {"log_start", "cfg", "app_snap"}) || !SynodeAt(j, "log_start", g.log_start)) {
      return false;
    }
    {
      Scope c(this, "cfg");
      const Json& a = j.at("cfg");
      if (!Array(a, kMaxConfigs)) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        Scope e(this, i);
        std::optional<Config>& entry = g.cfg.emplace_back();
        if (a[i].is_null()) continue;
        Config& conf = entry.emplace(Config{.nodes = NodeList(&arena_)});
        std::vector<std::string_view> keys = {"start", "boot_key", "nodes"};
        std::vector<std::string_view> not_carried;
        (CarriesEventHorizon(v_) ? keys : not_carried).push_back("event_horizon");
        if (!Object(a[i], keys, not_carried) || !SynodeAt(a[i], "start", conf.start) ||
            !SynodeAt(a[i], "boot_key", conf.boot_key) || !NodesAt(a[i], "nodes", conf.nodes)) {
          return false;
        }
        if (CarriesEventHorizon(v_) && !U32(a[i], "event_horizon", conf.event_horizon.emplace())) {
          return false;
        }
      }
    }
    return BlobAt(j, "app_snap", g.app_snap);
  }

  static std::string Describe(const Json& j) {
    std::string text = j.dump();
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return text;
  }

  ProtocolVersion v_;
  Arena& arena_;
  std::vector<std::string> path_;
  std::string error_;
};

}  // namespace

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 15];
  }
  return out;
}

Json DoubleToJson(double d) {
  const uint64_t bits = std::bit_cast<uint64_t>(d);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(bits));
  std::string decimal;
  if (std::isnan(d)) {
    decimal = "NaN";
  } else if (std::isinf(d)) {
    decimal = d > 0 ? "Infinity" : "-Infinity";
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    decimal = buf;
  }
  Json j = Json::object();
  j["hex"] = hex;
  j["decimal"] = decimal;
  return j;
}

Json PaxMsgToJson(const PaxMsg& msg, ProtocolVersion v) { return JsonWriter(v).Msg(msg); }

Json FrameHeaderToJson(const FrameHeader& h) {
  Json j = Json::object();
  j["version"] = ToWire(h.version);
  j["length"] = h.length;
  j["x_type"] = EnumJson(h.type);
  j["tag"] = h.tag;
  j["unused_byte"] = h.unused;
  return j;
}

absl::StatusOr<PaxMsg*> PaxMsgFromJson(const Json& json, ProtocolVersion v, Arena& arena) {
  if (!IsSupported(v)) return UnsupportedVersionError(v);
  JsonReader reader(v, arena);
  PaxMsg* msg = arena.New<PaxMsg>();
  if (!reader.Msg(json, *msg)) {
    return absl::InvalidArgumentError(StrCat("pax_msg: ", reader.error()));
  }
  return msg;
}

absl::StatusOr<FrameHeader> FrameHeaderFromJson(const Json& json) {
  Arena unused(64);
  JsonReader reader(ProtocolVersion::kUnknown, unused);
  FrameHeader h;
  if (!reader.Header(json, h))
    return absl::InvalidArgumentError(StrCat("header: ", reader.error()));
  return h;
}

}  // namespace uxcom::xdr
