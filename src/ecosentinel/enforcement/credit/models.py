"""ORM model of a joint-punishment credit record (失信记录): one per penalised subject of a penalty decision.

Created by migration 0014. The subject is an enterprise, an O&M agency or a responsible person; the
identifier is the unified social credit code (organisations) or the ID number (persons). The publicity
period and the rule that set it are recorded with the record, so a later change of the rules does not
rewrite history.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosentinel.database import Base


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CreditRecord(Base):
    """A penalty decision on falsification, as credit platforms need it (行政处罚信用信息)."""

    __tablename__ = "credit_record"
    __table_args__ = (sa.UniqueConstraint("penalty_id", "subject_kind", "identifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)  # 记录编号 XY2025000001
    penalty_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enf_penalty.id", ondelete="SET NULL"), index=True
    )
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enf_case.id", ondelete="SET NULL"), index=True)
    subject_kind: Mapped[str] = mapped_column(sa.String(16), index=True)  # SubjectKind value
    subject_name: Mapped[str] = mapped_column(sa.String(200))
    identifier_type: Mapped[str] = mapped_column(sa.String(16))  # IdentifierType value
    identifier: Mapped[str] = mapped_column(sa.String(64))  # 统一社会信用代码 / 身份证号码
    enterprise_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enterprise.id", ondelete="SET NULL"), index=True
    )
    agency_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("om_agency.id", ondelete="SET NULL"), index=True
    )
    employer_name: Mapped[str | None] = mapped_column(sa.String(200))  # a person's enterprise or agency
    decision_no: Mapped[str] = mapped_column(sa.String(100))  # 行政处罚决定书文号
    decided_on: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    offence: Mapped[str] = mapped_column(sa.String(100))  # 违法行为类型
    facts: Mapped[str] = mapped_column(sa.Text)  # 违法事实
    legal_basis: Mapped[str] = mapped_column(sa.Text)  # 处罚依据
    penalty_kind: Mapped[str] = mapped_column(sa.String(100))  # 处罚类别 (罚款, 行政拘留 …)
    content: Mapped[str] = mapped_column(sa.Text)  # 处罚内容
    fine_wan: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 4))
    authority: Mapped[str] = mapped_column(sa.String(200))  # 处罚机关
    authority_code: Mapped[str] = mapped_column(sa.String(18))  # 处罚机关统一社会信用代码
    severity: Mapped[str] = mapped_column(sa.String(16))  # Severity value: general / serious
    rule: Mapped[str] = mapped_column(sa.Text)  # the publicity rule applied, in Chinese, as recorded
    publicity_start: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    publicity_end: Mapped[dt.date] = mapped_column(sa.Date, index=True)  # last day shown
    earliest_withdrawal: Mapped[dt.date] = mapped_column(sa.Date)  # 最短公示期满 (after rectification)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    withdrawal_reason: Mapped[str | None] = mapped_column(sa.Text)
    withdrawn_by: Mapped[str | None] = mapped_column(sa.String(64))
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)
