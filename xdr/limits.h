// Every bound of the XCom wire format (MySQL 8.0.18, wire-format spec §4 and §6).
//
// The decoder and the encoder enforce each of them; uxcom's own additions (a configurable
// maximum body size, remaining-byte checks before any allocation) are in DecodeOptions. The
// names in the comments are the xcom_limits.h macros of 8.0.18.
#ifndef UXCOM_XDR_LIMITS_H_
#define UXCOM_XDR_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace uxcom::xdr {

// NSERVERS: node_list, node_set, bit_set words, configs.
inline constexpr uint32_t kMaxNodes = 100;
inline constexpr uint32_t kMaxBitSetWords = kMaxNodes;
inline constexpr uint32_t kMaxConfigs = kMaxNodes;
// MAXBLOB: blob (node uuid, gcs_snapshot.app_snap). Later MySQL releases raised it to
// 10 000 000; DecodeOptions::max_blob_bytes lets a reader accept theirs.
inline constexpr uint32_t kMaxBlobBytes = 1024;
// MAXNAME: node address (x_1_1+; x_1_0 is unbounded in 8.0.18), trans_data.cluster_name.
inline constexpr uint32_t kMaxNameBytes = 1024;
// MAXERROR: x_error.message.
inline constexpr uint32_t kMaxErrorBytes = 10240;
// MAX_SYNODE_ARRAY: synode_no_array, synode_app_data_array.
inline constexpr uint32_t kMaxSynodeArray = 1024;
// MAX_APP_PTR_ARRAY: app_data_ptr_array (snapshot.snap).
inline constexpr uint32_t kMaxAppPtrArray = 1024;

// The frame header: version u32, length u32, type u8, tag u16, unused u8.
inline constexpr size_t kFrameHeaderSize = 12;
// A frame (header + body) must fit the 32-bit length arithmetic of 8.0.18's sender.
inline constexpr uint64_t kMaxFrameSize = 0xFFFFFFFFull;
inline constexpr uint64_t kMaxBodySize = kMaxFrameSize - kFrameHeaderSize;

// Default DecodeOptions::max_body_size: 1 GiB. The wire allows ~4 GiB; 8.0.18 allocates
// whatever a header announces. Group Replication's transaction size limit defaults to ~143 MiB.
inline constexpr size_t kDefaultMaxBodySize = size_t{1} << 30;

// Default DecodeOptions::max_decode_overhead: what a decode may hold beyond the body's size.
inline constexpr size_t kDefaultMaxDecodeOverhead = size_t{2} << 20;

// A decoder reserves room for this many app_data elements when a chain starts (no more than
// the body could hold): what an arena sized for one decode should allow for.
inline constexpr size_t kDecodeChainReservation = 8;

// Byte offset of pax_msg.to inside a body (and inside a frame): the one field the transport
// changes per destination, so a body encoded once can be stamped for every peer.
inline constexpr size_t kPaxMsgToOffset = 0;
inline constexpr size_t kFrameToOffset = kFrameHeaderSize + kPaxMsgToOffset;

}  // namespace uxcom::xdr

#endif  // UXCOM_XDR_LIMITS_H_
