#!/usr/bin/env python3
"""The kernel's side of check.sh: drives gvisor-target over real sockets.

  check.py sink ADDR PORT SECS TAP FRAMES
                                 write to the sink for SECS, half-close, wait
                                 for its close (so every byte was read);
                                 print MB/s
  check.py recv PORT SECS TAP FRAMES
                                 accept one connection from the sender, read
                                 for SECS, print MB/s, close (its next write
                                 fails and it exits)
With FRAMES "gso" the TAP's frames in the direction measured must average
more than an Ethernet frame (the offload is in use); with "plain", at most.
  check.py echo ADDR PORT CONNS ROUNDS SIZE
                                 CONNS connections at once, each ROUNDS
                                 round trips of SIZE bytes, every reply
                                 compared with what was sent; print the
                                 transactions per second
Any failure exits non-zero with a message on stderr.
"""
import socket
import sys
import threading
import time

CHUNK = 1 << 16
MAX_PLAIN_FRAME = 1514


class TapCounter:
    """Bytes and frames through TAP, from sysfs (ip netns exec mounts the
    namespace's own). The kernel transmits to gvisor-target ("tx") and
    receives from it ("rx")."""

    def __init__(self, tap, direction):
        self.path = "/sys/class/net/%s/statistics/%s_" % (tap, direction)
        self.start = self.read()

    def read(self):
        with open(self.path + "bytes") as b, open(self.path + "packets") as p:
            return int(b.read()), int(p.read())

    def check(self, frames):
        (b1, p1), (b0, p0) = self.read(), self.start
        avg = (b1 - b0) / max(1, p1 - p0)
        if frames == "gso" and avg <= MAX_PLAIN_FRAME:
            sys.exit("check.py: frames average %.0f B: the offload is not in use" % avg)
        if frames == "plain" and avg > MAX_PLAIN_FRAME:
            sys.exit("check.py: frames average %.0f B with the offload off" % avg)
        return "frames average %.0f B" % avg


def sink(addr, port, secs, tap, frames):
    counter = TapCounter(tap, "tx")
    s = socket.create_connection((addr, port), timeout=10)
    buf = bytes(CHUNK)
    sent, start = 0, time.monotonic()
    while time.monotonic() - start < secs:
        sent += s.send(buf)
    s.shutdown(socket.SHUT_WR)
    if s.recv(1) != b"":
        sys.exit("check.py sink: the sink sent data back")
    elapsed = time.monotonic() - start
    print("%.0f MB/s (%d MB in %.1f s), %s" %
          (sent / elapsed / 1e6, sent >> 20, elapsed, counter.check(frames)))


def recv(port, secs, tap, frames):
    ln = socket.socket()
    ln.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ln.bind(("0.0.0.0", port))
    ln.listen(1)
    ln.settimeout(20)
    c, _ = ln.accept()
    c.settimeout(10)
    buf = bytearray(CHUNK)
    got = c.recv_into(buf)  # the clock starts at the first byte
    counter = TapCounter(tap, "rx")
    start = time.monotonic()
    while time.monotonic() - start < secs:
        n = c.recv_into(buf)
        if n == 0:
            sys.exit("check.py recv: the sender closed early")
        got += n
    elapsed = time.monotonic() - start
    frames = counter.check(frames)
    c.close()
    print("%.0f MB/s (%d MB in %.1f s), %s" % (got / elapsed / 1e6, got >> 20, elapsed, frames))


def echo_conn(addr, port, rounds, size, errors, idx):
    try:
        s = socket.create_connection((addr, port), timeout=10)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for r in range(rounds):
            msg = bytes([(idx + r) & 0xFF]) * size
            s.sendall(msg)
            back = b""
            while len(back) < size:
                part = s.recv(size - len(back))
                if not part:
                    raise RuntimeError("closed after %d of %d bytes" % (len(back), size))
                back += part
            if back != msg:
                raise RuntimeError("round %d: reply differs from request" % r)
        s.close()
    except Exception as e:  # reported by the main thread
        errors.append("connection %d: %s" % (idx, e))


def echo(addr, port, conns, rounds, size):
    errors = []
    threads = [threading.Thread(target=echo_conn, args=(addr, port, rounds, size, errors, i))
               for i in range(conns)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    if errors:
        sys.exit("check.py echo: %d of %d connections failed; first: %s" % (len(errors), conns, errors[0]))
    print("%d connections x %d round trips of %d B: %.0f transactions/s" %
          (conns, rounds, size, conns * rounds / elapsed))


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "sink":
        sink(args[0], int(args[1]), float(args[2]), args[3], args[4])
    elif cmd == "recv":
        recv(int(args[0]), float(args[1]), args[2], args[3])
    elif cmd == "echo":
        echo(args[0], int(args[1]), int(args[2]), int(args[3]), int(args[4]))
    else:
        sys.exit("check.py: unknown command %r (sink, recv or echo)" % cmd)


if __name__ == "__main__":
    main(sys.argv)
