#!/usr/bin/env python3
"""extract_vmlinux.py BZIMAGE OUT: the uncompressed kernel ELF inside a bzImage (zstd, xz or
gzip payload), so qemu can boot it through PVH without decompressing in the (emulated) guest."""
import lzma
import subprocess
import sys
import zlib


def unzstd(b):
    return subprocess.run(["zstd", "-dcq"], input=b, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout


d = open(sys.argv[1], "rb").read()
for magic, dec in ((b"\x28\xb5\x2f\xfd", unzstd),
                   (b"\xfd7zXZ\x00", lambda b: lzma.LZMADecompressor().decompress(b)),
                   (b"\x1f\x8b\x08\x00", lambda b: zlib.decompressobj(31).decompress(b))):
    i = d.find(magic)
    if i >= 0:
        try:
            out = dec(d[i:])
        except Exception:
            continue
        if out[:4] == b"\x7fELF":
            open(sys.argv[2], "wb").write(out)
            sys.exit(0)
sys.exit(1)
