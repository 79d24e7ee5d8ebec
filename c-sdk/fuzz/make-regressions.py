#!/usr/bin/env python3
"""Writes c-sdk/fuzz/regressions/*.gz: one input per hostile-segment defect the
C reader once had, made from test-vectors/basic.seg by overwriting fields.
The fuzz target replays them (run-fuzz.sh seeds, ctest fuzz_corpus_replay).

    python3 c-sdk/fuzz/make-regressions.py
"""
import gzip
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))
base = open(os.path.join(here, "..", "..", "test-vectors", "basic.seg"), "rb").read()
size = len(base)
slot_count, slot_header_size, slots_offset, slot_stride = struct.unpack_from("<IIQQ", base, 72)
stack_depth, frame_size, ring_capacity = struct.unpack_from("<III", base, 96)
slot0 = slots_offset
ring0 = slot0 + slot_header_size + stack_depth * frame_size
tail0 = struct.unpack_from("<Q", base, slot0 + 128)[0]


def put(data, offset, fmt, value):
    struct.pack_into(fmt, data, offset, value)


def variant(name, *writes):
    data = bytearray(base)
    for offset, fmt, value in writes:
        put(data, offset, fmt, value)
    with open(os.path.join(here, "regressions", name + ".gz"), "wb") as out:
        out.write(gzip.compress(bytes(data), 9, mtime=0))


os.makedirs(os.path.join(here, "regressions"), exist_ok=True)
# slots_offset past the file: (size - slots_offset) wrapped and the slots were read out of bounds
variant("slots-offset-past-the-file", (80, "<Q", size + 4096))
# a record length whose 32-bit align8 is 0: the drain never advanced
variant("record-length-align8-wraps", (ring0, "<I", 0xFFFFFFF9))
variant("record-length-uint32-max", (ring0, "<I", 0xFFFFFFFF))
# positions across 2^64: tail < head, the ring was skipped without a count
variant("positions-wrapped-past-2-64", (slot0 + 256, "<Q", 2**64 - 16), (slot0 + 128, "<Q", tail0 - 16))
# a misaligned head
variant("head-not-8-aligned", (slot0 + 256, "<Q", 4))
# misaligned slot geometry, read as misaligned 8-byte atomics
variant("slots-offset-misaligned", (80, "<Q", slots_offset + 4))
variant("slot-header-size-misaligned", (76, "<I", slot_header_size + 4))
variant("slot-stride-misaligned", (88, "<Q", slot_stride - 4))
# a padding record in the middle of the ring hid the records after it
variant("padding-mid-ring", (ring0 + 4, "<H", 2))
