"""Pydantic schemas of the registry: the YAML import format (``*In``) and what services return.

The import format is documented in docs/registry-format.md. Strings that look like numbers (MN, PW)
must be quoted in YAML: an unquoted ``mn: 0330…`` would lose its leading zero, so it is refused.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictStr, StringConstraints, model_validator

from ecosentinel.registry.enums import PointType

CreditCode = Annotated[
    str, StringConstraints(strict=True, pattern=r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
]
Mn = Annotated[str, StringConstraints(strict=True, pattern=r"^(?:[0-9A-Za-z]{14}|[0-9A-Za-z]{24})$")]
FactorCode = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Za-z0-9_]{1,16}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FactorIn(_In):
    """One factor of a point with its limits (限值) and analyser range (量程)."""

    code: FactorCode
    name: StrictStr | None = None
    unit: StrictStr | None = None
    limit: float | None = None  # upper emission limit
    limit_low: float | None = None  # lower limit (e.g. pH 6)
    range: float | None = Field(default=None, gt=0)  # analyser range upper end
    detection_limit: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _limits_ordered(self) -> FactorIn:
        if self.limit is not None and self.limit_low is not None and self.limit_low > self.limit:
            raise ValueError("limit_low must not exceed limit (下限不能大于上限)")
        return self


class PointIn(_In):
    """A monitoring point (监测点位)."""

    mn: Mn
    # None keeps an existing point's password (exports leave it out unless asked); a new point needs one
    pw: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=32)] | None = None
    name: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=200)]
    type: PointType
    active: bool = True
    ref_o2: float | None = Field(default=None, ge=0, lt=21)
    factors: list[FactorIn] = Field(default_factory=list)

    @model_validator(mode="after")
    def _gas_only_ref_o2(self) -> PointIn:
        if self.ref_o2 is not None and self.type is not PointType.GAS:
            raise ValueError("ref_o2 is for gas points only (基准氧含量仅适用于废气点位)")
        return self


class EnterpriseIn(_In):
    """A key polluting enterprise (重点排污单位) with its points."""

    name: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=200)]
    credit_code: CreditCode
    industry: StrictStr | None = None
    address: StrictStr | None = None
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    points: list[PointIn] = Field(default_factory=list)


class RegistryIn(_In):
    """A registry file: a list of enterprises."""

    enterprises: list[EnterpriseIn]


class PointAuth(BaseModel):
    """What the HJ 212 receiver needs to authenticate a data logger."""

    model_config = ConfigDict(frozen=True)

    mn: str
    pw: str
    active: bool


class FactorRead(BaseModel):
    """A factor as stored."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    unit: str | None
    limit_high: float | None
    limit_low: float | None
    range_max: float | None
    detection_limit: float | None


class PointRead(BaseModel):
    """A point as listed (no password)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    mn: str
    name: str
    type: PointType
    active: bool
    ref_o2: float | None
    enterprise_id: int
    enterprise_name: str
    credit_code: str


class FactorLimits(BaseModel):
    """Limits and range of one factor, for screening."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    unit: str | None = None
    limit: float | None = None
    limit_low: float | None = None
    range_max: float | None = None
    detection_limit: float | None = None


class PointContextRead(BaseModel):
    """Registry facts about one point that screening uses: type, reference O2, limits per factor."""

    model_config = ConfigDict(frozen=True)

    mn: str
    name: str
    type: PointType
    active: bool
    ref_o2: float | None
    enterprise_id: int
    enterprise_name: str
    industry: str | None
    factors: dict[str, FactorLimits]


class ImportSummary(BaseModel):
    """Counts of what an import created or updated."""

    source_name: str
    enterprises: int = 0
    points: int = 0
    factors: int = 0
