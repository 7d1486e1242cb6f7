"""ORM models of the problem ledger (台账), inspection plans, double-random draws and report contacts.

Imported by ``ecosentinel.schema``; the tables are created by migration 0007. Links to enforcement tasks and
cases are plain integer columns (no foreign key), so this module does not depend on the task/case tables.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecosentinel.database import Base


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class LedgerProblem(Base):
    """One problem found on site or referred (现场检查发现问题), a row of seed 001 附表2 part 2."""

    __tablename__ = "ledger_problem"

    id: Mapped[int] = mapped_column(primary_key=True)
    found_on: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    category: Mapped[str] = mapped_column(sa.String(32))  # ProblemCategory value
    category_note: Mapped[str | None] = mapped_column(sa.String(200))  # required for 其他
    description: Mapped[str] = mapped_column(sa.Text)
    enterprise_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enterprise.id", ondelete="SET NULL"), index=True
    )
    enterprise_name: Mapped[str] = mapped_column(sa.String(200))  # 企业(点位)名称 as filed
    point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("point.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(sa.String(32))  # ProblemSource value
    source_note: Mapped[str | None] = mapped_column(sa.String(200))  # required for 其他
    deadline: Mapped[dt.date | None] = mapped_column(sa.Date, index=True)  # 整改时限
    rectified_on: Mapped[dt.date | None] = mapped_column(sa.Date)  # 完成整改
    rectification_note: Mapped[str | None] = mapped_column(sa.Text)
    task_id: Mapped[int | None] = mapped_column(sa.Integer)  # enforcement task, when it came from one
    case_id: Mapped[int | None] = mapped_column(sa.Integer)  # enforcement case, when one was opened
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), default=_utcnow, onupdate=_utcnow
    )

    actions: Mapped[list[LedgerAction]] = relationship(
        back_populates="problem", cascade="all, delete-orphan", order_by="LedgerAction.id"
    )


class LedgerAction(Base):
    """One measure taken on a problem (批评教育, 约谈, 责令改正, 行政处罚 …); each kind at most once."""

    __tablename__ = "ledger_action"
    __table_args__ = (sa.UniqueConstraint("problem_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ledger_problem.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(32))  # ActionKind value
    fine_wan: Mapped[float | None] = mapped_column(sa.Float)  # 罚款金额（万元）, penalties only
    decision_no: Mapped[str | None] = mapped_column(sa.String(100))  # 处罚决定书文号
    decided_on: Mapped[dt.date | None] = mapped_column(sa.Date)  # decision date; a penalty is public after it
    public_summary: Mapped[str | None] = mapped_column(sa.Text)  # 违法事实摘要 for public disclosure
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)

    problem: Mapped[LedgerProblem] = relationship(back_populates="actions")


class InspectionPlan(Base):
    """An annual or special inspection plan (现场检查计划 / 专项执法现场检查计划) with its phases."""

    __tablename__ = "inspection_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # PlanKind value
    title: Mapped[str] = mapped_column(sa.String(200))
    scope: Mapped[str | None] = mapped_column(sa.Text)  # 检查范围
    focus: Mapped[str | None] = mapped_column(sa.Text)  # 检查重点
    departments: Mapped[str | None] = mapped_column(sa.Text)  # 参与部门
    start_on: Mapped[dt.date] = mapped_column(sa.Date)
    end_on: Mapped[dt.date] = mapped_column(sa.Date)
    planned_inspections: Mapped[int | None] = mapped_column(sa.Integer)  # target number of inspections
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)

    phases: Mapped[list[PlanPhase]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanPhase.seq"
    )


class PlanPhase(Base):
    """A phase of a plan (动员部署 / 全面实施 / 总结提高 …) with its dates."""

    __tablename__ = "plan_phase"
    __table_args__ = (sa.UniqueConstraint("plan_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("inspection_plan.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(100))
    start_on: Mapped[dt.date] = mapped_column(sa.Date)
    end_on: Mapped[dt.date] = mapped_column(sa.Date)
    description: Mapped[str | None] = mapped_column(sa.Text)

    plan: Mapped[InspectionPlan] = relationship(back_populates="phases")


class PositiveListEntry(Base):
    """An enterprise on the positive list (监督执法正面清单): exempt from random draws while valid."""

    __tablename__ = "positive_list_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(300))
    valid_from: Mapped[dt.date] = mapped_column(sa.Date)
    valid_until: Mapped[dt.date | None] = mapped_column(sa.Date)
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)


class RandomDraw(Base):
    """A double-random draw (双随机): seed, pool snapshot, parameters and result, re-runnable for audit."""

    __tablename__ = "random_draw"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("inspection_plan.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    drawn_on: Mapped[dt.date] = mapped_column(sa.Date, index=True)  # the day the draw applies to
    drawn_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)
    drawn_by: Mapped[str] = mapped_column(sa.String(64))
    algorithm: Mapped[str] = mapped_column(sa.String(32))
    seed: Mapped[str] = mapped_column(sa.String(64))
    params: Mapped[str] = mapped_column(sa.Text)  # canonical JSON
    pool_snapshot: Mapped[str] = mapped_column(sa.Text)  # canonical JSON
    snapshot_hash: Mapped[str] = mapped_column(sa.String(64))
    result: Mapped[str] = mapped_column(sa.Text)  # canonical JSON
    result_hash: Mapped[str] = mapped_column(sa.String(64))
    published_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))

    selections: Mapped[list[DrawSelection]] = relationship(
        back_populates="draw", cascade="all, delete-orphan", order_by="DrawSelection.rank"
    )


class DrawSelection(Base):
    """One enterprise selected by a draw, its inspectors and, later, the inspection's outcome."""

    __tablename__ = "draw_selection"
    __table_args__ = (sa.UniqueConstraint("draw_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(sa.ForeignKey("random_draw.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(sa.Integer)
    enterprise_id: Mapped[int] = mapped_column(sa.Integer, index=True)  # snapshot: survives registry edits
    enterprise_name: Mapped[str] = mapped_column(sa.String(200))
    task_id: Mapped[int | None] = mapped_column(sa.Integer)
    inspected_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    outcome: Mapped[str | None] = mapped_column(sa.Text)  # 检查结果 as published
    problems_found: Mapped[int | None] = mapped_column(sa.Integer)

    draw: Mapped[RandomDraw] = relationship(back_populates="selections")
    inspectors: Mapped[list[DrawInspector]] = relationship(
        back_populates="selection", cascade="all, delete-orphan", order_by="DrawInspector.id"
    )


class DrawInspector(Base):
    """An inspector drawn for a selected enterprise (执法检查人员)."""

    __tablename__ = "draw_inspector"

    id: Mapped[int] = mapped_column(primary_key=True)
    selection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("draw_selection.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))

    selection: Mapped[DrawSelection] = relationship(back_populates="inspectors")


class ReportContact(Base):
    """A row of seed 001 附表1 (单位分管负责人和联络员名单)."""

    __tablename__ = "report_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(100))
    unit: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[str | None] = mapped_column(sa.String(100))
    phone: Mapped[str | None] = mapped_column(sa.String(50))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)
