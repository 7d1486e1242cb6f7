"""JSON data behind the station page: the curves of a monitoring point (scoped to what the caller may see)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/data", tags=["data 监测数据"])
