#!/usr/bin/env python3
"""Writes the decode-amplification seeds of //xdr:decode_fuzzer (run from this directory).

Each is a frame (12-byte header, then a pax_msg body) whose decoded form is several times its
wire size: with the fuzzer's 64 KiB max_decode_overhead, each reaches the decode's memory bound
(except chain_within_bound, which decodes). Small stand-ins for the multi-megabyte attacks of
xcom/decode_bounds_test.
"""
import struct

def u32(v): return struct.pack(">I", v)
def u64(v): return struct.pack(">Q", v)
SYNODE = u32(0) + u64(0) + u32(0)

def header(version, body, tag=0):
    # version, length, type (x_normal = 0), tag, unused
    return u32(version) + u32(len(body)) + bytes([0]) + struct.pack(">H", tag) + bytes([0])

def pax_prefix():  # to, from, group_id, max_synode, start_type, reply_to, proposal, op, synode,
    return u32(0) * 3 + SYNODE + u32(0) + u32(0) * 2 + u32(0) * 2 + u32(0) + SYNODE + u32(0)

def pax_suffix(version):  # snap, gcs_snap (NULL), cli_err, force_delivery, refcnt, ...
    out = u32(0) * 5
    if version >= 3: out += SYNODE           # delivered_msg (x_1_2+)
    if version >= 5: out += u32(0)           # event_horizon (x_1_4+)
    if version >= 7: out += u32(0)           # requested_synode_app_data (x_1_6+)
    return out

def app_data(c_t, arm=b""):
    return SYNODE + u32(0) + u64(0) + SYNODE + u32(0) + u64(0) + u32(0) * 4 + u32(c_t) + arm

def chain(elements):
    out = u32(1)
    for i, e in enumerate(elements):
        out += e + u32(1 if i + 1 < len(elements) else 0)
    return out

def frame(version, elements, tag=0):
    body = pax_prefix() + u32(0) + chain(elements) + pax_suffix(version)  # receivers NULL
    return header(version, body, tag) + body

X1_0, X1_6 = 1, 7
VOID_CARGO = 0xFFFF      # outside the enumeration: the void arm
ADD_NODE = 14            # node_list arm
EMPTY_NODE_X1_0 = u32(0) + u32(0)  # address "", uuid ""

files = {
    # 1 000 minimal app_data: 80 KB on the wire, 200 KB decoded.
    "long_chain_x1_6.bin": frame(X1_6, [app_data(VOID_CARGO)] * 1000),
    # 50 app_data of 100 empty x_1_0 addresses each: 44 KB on the wire, 290 KB decoded.
    "chain_of_node_lists_x1_0.bin": frame(
        X1_0, [app_data(ADD_NODE, u32(100) + EMPTY_NODE_X1_0 * 100)] * 50),
    # 100 minimal app_data: counted, allocated once, decoded.
    "chain_within_bound_x1_6.bin": frame(X1_6, [app_data(VOID_CARGO)] * 100),
}

# gcs_snapshot of 1 024 NULL config pointers under 8.0.39's rules (tag 666): 4 KB, 200 KB decoded.
gcs = SYNODE + SYNODE + u32(1024) + u32(0) * 1024 + u32(0)  # log_start, log_end, cfg, app_snap
body = pax_prefix() + u32(0) + u32(0) + u32(0) + u32(1) + gcs + u32(0) * 3 + SYNODE + u32(0) + u32(0)
files["null_configs_x1_6_8039.bin"] = header(X1_6, body, 666) + body

for name, data in files.items():
    with open(name, "wb") as f:
        f.write(data)
