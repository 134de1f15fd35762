// Profiles: the rules of a MySQL release's XDR routines, chosen by option.
//
// The bytes of a version are not the whole story: MySQL 8.0.39 (the routines of 8.0.2x … 8.4)
// checks other limits than 8.0.18 for the very same protocol versions, has no union arm for
// cargo 3, gives x_1_3 another layout and puts tag 666 on normal frames. A codec call applies
// one profile's rules; DecodeOptions, EncodeOptions, the JSON functions and the transport take
// one (x1_7-x1_9 spec §7 and appendix A.2 of the base spec):
//
//   Decoder decoder({.profile = Profile::k8_0_39});           // a member running MySQL 8.0.39
//   AppendFrame(ProtocolVersion::kX1_6, msg, out, {.profile = Profile::k8_0_18});
//
// | rule                                   | 8.0.18               | 8.0.39                  |
// | MAXBLOB (uuid, app_snap)               | 1024                 | 10 000 000              |
// | configs of a gcs_snapshot              | 100 (NSERVERS)       | 1024 (MAX_SITE_DEFS)    |
// | x_1_0 node address                     | unbounded            | 1024 (MAXNAME)          |
// | cargo 3 (xcom_recover)                 | repository arm       | no arm (default void)   |
// | cargo 25, 26 (set_max/set_leaders)     | no arm               | u32 / leader_array arms |
// | x_1_3 config / gcs_snapshot            | as x_1_2             | + global_node_set, log_end |
// | tag of normal frames                   | 0                    | 666                     |
// | enum names (JSON)                      | 8.0.18's             | 8.0.39's                |
//
// A version newer than a release's maximum is spoken only by later releases, so it always gets
// the first later release's rules: 8.0.18's profile at x_1_7 … x_1_9 applies 8.0.39's
// (EffectiveProfile). Profiles agree on everything not in the table.
#ifndef UXCOM_XDR_PROFILE_H_
#define UXCOM_XDR_PROFILE_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "xdr/protocol_version.h"

namespace uxcom::xdr {

enum class Profile : uint8_t {
  k8_0_18 = 0,  // MySQL 8.0.18: x_1_0 … x_1_6, one struct per wire generation
  k8_0_39 = 1,  // MySQL 8.0.39: x_1_0 … x_1_9, one rpcgen run per version (8.0.2x … 8.4 alike)
};

inline constexpr Profile kOldestProfile = Profile::k8_0_18;
inline constexpr Profile kNewestProfile = Profile::k8_0_39;
// What the codec and the transport apply unless told otherwise: MySQL 8.0.18, whose maximum
// x_1_6 is also the transport's default maximum.
inline constexpr Profile kDefaultProfile = Profile::k8_0_18;

// The rules of a profile (table above).
struct ProfileRules {
  Profile profile;
  std::string_view name;           // "8.0.18"
  ProtocolVersion max_version;     // the newest version the release speaks
  uint32_t max_blob_bytes;         // MAXBLOB
  uint32_t max_configs;            // configs of a gcs_snapshot
  std::string_view configs_bound;  // "NSERVERS" or "MAX_SITE_DEFS"
  bool x_1_0_address_bounded;      // MAXNAME at x_1_0 too
  bool xcom_recover_arm;           // cargo 3 carries a repository
  bool leader_arms;                // cargo 25 and 26 carry their arms
  bool x_1_3_has_7_fields;         // x_1_3 carries config.global_node_set, gcs_snapshot.log_end
  uint16_t normal_frame_tag;       // the tag of normal frames
};

inline constexpr ProfileRules kProfileRules[] = {
    {.profile = Profile::k8_0_18,
     .name = "8.0.18",
     .max_version = ProtocolVersion::kX1_6,
     .max_blob_bytes = 1024,
     .max_configs = 100,
     .configs_bound = "NSERVERS",
     .x_1_0_address_bounded = false,
     .xcom_recover_arm = true,
     .leader_arms = false,
     .x_1_3_has_7_fields = false,
     .normal_frame_tag = 0},
    {.profile = Profile::k8_0_39,
     .name = "8.0.39",
     .max_version = ProtocolVersion::kX1_9,
     .max_blob_bytes = 10'000'000,
     .max_configs = 1024,
     .configs_bound = "MAX_SITE_DEFS",
     .x_1_0_address_bounded = true,
     .xcom_recover_arm = false,
     .leader_arms = true,
     .x_1_3_has_7_fields = true,
     .normal_frame_tag = 666},
};

constexpr const ProfileRules& RulesOf(Profile p) {
  return kProfileRules[p == Profile::k8_0_39 ? 1 : 0];
}

// The profile whose rules apply to version v: p itself, or, for a version newer than p's
// release speaks, the oldest release that speaks it.
constexpr Profile EffectiveProfile(Profile p, ProtocolVersion v) {
  if (v <= RulesOf(p).max_version) return p;
  for (const ProfileRules& r : kProfileRules) {
    if (r.profile > p && v <= r.max_version) return r.profile;
  }
  return kNewestProfile;
}

// True if profiles can disagree about v: only versions the oldest release speaks.
constexpr bool ProfileMatters(ProtocolVersion v) {
  return v <= RulesOf(kOldestProfile).max_version;
}

// "8.0.18".
constexpr std::string_view ProfileName(Profile p) { return RulesOf(p).name; }
// "8.0.18" or "8.0.39"; nullopt for anything else.
constexpr std::optional<Profile> ParseProfile(std::string_view text) {
  for (const ProfileRules& r : kProfileRules) {
    if (r.name == text) return r.profile;
  }
  return std::nullopt;
}

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_PROFILE_H_
