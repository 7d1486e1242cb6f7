"""ORM models of the enforcement workflow: warnings (预警), tasks (执法任务), on-site inspections (现场检查),
cases (案件) and their transfer to police or prosecutors (行刑衔接).

The problem ledger, plans, draws and report forms live in ``ledger.models`` (migration 0007). Status values
are stable lowercase strings; their Chinese names are in ``messages``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecosentinel.database import Base


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_TS = sa.DateTime(timezone=True)


class WarningStatus(StrEnum):
    NEW = "new"  # 新预警
    UNDER_REVIEW = "under_review"  # 研判中
    DISMISSED = "dismissed"  # 已排除
    ESCALATED = "escalated"  # 已转任务


class OutcomeResult(StrEnum):
    """What became of a warning (the feedback that rule reliability is computed from)."""

    CONFIRMED = "confirmed"  # 查实: the inspection found falsification or a real problem
    REFUTED = "refuted"  # 未查实: inspected, nothing found
    DISMISSED = "dismissed"  # 排除: dismissed at triage, with a reason category


class DismissCategory(StrEnum):
    """Why a warning was dismissed (or, optionally, why an inspection found nothing)."""

    FALSE_ALARM = "false_alarm"  # 误报/数据正常
    MAINTENANCE = "maintenance"  # 运维校准
    EQUIPMENT_FAULT = "equipment_fault"  # 设备故障
    PRODUCTION_CHANGE = "production_change"  # 生产工况变化
    WEATHER = "weather"  # 降雨/天气
    DUPLICATE = "duplicate"  # 重复预警 (says nothing about the rule)
    OTHER = "other"  # 其他 (says nothing about the rule)


class OutcomeStep(StrEnum):
    TRIAGE = "triage"  # 预警研判
    INSPECTION = "inspection"  # 现场检查


class TaskSource(StrEnum):
    WARNING = "warning"  # 预警派发
    COMPLAINT = "complaint"  # 12369 投诉举报
    REFERRAL = "referral"  # 上级转办
    RANDOM = "random"  # 双随机抽查


class TaskStatus(StrEnum):
    PENDING = "pending"  # 待派发
    DISPATCHED = "dispatched"  # 已派发
    IN_PROGRESS = "in_progress"  # 处理中
    COMPLETED = "completed"  # 已完成
    RETURNED = "returned"  # 已退回
    CANCELLED = "cancelled"  # 已撤销


class CheckResult(StrEnum):
    CONFORM = "conform"  # 符合
    NONCONFORM = "nonconform"  # 不符合
    NOT_APPLICABLE = "na"  # 不适用


class InspectionStatus(StrEnum):
    DRAFT = "draft"  # 填写中
    SUBMITTED = "submitted"  # 已提交（签字）


class CaseStatus(StrEnum):
    OPEN = "open"  # 立案调查
    TRANSFERRED = "transferred"  # 已移送
    CLOSED = "closed"  # 已结案


class TransferRecipient(StrEnum):
    POLICE = "police"  # 公安机关
    PROCURATORATE = "procuratorate"  # 检察机关


class TransferKind(StrEnum):
    DETENTION = "detention"  # 移送行政拘留
    CRIMINAL = "criminal"  # 涉嫌犯罪移送


class EnforcementWarning(Base):
    """A green/yellow/red warning (预警) on one monitoring point over a period, built from screening findings.

    Findings of the same point whose days overlap or touch an open warning are merged into it.
    """

    __tablename__ = "enf_warning"

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("point.id", ondelete="SET NULL"), index=True)
    mn: Mapped[str] = mapped_column(sa.String(24), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enterprise.id", ondelete="SET NULL"), index=True
    )
    colour: Mapped[str] = mapped_column(sa.String(8))  # screening Colour value
    score: Mapped[float] = mapped_column(sa.Float)
    period_start: Mapped[dt.datetime] = mapped_column(_TS)  # start of the first CST day
    period_end: Mapped[dt.datetime] = mapped_column(_TS)  # end (exclusive) of the last CST day
    rules: Mapped[list[str]] = mapped_column(sa.JSON, server_default="[]")  # rule codes, sorted
    summary_zh: Mapped[str] = mapped_column(sa.Text)
    # the evidence that set the colour, from the worst point-day (detection.scoring fusion), in Chinese
    basis_zh: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    dismiss_reason: Mapped[str | None] = mapped_column(sa.Text)
    reviewed_by: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)

    findings: Mapped[list[WarningFinding]] = relationship(
        back_populates="warning", cascade="all, delete-orphan", order_by="WarningFinding.start"
    )
    outcome: Mapped[WarningOutcome | None] = relationship(
        back_populates="warning", cascade="all, delete-orphan", uselist=False
    )


class WarningOutcome(Base):
    """The outcome of one warning: confirmed or refuted on site, or dismissed at triage with a category.

    One row per warning (the latest word; every change is in the audit trail with the value before it).
    """

    __tablename__ = "enf_warning_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enf_warning.id", ondelete="CASCADE"), unique=True, index=True
    )
    result: Mapped[str] = mapped_column(sa.String(16), index=True)  # OutcomeResult value
    category: Mapped[str | None] = mapped_column(sa.String(32))  # DismissCategory value
    reason: Mapped[str] = mapped_column(sa.Text)  # free text: why dismissed / what the inspection found
    step: Mapped[str] = mapped_column(sa.String(16))  # OutcomeStep value
    inspection_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enf_inspection.id", ondelete="SET NULL"), index=True
    )
    recorded_by: Mapped[str] = mapped_column(sa.String(64))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.Integer)
    recorded_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)

    warning: Mapped[EnforcementWarning] = relationship(back_populates="outcome")


class WarningFinding(Base):
    """A screening finding attached to a warning, with a snapshot of its evidence (kept as it was seen)."""

    __tablename__ = "enf_warning_finding"
    __table_args__ = (sa.UniqueConstraint("warning_id", "finding_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(sa.ForeignKey("enf_warning.id", ondelete="CASCADE"), index=True)
    finding_id: Mapped[str] = mapped_column(sa.String(40), index=True)  # screening fingerprint
    rule: Mapped[str] = mapped_column(sa.String(64))
    factors: Mapped[list[str]] = mapped_column(sa.JSON, server_default="[]")  # factor codes
    start: Mapped[dt.datetime] = mapped_column(_TS)
    end: Mapped[dt.datetime] = mapped_column(_TS)
    severity: Mapped[str] = mapped_column(sa.String(8))
    score: Mapped[float] = mapped_column(sa.Float)
    explanation_zh: Mapped[str] = mapped_column(sa.Text)
    evidence: Mapped[str] = mapped_column(sa.Text)  # canonical JSON
    added_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)

    warning: Mapped[EnforcementWarning] = relationship(back_populates="findings")


class PatrolReport(Base):
    """A 2-hourly patrol report (平台巡查, seed 004): the warnings new since the previous report's cut-off."""

    __tablename__ = "enf_patrol_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    since: Mapped[dt.datetime | None] = mapped_column(_TS)  # previous cut-off (None: the first report)
    cutoff: Mapped[dt.datetime] = mapped_column(_TS, index=True)
    created_by: Mapped[str] = mapped_column(sa.String(64))
    n_new: Mapped[int] = mapped_column(sa.Integer)
    n_red: Mapped[int] = mapped_column(sa.Integer)
    n_yellow: Mapped[int] = mapped_column(sa.Integer)
    n_green: Mapped[int] = mapped_column(sa.Integer)
    warning_ids: Mapped[str] = mapped_column(sa.Text)  # JSON list
    text_zh: Mapped[str] = mapped_column(sa.Text)


class Task(Base):
    """An enforcement task (执法任务) dispatched to an inspection team with a deadline (指挥调度派发)."""

    __tablename__ = "enf_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    source: Mapped[str] = mapped_column(sa.String(16), index=True)  # TaskSource value
    source_ref: Mapped[str | None] = mapped_column(sa.String(100))  # complaint no., referral doc, draw id
    warning_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enf_warning.id", ondelete="SET NULL"), index=True
    )
    enterprise_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enterprise.id", ondelete="SET NULL"), index=True
    )
    point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("point.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    deadline: Mapped[dt.datetime | None] = mapped_column(_TS)
    result_zh: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)

    members: Mapped[list[TaskMember]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="TaskMember.id"
    )
    history: Mapped[list[TaskHistory]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="TaskHistory.id"
    )


class TaskMember(Base):
    """An officer of the inspection team a task is assigned to; the first one leads."""

    __tablename__ = "enf_task_member"
    __table_args__ = (sa.UniqueConstraint("task_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("enf_task.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    leader: Mapped[bool] = mapped_column(sa.Boolean)

    task: Mapped[Task] = relationship(back_populates="members")


class TaskHistory(Base):
    """One change of a task: who, when, what (痕迹管理)."""

    __tablename__ = "enf_task_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("enf_task.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(_TS)
    actor: Mapped[str] = mapped_column(sa.String(64))
    actor_id: Mapped[int | None] = mapped_column(sa.Integer)
    action: Mapped[str] = mapped_column(sa.String(32))
    from_status: Mapped[str | None] = mapped_column(sa.String(16))
    to_status: Mapped[str] = mapped_column(sa.String(16))
    note: Mapped[str | None] = mapped_column(sa.Text)

    task: Mapped[Task] = relationship(back_populates="history")


class Inspection(Base):
    """An on-site inspection (现场检查) with the 10-point checklist of seed 000."""

    __tablename__ = "enf_inspection"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enf_task.id", ondelete="SET NULL"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enterprise.id", ondelete="SET NULL"), index=True
    )
    point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("point.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(16))
    inspected_at: Mapped[dt.datetime | None] = mapped_column(_TS)
    inspectors: Mapped[str] = mapped_column(sa.String(300))
    prefill: Mapped[str] = mapped_column(sa.Text)  # JSON: screening evidence for the point
    conclusion: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)
    submitted_by: Mapped[str | None] = mapped_column(sa.String(64))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(_TS)

    items: Mapped[list[InspectionItem]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan", order_by="InspectionItem.item_no"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan", order_by="Attachment.id"
    )


class InspectionItem(Base):
    """One point of the checklist: result (符合/不符合/不适用) and notes."""

    __tablename__ = "enf_inspection_item"
    __table_args__ = (sa.UniqueConstraint("inspection_id", "item_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enf_inspection.id", ondelete="CASCADE"), index=True
    )
    item_no: Mapped[int] = mapped_column(sa.Integer)
    result: Mapped[str | None] = mapped_column(sa.String(16))
    notes: Mapped[str | None] = mapped_column(sa.Text)

    inspection: Mapped[Inspection] = relationship(back_populates="items")


class Attachment(Base):
    """An uploaded file (photo, record) stored under the data directory, with its SHA-256."""

    __tablename__ = "enf_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enf_inspection.id", ondelete="CASCADE"), index=True
    )
    item_no: Mapped[int | None] = mapped_column(sa.Integer)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    stored_path: Mapped[str] = mapped_column(sa.String(500))  # relative to the data directory
    uploaded_by: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)

    inspection: Mapped[Inspection | None] = relationship(back_populates="attachments")


case_warning = sa.Table(
    "enf_case_warning",
    Base.metadata,
    sa.Column("case_id", sa.ForeignKey("enf_case.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("warning_id", sa.ForeignKey("enf_warning.id", ondelete="CASCADE"), primary_key=True),
)

case_inspection = sa.Table(
    "enf_case_inspection",
    Base.metadata,
    sa.Column("case_id", sa.ForeignKey("enf_case.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("inspection_id", sa.ForeignKey("enf_inspection.id", ondelete="CASCADE"), primary_key=True),
)


class Case(Base):
    """A case file (案件): findings, evidence, penalties and its transfer (行刑衔接)."""

    __tablename__ = "enf_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)  # 案件编号
    title: Mapped[str] = mapped_column(sa.String(200))
    enterprise_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enterprise.id", ondelete="SET NULL"), index=True
    )
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enf_task.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    facts_zh: Mapped[str] = mapped_column(sa.Text)  # 违法事实
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)

    warnings: Mapped[list[EnforcementWarning]] = relationship(
        secondary=case_warning, order_by="EnforcementWarning.id"
    )
    inspections: Mapped[list[Inspection]] = relationship(secondary=case_inspection, order_by="Inspection.id")
    extracts: Mapped[list[DataExtract]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="DataExtract.id"
    )
    penalties: Mapped[list[Penalty]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Penalty.id"
    )
    transfers: Mapped[list[Transfer]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Transfer.id"
    )
    packs: Mapped[list[EvidencePack]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="EvidencePack.id"
    )


class DataExtract(Base):
    """Readings of one point over a finding window, frozen as CSV with its SHA-256 (证据数据摘录)."""

    __tablename__ = "enf_data_extract"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("enf_case.id", ondelete="CASCADE"), index=True)
    mn: Mapped[str] = mapped_column(sa.String(24))
    codes: Mapped[list[str]] = mapped_column(sa.JSON, server_default="[]")  # factor codes ([] = all)
    kind: Mapped[str] = mapped_column(sa.String(16))  # DataKind value
    start: Mapped[dt.datetime] = mapped_column(_TS)
    end: Mapped[dt.datetime] = mapped_column(_TS)
    finding_id: Mapped[str | None] = mapped_column(sa.String(40))
    rows: Mapped[int] = mapped_column(sa.Integer)
    csv_text: Mapped[str] = mapped_column(sa.Text)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)

    case: Mapped[Case] = relationship(back_populates="extracts")


class Penalty(Base):
    """An administrative penalty (行政处罚) decided in a case: amount in 万元 and legal basis."""

    __tablename__ = "enf_penalty"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("enf_case.id", ondelete="CASCADE"), index=True)
    amount_wan: Mapped[Decimal] = mapped_column(sa.Numeric(12, 4))
    legal_basis: Mapped[str] = mapped_column(sa.Text)
    decision_no: Mapped[str | None] = mapped_column(sa.String(100))  # 处罚决定书文号
    decided_at: Mapped[dt.date | None] = mapped_column(sa.Date)
    ledger_entry_id: Mapped[int | None] = mapped_column(sa.Integer)  # problem-ledger row (migration 0007)
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)

    case: Mapped[Case] = relationship(back_populates="penalties")


class Transfer(Base):
    """Transfer of a case to police or prosecutors (移送) with the documents seed 002 names."""

    __tablename__ = "enf_transfer"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("enf_case.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(sa.String(16))  # TransferRecipient value
    recipient_org: Mapped[str] = mapped_column(sa.String(200))  # e.g. 某县公安局
    kind: Mapped[str] = mapped_column(sa.String(16))  # TransferKind value
    letter_no: Mapped[str] = mapped_column(sa.String(100))  # 移送书文号
    letter_text: Mapped[str] = mapped_column(sa.Text)  # 涉嫌犯罪案件移送书
    investigation_report: Mapped[str] = mapped_column(sa.Text)  # 调查报告
    site_record: Mapped[str] = mapped_column(sa.Text)  # 现场勘查笔录
    items_list: Mapped[str] = mapped_column(sa.Text)  # 涉案物品清单 (JSON list)
    cc_procuratorate: Mapped[bool] = mapped_column(sa.Boolean)  # 移送书抄送同级检察机关
    transferred_by: Mapped[str] = mapped_column(sa.String(64))
    transferred_at: Mapped[dt.datetime] = mapped_column(_TS)
    reply: Mapped[str | None] = mapped_column(sa.Text)  # police's written answer: filed or not (是否立案)
    reply_at: Mapped[dt.datetime | None] = mapped_column(_TS)

    case: Mapped[Case] = relationship(back_populates="transfers")


class EvidencePack(Base):
    """An exported PDF evidence pack (证据包) and its own SHA-256."""

    __tablename__ = "enf_evidence_pack"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("enf_case.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    stored_path: Mapped[str | None] = mapped_column(sa.String(500))
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)

    case: Mapped[Case] = relationship(back_populates="packs")


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored timestamp as aware UTC (SQLite hands back naive UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class ResponseKind(StrEnum):
    EXPLANATION = "explanation"  # 情况说明
    RECTIFICATION = "rectification"  # 整改材料


class WarningResponse(Base):
    """An enterprise's answer to one of its warnings (情况说明) or its rectification evidence (整改材料),
    with an optional document stored under the data directory with its SHA-256."""

    __tablename__ = "enf_warning_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(sa.ForeignKey("enf_warning.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enterprise.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16))
    text: Mapped[str] = mapped_column(sa.Text)
    filename: Mapped[str | None] = mapped_column(sa.String(255))
    content_type: Mapped[str | None] = mapped_column(sa.String(100))
    size: Mapped[int | None] = mapped_column(sa.BigInteger)
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    stored_path: Mapped[str | None] = mapped_column(sa.String(500))  # relative to the data directory
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)
