"""Identifier checks of the registry: the unified social credit code (统一社会信用代码, GB 32100-2015)."""

from __future__ import annotations

from ecosentinel.registry import messages

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 code characters of GB 32100-2015 (no I, O, S, V, Z); a character's value is its index."""
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
"""Weights of positions 1-17 (3^(i-1) mod 31)."""


def credit_check_char(body17: str) -> str:
    """The check character (position 18) of the first 17 characters of a credit code."""
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(body17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """What is wrong with a unified social credit code (Chinese message), or None when it is valid."""
    if len(code) != 18:
        return messages.CREDIT_LENGTH.format(length=len(code))
    bad = sorted({c for c in code if c not in CREDIT_ALPHABET})
    if bad:
        return messages.CREDIT_CHARS.format(chars="".join(bad))
    if not code[2:8].isdigit():
        return messages.CREDIT_REGION
    expected = credit_check_char(code[:17])
    if code[17] != expected:
        return messages.CREDIT_CHECK.format(got=code[17], expected=expected)
    return None
