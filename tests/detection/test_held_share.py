"""``_common.held_share`` on numpy: the share polars' ``diff() == 0`` gives, edge values included."""

import random

import polars as pl
import pytest

from ecosentinel.detection.rules._common import held_share


def _reference(values: pl.Series) -> float:
    v = values.drop_nulls()
    if v.len() < 2:
        return 0.0
    share = (v.diff().drop_nulls() == 0).mean()
    return float(share) if isinstance(share, int | float) else 0.0


@pytest.mark.parametrize("seed", range(10))
def test_held_share_is_the_polars_share(seed: int) -> None:
    rng = random.Random(seed)
    floats = [1.0, 2.0, 2.5, float("inf"), float("-inf"), float("nan"), None, 0.0, -0.0, 1e308, -1e308]
    ints = [1, 2, None, 2**62, -(2**62)]
    for _ in range(300):
        n = rng.randint(0, 30)
        f = pl.Series([rng.choice(floats) for _ in range(n)], dtype=pl.Float64)
        assert held_share(f) == _reference(f)
        i = pl.Series([rng.choice(ints) for _ in range(n)], dtype=pl.Int64)
        assert held_share(i) == _reference(i)
