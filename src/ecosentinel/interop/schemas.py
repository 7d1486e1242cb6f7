"""Request bodies and responses of the interop API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Host = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TargetIn(_In):
    name: Name
    host: Host
    port: int = Field(ge=1, le=65535)
    cns: str = "2011,2051,2061,2031"
    enabled: bool = True
    only_mapped: bool = False
    backlog: bool = False  # also forward every packet already stored


class TargetUpdate(_In):
    host: Host | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    cns: str | None = None
    enabled: bool | None = None
    only_mapped: bool | None = None


class MappingIn(_In):
    mn: Code
    upstream_mn: Code
    upstream_pw: Code


class MappingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    mn: str
    upstream_mn: str


class TargetStatusRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    host: str
    port: int
    enabled: bool
    cns: str
    queue_depth: int
    acked: int
    last_ack_at: dt.datetime | None
    lag_s: float
    last_connected_at: dt.datetime | None
    last_error: str | None
    mappings: int


class CommandIn(_In):
    command: str  # key of CONTROL_COMMANDS (time_query, time_set, calibrate …)
    params: dict[str, str | int] = Field(default_factory=dict)


class CommandRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    mn: str
    cn: str
    qn: str
    name_zh: str
    purpose: str
    params: dict[str, Any]
    status: str
    status_zh: str
    created_by: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    answered_at: dt.datetime | None
    finished_at: dt.datetime | None
    qn_rtn: int | None
    qn_rtn_zh: str | None
    exe_rtn: int | None
    exe_rtn_zh: str | None
    result: dict[str, Any]
    packets: int
    verified: bool


class BackfillRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    mn: str
    kind: str
    begin: dt.datetime
    end: dt.datetime
    missing: int
    created_at: dt.datetime
    status: str
    packets: int
    qn: str | None


class ValidityRead(BaseModel):
    mn: str
    point_name: str
    code: str
    period: str
    expected: int
    received: int
    valid: int
    transmission_rate: float | None
    valid_rate: float | None
    capture_rate: float | None
    exceeded: int
    exceeded_marked: int
    down: int  # expected hours flagged F/D/P or under an approved fault/stop/shutdown mark
    operating: int  # 运转小时 = expected - down
    operating_rate: float | None  # 运转率 = operating / expected

    @classmethod
    def of(cls, row: Any) -> ValidityRead:
        return cls(
            mn=row.mn,
            point_name=row.point_name,
            code=row.code,
            period=row.period,
            expected=row.expected,
            received=row.received,
            valid=row.valid,
            transmission_rate=row.transmission_rate,
            valid_rate=row.valid_rate,
            capture_rate=row.capture_rate,
            exceeded=row.exceeded,
            exceeded_marked=row.exceeded_marked,
            down=row.down,
            operating=row.operating,
            operating_rate=row.operating_rate,
        )


class AlarmRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    mn: str
    point_name: str
    code: str | None
    period: str | None
    detail: str


class MarkRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    mn: str
    factor_code: str | None
    kind: str
    start: dt.datetime
    end: dt.datetime
    reason: str
    attachment_name: str | None
    attachment_sha256: str | None
    status: str
    created_by: str
    created_role: str
    created_at: dt.datetime
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_note: str | None


class ReviewIn(_In):
    approve: bool
    note: str = ""
