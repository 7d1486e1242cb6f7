"""HJ 212 CRC-16 (as the standard defines it) and CRC-16/MODBUS (which some field devices send instead).

The standard's algorithm (HJ 212-2017 appendix; identical in HJ/T 212-2005)::

    reg = 0xFFFF
    for byte in data:
        reg = (reg >> 8) ^ byte
        repeat 8 times: shift reg right by one; if the bit shifted out was 1, reg ^= 0xA001

Unlike CRC-16/MODBUS (``reg ^= byte``), ``(reg >> 8) ^ byte`` keeps only the high byte of the previous
register, so the carried state is 8 bits wide: with ``T`` the 256-entry table of the reflected polynomial
0xA001 and ``H[x] = T[x] >> 8``, the state evolves as ``s = H[s ^ byte]`` and the result is
``T[s ^ last_byte]``. ``H`` is linear over GF(2) and ``H**8`` is the identity, so the state after the
message depends only on the XOR of the bytes in each of the 8 residue classes of their distance from the
end. :func:`crc16` uses that: it XOR-folds the message into one 64-bit word with a handful of big-integer
operations (C speed) and finishes with four 16-bit table lookups, about 3x faster than the byte loop in
CPython. :func:`crc16_reference` is the plain table loop, kept as the executable definition the tests
compare against.

Verified against public implementations (C# IceCoffee.HJ212 ``Utils.CRC16``, Java hj212-protocol
``crc16Checkout``) and against field packets whose CRCs were computed by their senders.
"""

from __future__ import annotations

__all__ = ["crc16", "crc16_modbus", "crc16_reference"]


def _reflected_table(poly: int) -> tuple[int, ...]:
    table = []
    for x in range(256):
        reg = x
        for _ in range(8):
            reg = (reg >> 1) ^ poly if reg & 1 else reg >> 1
        table.append(reg)
    return tuple(table)


_T = _reflected_table(0xA001)
_H = tuple(t >> 8 for t in _T)


def _h_power(r: int, x: int) -> int:
    for _ in range(r):
        x = _H[x]
    return x


def _pair_table(j: int) -> tuple[int, ...]:
    # bytes at distance 2j (low) and 2j+1 (high) from the end of the folded 64-bit word
    low = [_h_power(2 * j, b) for b in range(256)]
    high = [_h_power(2 * j + 1, b) for b in range(256)]
    return tuple(high[v >> 8] ^ low[v & 0xFF] for v in range(65536))


_P0, _P1, _P2, _P3 = (_pair_table(j) for j in range(4))
# contribution of the initial register's high byte 0xFF, by (len - 1) mod 8
_INIT = tuple(_h_power(r, 0xFF) for r in range(8))
_MASKS = tuple((1 << (64 << k)) - 1 for k in range(16))


def crc16(data: bytes) -> int:
    """HJ 212 CRC-16 of ``data`` (the data segment), as the standard defines it."""
    n = len(data)
    if n == 0:
        return 0xFFFF
    x = int.from_bytes(data, "big")
    limbs = (n + 7) >> 3
    k = (limbs - 1).bit_length()  # smallest k with 2**k >= limbs
    masks = _MASKS
    while k:
        k -= 1
        x = (x >> (64 << k)) ^ (x & masks[k])
    return _T[
        _P0[x & 0xFFFF]
        ^ _P1[(x >> 16) & 0xFFFF]
        ^ _P2[(x >> 32) & 0xFFFF]
        ^ _P3[x >> 48]
        ^ _INIT[(n - 1) & 7]
    ]


def crc16_reference(data: bytes) -> int:
    """The same CRC as :func:`crc16`, computed byte by byte (slow; the executable definition)."""
    reg = 0xFFFF
    table = _T
    for byte in data:
        reg = table[((reg >> 8) ^ byte) & 0xFF]
    return reg


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS (init 0xFFFF, reflected polynomial 0xA001, ``reg ^= byte``); check value 0x4B37."""
    reg = 0xFFFF
    table = _T
    for byte in data:
        reg = (reg >> 8) ^ table[(reg ^ byte) & 0xFF]
    return reg
