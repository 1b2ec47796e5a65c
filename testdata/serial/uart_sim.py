#!/usr/bin/env python3
"""A bit-level UART written apart from the C model (src/diagnose/uart.c), to make the diagnose
end-to-end inputs of testdata/serial/ once: a sender drives the line (start bit 0, data LSB
first, parity, stop bits 1, idle 1) and a receiver at another setting samples it in mid-bit,
as a port does. Usage (the files checked in were made with README.md's commands):

  uart_sim.py VECTOR.hex REPS TX RX POLICY OUT [--hex]

TX, RX: BAUD:DPS (2400:8E1). POLICY: keep (a byte with a framing or parity error is delivered as
read: termios without INPCK) or zero (delivered as 00: INPCK without PARMRK)."""
import bisect
import sys

TICKS_PER_SECOND = 1843200  # 16 x 115200: every usual rate is a whole number of ticks a bit


def parse(text):
    baud, dps = text.split(":")
    return int(baud), int(dps[0]), dps[1].upper(), int(dps[2])


def parity_bit(v, bits, parity):
    ones = bin(v & ((1 << bits) - 1)).count("1")
    return {"E": ones & 1, "O": (ones & 1) ^ 1}[parity]


class Line:
    def __init__(self):
        self.starts, self.levels, self.end = [], [], 0

    def add(self, level, ticks):
        if self.levels and self.levels[-1] == level:
            self.end += ticks
            return
        self.starts.append(self.end)
        self.levels.append(level)
        self.end += ticks

    def at(self, t):
        return self.levels[bisect.bisect_right(self.starts, t) - 1] if t < self.end else 1

    def put(self, v, setting):
        baud, bits, parity, stop = setting
        bit = TICKS_PER_SECOND // baud
        self.add(0, bit)
        for i in range(bits):
            self.add((v >> i) & 1, bit)
        if parity != "N":
            self.add(parity_bit(v, bits, parity), bit)
        self.add(1, stop * bit)

    def next_fall(self, t):
        """The first 1 -> 0 edge at or after t."""
        i = bisect.bisect_left(self.starts, t)
        while i < len(self.starts):
            if self.levels[i] == 0 and i > 0 and self.levels[i - 1] == 1:
                return self.starts[i]
            i += 1
        return None


def receive(line, setting, policy):
    baud, bits, parity, stop = setting
    bit = TICKS_PER_SECOND // baud
    out, t = bytearray(), 0
    while True:
        s = line.next_fall(t)
        if s is None:
            return out
        if line.at(s + bit // 2) != 0:  # a glitch, not a start bit
            t = s + 1
            continue
        v = 0
        for i in range(bits):
            v |= line.at(s + bit // 2 + (i + 1) * bit) << i
        k = bits + 1
        bad = False
        if parity != "N":
            bad = line.at(s + bit // 2 + k * bit) != parity_bit(v, bits, parity)
            k += 1
        stop_at = s + bit // 2 + k * bit
        bad = bad or line.at(stop_at) != 1
        out.append(0 if bad and policy == "zero" else v)
        t = stop_at


def main():
    vector_path, reps, tx, rx, policy, out_path = sys.argv[1:7]
    text = "".join(l for l in open(vector_path) if not l.startswith("#"))  # "#" lines: comments
    vector = bytes.fromhex("".join(text.split()))
    tx, rx = parse(tx), parse(rx)
    bit = TICKS_PER_SECOND // tx[0]
    line = Line()
    line.add(1, 40 * bit + 13)
    for k in range(int(reps)):
        for v in vector:
            line.put(v, tx)
        line.add(1, (25 + 7 * k) * bit + 1 + 311 * k)  # idle gaps that are not whole bit times
    got = receive(line, rx, policy)
    with open(out_path, "w" if "--hex" in sys.argv else "wb") as f:
        if "--hex" in sys.argv:
            for i in range(0, len(got), 32):
                f.write(got[i:i + 32].hex(" ").upper() + "\n")
        else:
            f.write(got)


if __name__ == "__main__":
    main()
