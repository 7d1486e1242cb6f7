"""ORM model of the enterprise evaluation (环保脸谱): one row per enterprise and period, kept as history."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecosentinel.database import Base
from ecosentinel.registry.models import Enterprise


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class EnterpriseEvaluation(Base):
    """The evaluation of one enterprise for one period (quarter or month): component scores and colour."""

    __tablename__ = "enterprise_evaluation"
    __table_args__ = (sa.UniqueConstraint("enterprise_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(sa.String(8), index=True)  # 2026Q3 or 2026-09
    installation: Mapped[float] = mapped_column(sa.Float)  # 安装
    networking: Mapped[float] = mapped_column(sa.Float)  # 联网
    operation: Mapped[float] = mapped_column(sa.Float)  # 运行
    data_quality: Mapped[float] = mapped_column(sa.Float)  # 数据质量
    findings_score: Mapped[float] = mapped_column(sa.Float)  # 异常线索
    penalties_score: Mapped[float] = mapped_column(sa.Float)  # 行政处罚
    score: Mapped[float] = mapped_column(sa.Float)
    grade: Mapped[str] = mapped_column(sa.String(16))  # EvaluationGrade value
    colour: Mapped[str] = mapped_column(sa.String(8))  # green / blue / yellow / red
    findings: Mapped[int] = mapped_column(sa.Integer)
    penalties: Mapped[int] = mapped_column(sa.Integer)
    detail: Mapped[str] = mapped_column(sa.Text)  # JSON: the inputs behind each component
    published: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    published_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    computed_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)
    computed_by: Mapped[str] = mapped_column(sa.String(64))

    enterprise: Mapped[Enterprise] = relationship()
