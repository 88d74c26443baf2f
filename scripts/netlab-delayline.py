#!/usr/bin/env python3
"""The network lab's delay line: this kernel has no netem, so delay is added in user space.

The router namespace routes every packet it forwards into the TUN device DEV (policy routing,
set up by the lab); this program reads each one, holds it DELAY ms, and writes it back into DEV,
from where the kernel forwards it on. Every packet crossing the router is delayed once, so the
round trip grows by 2 x DELAY. Order is kept (a packet never leaves before the one ahead of it).

    netlab-delayline.py DEV DELAY_MS

Prints "delayline up" once attached, and a line of counters when it gets SIGTERM.
"""
import collections
import fcntl
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def main():
    dev, delay = sys.argv[1], float(sys.argv[2]) / 1000
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", dev.encode(), IFF_TUN | IFF_NO_PI))
    held = collections.deque()  # (due, packet), due times increasing
    counts = {"in": 0, "out": 0, "write_errors": 0}
    running = [True]
    signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))
    print("delayline up", dev, int(delay * 1000), "ms", flush=True)
    while running[0]:
        timeout = max(0.0, held[0][0] - time.monotonic()) if held else 0.5
        try:
            readable, _, _ = select.select([fd], [], [], timeout)
        except InterruptedError:
            continue
        if readable:
            while True:
                try:
                    packet = os.read(fd, 65535)
                except BlockingIOError:
                    break
                counts["in"] += 1
                held.append((time.monotonic() + delay, packet))
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, packet = held.popleft()
            try:
                os.write(fd, packet)
                counts["out"] += 1
            except OSError:
                counts["write_errors"] += 1
    print("delayline done", counts, "held", len(held), flush=True)


if __name__ == "__main__":
    main()
