// The first encoding pass: checks that protocol version V can carry a message (encode.h lists
// the rules) and computes its exact body size. BodyWriter is the second pass and trusts it.
#ifndef UXCOM_XDR_INTERNAL_BODY_SIZER_H_
#define UXCOM_XDR_INTERNAL_BODY_SIZER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "xdr/encode.h"
#include "xdr/enums.h"
#include "xdr/internal/error_trail.h"
#include "xdr/internal/str_cat.h"
#include "xdr/internal/wire_sizes.h"
#include "xdr/limits.h"
#include "xdr/pax_msg.h"
#include "xdr/protocol_version.h"
#include "xdr/xdr_reader.h"

namespace uxcom::xdr::internal {

template <ProtocolVersion V>
class BodySizer {
 public:
  BodySizer(const EncodeOptions& options, ErrorTrail& trail) : options_(options), trail_(trail) {}

  // Adds the size of `m` to size(); false (with the reason in the trail) if V cannot carry it.
  bool Msg(const PaxMsg& m) {
    n_ += MinPaxMsgSize(V);
    if (m.receivers && !Bits(*m.receivers)) return trail_.In("receivers");
    if (!Chain(m.a, "a")) return false;
    if (m.snap && !Snap(*m.snap)) return trail_.In("snap");
    if (m.gcs_snap && !Gcs(*m.gcs_snap)) return trail_.In("gcs_snap");
    if constexpr (CarriesDeliveredMsg(V)) {
      if (!m.delivered_msg) return Missing("delivered_msg", ProtocolVersion::kX1_2);
    } else if (m.delivered_msg && options_.reject_fields_absent_in_version) {
      return NotCarried("delivered_msg", ProtocolVersion::kX1_2);
    }
    if constexpr (CarriesEventHorizon(V)) {
      if (!m.event_horizon) return Missing("event_horizon", ProtocolVersion::kX1_4);
    } else if (m.event_horizon && options_.reject_fields_absent_in_version) {
      return NotCarried("event_horizon", ProtocolVersion::kX1_4);
    }
    if constexpr (CarriesRequestedSynodeAppData(V)) {
      if (!Count(m.requested_synode_app_data.size(), kMaxSynodeArray, "MAX_SYNODE_ARRAY")) {
        return trail_.In("requested_synode_app_data");
      }
      for (size_t i = 0; i < m.requested_synode_app_data.size(); ++i) {
        const SynodeAppData& s = m.requested_synode_app_data[i];
        n_ += kSynodeNoSize;
        if (!CheckedData(s.data)) {
          trail_.In("data");
          return trail_.In("requested_synode_app_data", i);
        }
      }
    } else if (!m.requested_synode_app_data.empty()) [[unlikely]] {
      return RequestedError(m.requested_synode_app_data.size());
    }
    if (n_ > kMaxBodySize) [[unlikely]]
      return TooLargeError();
    return true;
  }

  uint64_t size() const { return n_; }

 private:
  [[gnu::noinline, gnu::cold]] bool RequestedError(size_t entries) {
    trail_.Fail(StrCat(entries, " entries, but ", DescribeProtocolVersion(V),
                       " cannot carry them (x_1_6 (7) and later only)"));
    return trail_.In("requested_synode_app_data");
  }
  [[gnu::noinline, gnu::cold]] bool TooLargeError() {
    return trail_.Fail(
        StrCat("body of ", n_, " bytes does not fit a frame of at most ", kMaxFrameSize, " bytes"));
  }

  // Error paths stay out of line so that the checks inline into a short hot path.
  [[gnu::noinline, gnu::cold]] bool CountError(size_t count, uint32_t max, std::string_view bound) {
    return trail_.Fail(StrCat("count ", count, " > ", max, " (", bound, ")"));
  }
  [[gnu::noinline, gnu::cold]] bool LengthError(size_t length, uint64_t max,
                                                std::string_view bound) {
    return trail_.Fail(StrCat("length ", length, " > ", max, " (", bound, ")"));
  }
  bool Count(size_t count, uint32_t max, std::string_view bound) {
    if (count <= max) [[likely]]
      return true;
    return CountError(count, max, bound);
  }
  // A length-prefixed string or opaque of at most `max` bytes.
  bool Counted(std::string_view data, uint64_t max, std::string_view bound) {
    if (data.size() > max) [[unlikely]]
      return LengthError(data.size(), max, bound);
    n_ += kUnit + XdrPadded(data.size());
    return true;
  }
  bool CheckedData(std::string_view data) { return Counted(data, 0xFFFFFFFFull, "32-bit length"); }
  [[gnu::noinline, gnu::cold]] bool Missing(std::string_view field, ProtocolVersion since) {
    trail_.Fail(StrCat("absent, but ", DescribeProtocolVersion(V), " carries it (",
                       DescribeProtocolVersion(since), " and later)"));
    return trail_.In(field);
  }
  [[gnu::noinline, gnu::cold]] bool NotCarried(std::string_view field, ProtocolVersion since) {
    trail_.Fail(StrCat("present, but ", DescribeProtocolVersion(V), " does not carry it (only ",
                       DescribeProtocolVersion(since), " and later)"));
    return trail_.In(field);
  }

  bool Bits(const BitSet& b) {
    if (!Count(b.bits.size(), kMaxBitSetWords, "NSERVERS")) return trail_.In("bits");
    n_ += kUnit + kUnit * b.bits.size();
    return true;
  }

  bool SynodeArray(const SynodeNoArray& a, std::string_view field) {
    if (!Count(a.size(), kMaxSynodeArray, "MAX_SYNODE_ARRAY")) return trail_.In(field);
    n_ += kUnit + kSynodeNoSize * a.size();
    return true;
  }

  bool UList(const UncommittedList& u) {
    n_ += kUnit;  // active
    return SynodeArray(u.vers, "vers");
  }

  bool Nodes(const NodeList& nodes, std::string_view field) {
    if (!Count(nodes.size(), kMaxNodes, "NSERVERS")) return trail_.In(field);
    n_ += kUnit;
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (!Node(nodes[i])) return trail_.In(field, i);
    }
    return true;
  }

  bool Node(const NodeAddress& a) {
    if (NodeAddressIsUnbounded(V) && !options_.bound_x_1_0_address) {
      if (!Counted(a.address, 0xFFFFFFFEull, "32-bit length")) return trail_.In("address");
    } else if (!Counted(a.address, kMaxNameBytes, "MAXNAME")) {
      return trail_.In("address");
    }
    if (!Counted(a.uuid.data, kMaxBlobBytes, "MAXBLOB")) {
      return trail_.Path("data", "uuid");
    }
    if constexpr (CarriesNodeProtoRange(V)) {
      if (!a.proto) return Missing("proto", ProtocolVersion::kX1_1);
      n_ += kXProtoRangeSize;
    } else if (a.proto && options_.reject_fields_absent_in_version) {
      return NotCarried("proto", ProtocolVersion::kX1_1);
    }
    return true;
  }

  // The app_data of a pointer's chain (the pointer flag itself is counted by the caller).
  bool Chain(const AppDataList& list, std::string_view field) {
    for (size_t d = 0; d < list.size(); ++d) {
      n_ += kAppDataHeadSize + kUnit;  // fields, discriminant, next flag
      if (!Body(list[d].body)) {
        trail_.In("body");
        return trail_.InChain(field, d);
      }
    }
    return true;
  }

  [[gnu::noinline, gnu::cold]] bool ArmError(const AppU& u) {
    return trail_.Fail(StrCat("cargo ", DescribeEnum(u.c_t), " selects the ",
                              ArmLabel(ArmOf(u.c_t)), " arm, but the value holds the ",
                              ArmLabel(u.kind()), " arm"));
  }
  [[gnu::noinline, gnu::cold]] bool CargoVersionError(CargoType c) {
    trail_.Fail(StrCat("cargo ", DescribeEnum(c), " is not known before ",
                       DescribeProtocolVersion(FirstVersionWithCargo(c)), "; a peer at ",
                       DescribeProtocolVersion(V), " would misparse the frame"));
    return trail_.In("c_t");
  }

  bool Body(const AppU& u) {
    const AppArm want = ArmOf(u.c_t);
    if (u.kind() != want) [[unlikely]]
      return ArmError(u);
    if (options_.check_cargo_version && FirstVersionWithCargo(u.c_t) > V) [[unlikely]] {
      return CargoVersionError(u.c_t);
    }
    switch (want) {
      case AppArm::kData:  // the common case first
        return CheckedData(*std::get_if<Bytes>(&u.arm)) || trail_.In("data");
      case AppArm::kNodes:
        return Nodes(std::get<NodeList>(u.arm), "nodes");
      case AppArm::kRep: {
        const Repository& r = std::get<Repository>(u.arm);
        n_ += kSynodeNoSize;
        if (!SynodeArray(r.msg_list, "msg_list")) return trail_.In("rep");
        if (!UList(r.u_list)) {
          return trail_.Path("u_list", "rep");
        }
        return true;
      }
      case AppArm::kTd: {
        const TransData& t = std::get<TransData>(u.arm);
        n_ += kTransIdSize + kUnit + 2 * kUnit;  // tid, pc, errmsg.nodeid and code
        if (!Counted(t.cluster_name, kMaxNameBytes, "MAXNAME")) {
          return trail_.Path("cluster_name", "td");
        }
        if (!Counted(t.errmsg.message, kMaxErrorBytes, "MAXERROR")) {
          return trail_.Path("message", "errmsg", "td");
        }
        return true;
      }
      case AppArm::kPresent: {
        const NodeSet& s = std::get<NodeSet>(u.arm);
        if (!Count(s.size(), kMaxNodes, "NSERVERS")) return trail_.In("present");
        n_ += kUnit + kUnit * s.size();
        return true;
      }
      case AppArm::kCacheLimit:
        n_ += 8;
        return true;
      case AppArm::kEventHorizon:
        n_ += kUnit;
        return true;
      case AppArm::kSynodes:
        return SynodeArray(std::get<SynodeNoArray>(u.arm), "synodes");
      case AppArm::kVoid:
        return true;
    }
    return true;
  }

  static std::string ArmLabel(AppArm arm) {
    std::string_view name = ArmName(arm);
    return name.empty() ? std::string("void") : std::string(name);
  }

  bool Snap(const Snapshot& s) {
    n_ += kSynodeNoSize;
    if (!Count(s.snap.size(), kMaxAppPtrArray, "MAX_APP_PTR_ARRAY")) return trail_.In("snap");
    n_ += kUnit + kUnit * s.snap.size();  // count, one pointer flag per entry
    for (size_t i = 0; i < s.snap.size(); ++i) {
      if (!Chain(s.snap[i], "")) return trail_.In("snap", i);
    }
    if (!UList(s.u_list)) return trail_.In("u_list");
    return true;
  }

  bool Gcs(const GcsSnapshot& g) {
    n_ += kSynodeNoSize;
    if (!Count(g.cfg.size(), kMaxConfigs, "NSERVERS")) return trail_.In("cfg");
    n_ += kUnit;
    for (size_t i = 0; i < g.cfg.size(); ++i) {
      n_ += kUnit;  // pointer flag
      if (g.cfg[i] && !Conf(*g.cfg[i])) return trail_.In("cfg", i);
    }
    if (!Counted(g.app_snap.data, kMaxBlobBytes, "MAXBLOB")) {
      return trail_.Path("data", "app_snap");
    }
    return true;
  }

  bool Conf(const Config& c) {
    n_ += 2 * kSynodeNoSize;
    if (!Nodes(c.nodes, "nodes")) return false;
    if constexpr (CarriesEventHorizon(V)) {
      if (!c.event_horizon) return Missing("event_horizon", ProtocolVersion::kX1_4);
      n_ += kUnit;
    } else if (c.event_horizon && options_.reject_fields_absent_in_version) {
      return NotCarried("event_horizon", ProtocolVersion::kX1_4);
    }
    return true;
  }

  const EncodeOptions& options_;
  ErrorTrail& trail_;
  uint64_t n_ = 0;
};

}  // namespace uxcom::xdr::internal

#endif  // UXCOM_XDR_INTERNAL_BODY_SIZER_H_
