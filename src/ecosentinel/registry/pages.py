"""Web UI pages of this area (filled in by its work), on the shared layout of ``ecosentinel.web.ui``."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
