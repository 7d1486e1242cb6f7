"""HTTP routes of this area (filled in by its work). Every route depends on ``public`` or ``require(...)``."""

from fastapi import APIRouter

router = APIRouter()
