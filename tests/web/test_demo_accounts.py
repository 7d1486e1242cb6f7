"""Demo accounts: one per role in local use, refused elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from ecosentinel.auth.models import User
from ecosentinel.config import Settings
from ecosentinel.database import create_engine, upgrade
from ecosentinel.errors import ConfigError
from ecosentinel.registry.models import Enterprise
from ecosentinel.server.demo_accounts import DEMO_PASSWORD, banner, ensure_demo_accounts


def test_demo_accounts_local_only_and_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.insert(Enterprise).values(name="演示企业", credit_code="91330400DDDDDDDD04"))
    settings = Settings(database_url=url, data_dir=tmp_path)
    first = ensure_demo_accounts(settings)
    again = ensure_demo_accounts(settings)
    assert first == again
    names = [u for u, _ in first]
    assert names == ["admin", "analyst", "patrol", "officer", "leader", "permit", "enterprise", "police"]
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(User)) == 8
        assert conn.scalar(sa.select(User.enterprise_id).where(User.username == "enterprise")) is not None
    assert DEMO_PASSWORD in banner(first)
    with pytest.raises(ConfigError):
        ensure_demo_accounts(Settings(database_url=url, data_dir=tmp_path, env="production"))
    engine.dispose()
