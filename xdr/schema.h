// The language in which pax_msg.h describes each wire structure once: its fields in wire order,
// their XDR form, and which protocol versions carry each of them. Encode, decode (views and
// copies), EncodedSize, deep copy, JSON in both directions and the decode defaults are all
// derived from these descriptions at compile time (xdr/internal/schema_*.h); none of them names
// a field.
//
//   struct SynodeAppData {
//     SynodeNo synode{};
//     Bytes data{};
//     std::optional<SynodeNo> origin{};
//   };
//   template <>
//   struct schema::Schema<SynodeAppData> {
//     static constexpr std::string_view kName = "synode_app_data";
//     using Fields = FieldList<
//         Field<"synode", &SynodeAppData::synode>,
//         Field<"data", &SynodeAppData::data, CheckedData>,
//         Field<"origin", &SynodeAppData::origin, Auto, Since<ProtocolVersion::kX1_9>,
//               &defaults::Origin>>;
//   };
//
// A field's name is its xcom_vp.x name (JSON key, error path). Its wire form is deduced from the
// member's type where the type says it all (u32, i32, u64, double, bool, enums, described
// structures and unions); strings, opaque data, arrays, pointers and chains name theirs, with
// their bound. A field carried by some versions only is a std::optional (absent when not
// carried, required when carried), or a container that stays empty, or a pointer whose NULL is
// also what absence looks like; its last argument is the value MySQL's decoder fills in when a
// version does not carry it (FillDecodeDefaults; nullptr: the value-initialized one).
#ifndef UXCOM_XDR_SCHEMA_H_
#define UXCOM_XDR_SCHEMA_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "xdr/profile.h"
#include "xdr/protocol_version.h"

namespace uxcom::xdr::schema {

// A field or arm name as a template argument.
template <size_t N>
struct Name {
  char text[N]{};
  constexpr Name(const char (&s)[N]) {  // NOLINT: implicit, so that "to" is a Name
    for (size_t i = 0; i < N; ++i) text[i] = s[i];
  }
  constexpr std::string_view view() const { return std::string_view(text, N - 1); }
};

// The bound of a counted item (limits.h, profile.h).
enum class Bound : uint8_t {
  kNServers,        // NSERVERS, 100: node lists, node sets, bit sets, leader arrays
  kMaxName,         // MAXNAME, 1024: addresses (x_1_1+), cluster names, leaders
  kMaxError,        // MAXERROR, 10240
  kMaxSynodeArray,  // MAX_SYNODE_ARRAY, 1024
  kMaxAppPtrArray,  // MAX_APP_PTR_ARRAY, 1024
  kMaxBlob,         // MAXBLOB: the profile's (DecodeOptions::max_blob_bytes may raise it)
  kSiteDefs,        // configs of a gcs_snapshot: the profile's (NSERVERS or MAX_SITE_DEFS)
  kNodeAddress,     // MAXNAME, except at x_1_0 under 8.0.18 (no bound)
  kLength32,        // checked_data: any 32-bit length
};

// --- wire forms --------------------------------------------------------------------------------
struct Auto {};  // deduced from the member's type
template <Bound B>
struct String {};  // std::string_view: string s<N>
template <Bound B>
struct Opaque {};                              // Bytes: opaque data<N>
using CheckedData = Opaque<Bound::kLength32>;  // checked_data (xdr_checked_data)
template <Bound B, class Element = Auto>
struct Array {};  // std::pmr::vector<T>: T x<N>
template <class Element = Auto>
struct Pointer {};  // std::optional<T>: T *p (a flag, then T)
struct Chain {};    // std::pmr::vector<T>: T *p and T's `next` chain
struct Void {};     // a union arm without bytes (std::monostate)

// --- which versions carry a field --------------------------------------------------------------
struct Always {
  static constexpr bool Carried(ProtocolVersion, Profile) { return true; }
};
// Carried from `From` on; and, if `Extra` is set, also at `Extra` by the releases from
// `ExtraFrom` on (8.0.39's x_1_3 carries x_1_7's config and gcs_snapshot fields).
template <ProtocolVersion From, ProtocolVersion Extra = ProtocolVersion::kUnknown,
          Profile ExtraFrom = kNewestProfile>
struct Since {
  static constexpr ProtocolVersion kFrom = From;
  static constexpr ProtocolVersion kExtra = Extra;
  static constexpr Profile kExtraFrom = ExtraFrom;
  static constexpr bool Carried(ProtocolVersion v, Profile p) {
    return v >= From || (Extra != ProtocolVersion::kUnknown && v == Extra &&
                         EffectiveProfile(p, v) >= ExtraFrom);
  }
};

// --- structures --------------------------------------------------------------------------------
// DecodeDefault: nullptr, or a function void(const Parent&, Value&) setting the value MySQL's
// decoder gives the field when the version does not carry it.
template <Name N, auto Member, class Wire = Auto, class Versions = Always,
          auto DecodeDefault = nullptr>
struct Field {};

template <class... Fields>
struct FieldList {};

// Specialized for every structure and union (pax_msg.h):
//   structure: kName, Fields (a FieldList in wire order, one Field per member);
//   union:     kName, Discriminant (a Field), kArms (the std::variant member), Arms (an ArmList
//              in variant order), ArmIndex(discriminant, Profile) (the arm a discriminant
//              selects, unknown values included), FirstVersion(discriminant) (the first version
//              whose peers know it; the encoder refuses it before).
template <class T>
struct Schema;

template <Name N, class Wire = Auto>
struct Arm {};

template <class... Arms>
struct ArmList {};

}  // namespace uxcom::xdr::schema

#endif  // UXCOM_XDR_SCHEMA_H_
