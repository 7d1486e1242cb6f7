"""Web UI pages of the ledger, plans, draws, reports and the public disclosure pages."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
