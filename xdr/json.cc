#include "xdr/json.h"

#include <algorithm>
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
#include "xdr/internal/arena_bind.h"
#include "xdr/internal/schema_traits.h"
#include "xdr/internal/str_cat.h"
#include "xdr/internal/utf8.h"

namespace uxcom::xdr {
namespace {

using internal::Carry;
using internal::Storage;
using internal::StrCat;

// The profile whose names and layout apply to v.
Profile Effective(Profile p, ProtocolVersion v) {
  return IsSupported(v) ? EffectiveProfile(p, v) : p;
}

// The limits JSON input is held to (what an encode of the message would check).
internal::Limits JsonLimits(Profile p) {
  const ProfileRules& rules = RulesOf(p);
  return {.rules = &rules, .max_blob = rules.max_blob_bytes, .x_1_0_address_bounded = true};
}

// An array bound, as the codec applies it (never kNodeAddress, which bounds strings).
uint64_t ArrayBound(Bound b, const internal::Limits& limits) {
  switch (b) {
    case Bound::kNServers:
      return kMaxNodes;
    case Bound::kMaxSynodeArray:
      return kMaxSynodeArray;
    case Bound::kMaxAppPtrArray:
      return kMaxAppPtrArray;
    case Bound::kSiteDefs:
      return limits.rules->max_configs;
    default:
      return 0xFFFFFFFFull;
  }
}

// --- writing -----------------------------------------------------------------------------------

Json StringJson(std::string_view s) {
  if (internal::IsValidUtf8(s)) return Json(std::string(s));
  Json j = Json::object();
  j["hex"] = HexEncode(s);
  return j;
}

// Every structure as an object of its fields in wire order: those `v` carries under the profile,
// or, for a version without a layout, those that are present.
class JsonWriter {
 public:
  JsonWriter(ProtocolVersion v, Profile p) : v_(v), p_(Effective(p, v)) {}

  template <typename S>
  Json Struct(const S& s) {
    Json j = Json::object();
    internal::AllFields<S>([&](auto f) {
      using F = decltype(f);
      if (Shows<F>(s)) j[std::string(F::kName)] = FieldJson<F>(s);
      return true;
    });
    return j;
  }

 private:
  template <typename F, typename S>
  bool Shows(const S& s) const {
    if constexpr (!F::kGated) {
      return true;
    } else {
      if (IsSupported(v_)) return F::Versions::Carried(v_, p_);
      const auto& m = F::Get(s);
      if constexpr (F::kStorage == Storage::kCollection) {
        return !m.empty();
      } else {
        return m.has_value();
      }
    }
  }

  template <typename F, typename S>
  Json FieldJson(const S& s) {
    const auto& m = F::Get(s);
    if constexpr (F::kStorage == Storage::kOptional) {
      return m ? Value<typename F::Wire>(*m) : Json(nullptr);
    } else {
      return Value<typename F::Wire>(m);
    }
  }

  template <typename E>
  Json EnumJson(E e) const {
    Json j = Json::object();
    std::optional<std::string_view> name = EnumName(e, p_);
    j["name"] = name ? Json(std::string(*name)) : Json(nullptr);
    // x_proto_range holds XDR enums, which are signed on the wire like every other enum.
    j["value"] = static_cast<int32_t>(static_cast<uint32_t>(EnumValue(e)));
    return j;
  }

  template <typename W, typename T>
  Json Value(const T& v) {
    using namespace internal;
    if constexpr (std::is_same_v<W, ScalarW>) {
      if constexpr (std::is_enum_v<T>) {
        return EnumJson(v);
      } else if constexpr (std::is_same_v<T, double>) {
        return DoubleToJson(v);
      } else if constexpr (std::is_same_v<T, uint64_t>) {
        return Json(std::to_string(v));  // 64-bit integers as decimal strings
      } else {
        return Json(v);
      }
    } else if constexpr (std::is_same_v<W, StructW>) {
      return Struct(v);
    } else if constexpr (kIsCounted<W>) {
      return W::kIsText ? StringJson(v) : Json(HexEncode(v));
    } else if constexpr (kIsPointer<W>) {
      return v ? Value<typename W::Value>(*v) : Json(nullptr);
    } else if constexpr (kIsChain<W>) {
      // Nested through "next", built from the tail so that nothing recurses.
      Json chain = nullptr;
      for (size_t i = v.size(); i-- > 0;) {
        Json j = Struct(v[i]);
        j["next"] = std::move(chain);
        chain = std::move(j);
      }
      return chain;
    } else if constexpr (kIsArray<W>) {
      Json j = Json::array();
      for (const auto& e : v) {
        if constexpr (std::is_same_v<typename T::value_type, bool>) {
          j.push_back(static_cast<bool>(e));
        } else {
          j.push_back(Value<typename W::Element>(e));
        }
      }
      return j;
    } else {
      static_assert(std::is_same_v<W, UnionW>);
      using D = Discriminant<T>;
      Json j = Json::object();
      j[std::string(D::kName)] = EnumJson(D::Get(v));
      const auto& arms = v.*UnionSchema<T>::kArms;
      VisitArm<T>(arms.index(), [&](auto i) {
        using A = ArmAt<T, decltype(i)::value>;
        if constexpr (!std::is_same_v<typename A::Wire, VoidW>) {
          j[std::string(A::kName)] =
              Value<typename A::Wire>(*std::get_if<decltype(i)::value>(&arms));
        }
        return true;
      });
      return j;
    }
  }

  ProtocolVersion v_;
  Profile p_;
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
  JsonReader(ProtocolVersion v, Profile p, Arena& arena)
      : v_(v), p_(Effective(p, v)), limits_(JsonLimits(p_)), arena_(arena) {}

  const std::string& error() const { return error_; }

  // A described structure: exactly the fields v carries, each read into `s` (bound to the
  // arena); the others stay absent.
  // `link`: one more key the object must have, read by the caller (a chain's "next").
  template <typename S>
  bool Struct(const Json& j, S& s, std::string_view link = {}) {
    std::vector<std::string_view> keys, not_carried, elsewhere;
    internal::AllFields<S>([&](auto f) {
      using F = decltype(f);
      if (F::Versions::Carried(v_, p_)) {
        keys.push_back(F::kName);
      } else {
        not_carried.push_back(F::kName);
        for (const ProfileRules& r : kProfileRules) {
          if (F::Versions::Carried(v_, r.profile)) elsewhere.push_back(F::kName);
        }
      }
      return true;
    });
    if (!link.empty()) keys.push_back(link);
    if (!Object(j, keys, not_carried, elsewhere)) return false;
    return internal::AllFields<S>([&](auto f) {
      using F = decltype(f);
      if (!F::Versions::Carried(v_, p_)) return true;
      Scope scope(this, F::kName);
      const Json& value = j.at(std::string(F::kName));
      if constexpr (F::kStorage == Storage::kOptional) {
        return Value<typename F::Wire>(value, internal::EmplaceBound(F::Get(s), &arena_));
      } else {
        return Value<typename F::Wire>(value, F::Get(s));
      }
    });
  }

  bool Header(const Json& j, FrameHeader& h) {
    if (!Object(j, {"version", "length", "x_type", "tag", "unused_byte"})) return false;
    uint32_t version = 0, tag = 0, unused = 0;
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

  template <typename W, typename T>
  bool Value(const Json& j, T& v) {
    using namespace internal;
    if constexpr (std::is_same_v<W, ScalarW>) {
      if constexpr (std::is_enum_v<T>) {
        return EnumValueOf(j, v);
      } else if constexpr (std::is_same_v<T, bool>) {
        return BoolValue(j, v);
      } else if constexpr (std::is_same_v<T, double>) {
        return DoubleValue(j, v);
      } else if constexpr (std::is_same_v<T, uint64_t>) {
        return U64Value(j, v);
      } else if constexpr (std::is_same_v<T, int32_t>) {
        return I32Value(j, v);
      } else {
        static_assert(std::is_same_v<T, uint32_t>);
        return U32Value(j, v);
      }
    } else if constexpr (std::is_same_v<W, StructW>) {
      return Struct(j, v);
    } else if constexpr (kIsCounted<W>) {
      if constexpr (W::kIsText) {
        return StringValue(j, v);
      } else {
        return HexValue(j, v);
      }
    } else if constexpr (kIsPointer<W>) {
      if (j.is_null()) return true;
      return Value<typename W::Value>(j, EmplaceBound(v, &arena_));
    } else if constexpr (kIsChain<W>) {
      return Chain(j, v);
    } else if constexpr (kIsArray<W>) {
      if (!Array(j, ArrayBound(W::kBound, limits_))) return false;
      v.reserve(j.size());
      for (size_t i = 0; i < j.size(); ++i) {
        Scope e(this, i);
        if constexpr (std::is_same_v<typename T::value_type, bool>) {
          bool b = false;
          if (!BoolValue(j[i], b)) return false;
          v.push_back(b);
        } else if (!Value<typename W::Element>(j[i], AppendBound(v))) {
          return false;
        }
      }
      return true;
    } else {
      static_assert(std::is_same_v<W, UnionW>);
      return Union(j, v);
    }
  }

  // {"<discriminant>": enum, "<arm>": value}; no arm key for a void arm.
  template <typename U>
  bool Union(const Json& j, U& u) {
    using namespace internal;
    using D = Discriminant<U>;
    const std::string disc_key(D::kName);
    if (!j.is_object()) return Fail(StrCat("expected an object, found ", TypeName(j)));
    if (!j.contains(disc_key)) return Fail(StrCat("missing field '", disc_key, "'"));
    {
      Scope s(this, D::kName);
      if (!EnumValueOf(j.at(disc_key), D::Get(u))) return false;
    }
    auto& arms = u.*UnionSchema<U>::kArms;
    return VisitArm<U>(UnionSchema<U>::ArmIndex(D::Get(u), p_), [&](auto i) {
      using A = ArmAt<U, decltype(i)::value>;
      if constexpr (std::is_same_v<typename A::Wire, VoidW>) {
        arms.template emplace<decltype(i)::value>();
        return Object(j, {D::kName});
      } else {
        if (!Object(j, {D::kName, A::kName})) return false;
        Scope s(this, A::kName);
        return Value<typename A::Wire>(j.at(std::string(A::kName)),
                                       EmplaceBound<decltype(i)::value>(arms, &arena_));
      }
    });
  }

  // A pointer nested through "next": walked in a loop.
  template <typename T>
  bool Chain(const Json& first, std::pmr::vector<T>& list) {
    size_t depth = 0;
    for (const Json* j = &first; !j->is_null(); ++depth) {
      if (depth > 0) path_.emplace_back("next");
      if (!Struct(*j, internal::AppendBound(list), "next")) {
        path_.resize(path_.size() - depth);
        return false;
      }
      j = &j->at("next");
    }
    if (depth > 0) path_.resize(path_.size() - (depth - 1));
    return true;
  }

  // `j` is an object with exactly `keys` (in any order). `not_carried`: keys of fields v does
  // not carry, `elsewhere` those of them another profile's release carries at v.
  bool Object(const Json& j, const std::vector<std::string_view>& keys,
              const std::vector<std::string_view>& not_carried = {},
              const std::vector<std::string_view>& elsewhere = {}) {
    if (!j.is_object()) return Fail(StrCat("expected an object, found ", TypeName(j)));
    for (const auto& [key, value] : j.items()) {
      bool known = false;
      for (std::string_view k : keys) known = known || k == key;
      if (known) continue;
      for (std::string_view k : not_carried) {
        if (k == key) {
          const bool other = std::find(elsewhere.begin(), elsewhere.end(), k) != elsewhere.end();
          return Fail(StrCat("field '", key, "' is not carried by ", DescribeProtocolVersion(v_),
                             other ? StrCat(" in ", ProfileName(p_), "'s layout") : ""));
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

  bool Array(const Json& j, uint64_t max) {
    if (!j.is_array()) return Fail(StrCat("expected an array, found ", TypeName(j)));
    if (j.size() > max) return Fail(StrCat("count ", j.size(), " > ", max));
    return true;
  }

  bool U32Value(const Json& j, uint32_t& v) {
    uint64_t u = 0;
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
  bool I32Value(const Json& j, int32_t& v) {
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
  // true/false, or 0/1 for hand-written input.
  bool BoolValue(const Json& j, bool& v) {
    if (j.is_boolean()) {
      v = j.get<bool>();
      return true;
    }
    if (uint64_t u = 0; AsUnsigned(j, u) && u <= 1) {
      v = u == 1;
      return true;
    }
    return Fail(StrCat("expected true or false, found ", Describe(j)));
  }

  // {"name": …, "value": n} (value wins; a name that contradicts the profile's name of the value
  // is an error), a bare name, or a bare number.
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
      if (std::optional<E> v = EnumFromName<E>(name, p_)) {
        e = *v;
        return true;
      }
      return Fail(StrCat("unknown ", EnumTraits<E>::kTypeName, " name \"", name, "\"",
                         EnumFromName<E>(name) ? StrCat(" in ", ProfileName(p_)) : ""));
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
        std::optional<std::string_view> expected = EnumName(e, p_);
        if (!name.is_string() || !expected || *expected != name.get_ref<const std::string&>()) {
          return Fail(StrCat("name ", name.dump(), " does not match value ",
                             static_cast<int64_t>(static_cast<U>(e)),
                             NamedElsewhere(e, name) ? StrCat(" in ", ProfileName(p_)) : ""));
        }
      }
      return true;
    }
    if (j.contains("name") && j.at("name").is_string()) {
      return from_name(j.at("name").get_ref<const std::string&>());
    }
    return Fail("expected {\"name\": …, \"value\": …}");
  }
  // Whether another profile's release names e `name`.
  template <typename E>
  static bool NamedElsewhere(E e, const Json& name) {
    if (!name.is_string()) return false;
    for (const ProfileRules& r : kProfileRules) {
      if (EnumName(e, r.profile) == name.get_ref<const std::string&>()) return true;
    }
    return false;
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
    if (s.size() / 2 > 0xFFFFFFFFull) return Fail(StrCat("length ", s.size() / 2, " > 4294967295"));
    char* p = s.empty() ? nullptr : arena_.AllocateArray<char>(s.size() / 2);
    for (size_t i = 0; i < s.size(); i += 2) {
      int hi = HexDigit(s[i]), lo = HexDigit(s[i + 1]);
      if (hi < 0 || lo < 0) return Fail(StrCat("not a hex digit at position ", hi < 0 ? i : i + 1));
      p[i / 2] = static_cast<char>(hi * 16 + lo);
    }
    out = std::string_view(p, s.size() / 2);
    return true;
  }
  // A JSON string, or {"hex": …} for bytes that are not UTF-8.
  bool StringValue(const Json& j, std::string_view& out) {
    if (j.is_string()) {
      out = Copy(j.get_ref<const std::string&>());
      return true;
    }
    if (j.is_object()) {
      if (!Object(j, {"hex"})) return false;
      Scope s(this, "hex");
      return HexValue(j.at("hex"), out);
    }
    return Fail(StrCat("expected a string, found ", TypeName(j)));
  }

  // {"hex": "<16 digits>"} (what is read back), {"decimal": "…"}, or a plain number.
  bool DoubleValue(const Json& j, double& d) {
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

  static std::string Describe(const Json& j) {
    std::string text = j.dump();
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return text;
  }

  ProtocolVersion v_;
  Profile p_;
  internal::Limits limits_;
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

Json PaxMsgToJson(const PaxMsg& msg, ProtocolVersion v, Profile profile) {
  return JsonWriter(v, profile).Struct(msg);
}

Json FrameHeaderToJson(const FrameHeader& h) {
  Json j = Json::object();
  j["version"] = ToWire(h.version);
  j["length"] = h.length;
  Json type = Json::object();
  std::optional<std::string_view> name = EnumName(h.type);
  type["name"] = name ? Json(std::string(*name)) : Json(nullptr);
  type["value"] = EnumValue(h.type);
  j["x_type"] = std::move(type);
  j["tag"] = h.tag;
  j["unused_byte"] = h.unused;
  return j;
}

absl::StatusOr<PaxMsg*> PaxMsgFromJson(const Json& json, ProtocolVersion v, Arena& arena,
                                       Profile profile) {
  if (!IsSupported(v)) return UnsupportedVersionError(v);
  JsonReader reader(v, profile, arena);
  PaxMsg* msg = arena.New<PaxMsg>();
  internal::Bind(*msg, &arena);
  if (!reader.Struct(json, *msg)) {
    return absl::InvalidArgumentError(StrCat("pax_msg: ", reader.error()));
  }
  return msg;
}

absl::StatusOr<FrameHeader> FrameHeaderFromJson(const Json& json) {
  Arena unused(64);
  JsonReader reader(ProtocolVersion::kUnknown, kDefaultProfile, unused);
  FrameHeader h;
  if (!reader.Header(json, h))
    return absl::InvalidArgumentError(StrCat("header: ", reader.error()));
  return h;
}

}  // namespace uxcom::xdr
