"""Demo accounts, one per role, for ``ecosentinel demo`` (``make run``): local use only.

Outside ``ECOSENTINEL_ENV=local`` the fixed demo password is refused (ConfigError), like the default secret.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.accounts.service import add_user
from ecosentinel.auth.models import User
from ecosentinel.auth.roles import ROLE_NAMES_ZH, Role
from ecosentinel.auth.service import SYSTEM
from ecosentinel.config import Settings
from ecosentinel.database import create_engine
from ecosentinel.errors import ConfigError
from ecosentinel.registry.models import Enterprise, OMAgency

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-pass-2026"
DEMO_USERS: tuple[tuple[str, Role, str], ...] = (
    ("admin", Role.ADMIN, "系统管理员"),
    ("analyst", Role.ANALYST, "监控中心 刘分析"),
    ("patrol", Role.PATROL, "环保管家 周巡查"),
    ("officer", Role.OFFICER, "执法支队 陈执法"),
    ("leader", Role.LEADER, "局领导 王局长"),
    ("permit", Role.PERMIT_OFFICE, "许可科 赵科员"),
    ("om", Role.OM_AGENCY, "运维单位账号"),
    ("enterprise", Role.ENTERPRISE, "企业环保专员"),
    ("police", Role.POLICE, "公安联络员 孙警官"),
)


def ensure_demo_accounts(settings: Settings) -> list[tuple[str, str]]:
    """Create the demo accounts that do not exist yet; returns (username, role name) of every demo account.

    The O&M and enterprise accounts are bound to the first registered agency / enterprise (skipped if none).
    """
    if settings.env != "local":
        raise ConfigError("demo accounts with a fixed password are only allowed with ECOSENTINEL_ENV=local")
    engine = create_engine(settings.effective_database_url)
    accounts: list[tuple[str, str]] = []
    try:
        with Session(engine) as session:
            enterprise_id = session.scalar(sa.select(Enterprise.id).order_by(Enterprise.id).limit(1))
            agency_id = session.scalar(sa.select(OMAgency.id).order_by(OMAgency.id).limit(1))
            for username, role, name in DEMO_USERS:
                if role is Role.ENTERPRISE and enterprise_id is None:
                    continue
                if role is Role.OM_AGENCY and agency_id is None:
                    continue
                exists = session.scalar(sa.select(User.id).where(User.username == username))
                if exists is None:
                    add_user(
                        session,
                        SYSTEM,
                        username=username,
                        password=DEMO_PASSWORD,
                        role=role,
                        display_name=name,
                        enterprise_id=enterprise_id if role is Role.ENTERPRISE else None,
                        agency_id=agency_id if role is Role.OM_AGENCY else None,
                    )
                accounts.append((username, ROLE_NAMES_ZH[role]))
            session.commit()
    finally:
        engine.dispose()
    return accounts


def banner(accounts: list[tuple[str, str]]) -> str:
    """The lines of the start banner that list the demo accounts."""
    names = "，".join(f"{u}（{r}）" for u, r in accounts)
    return f" 演示账号（密码均为 {DEMO_PASSWORD}）：{names}\n 公众信息公开页：/public（无需登录）"
