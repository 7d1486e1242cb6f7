"""The list envelope every list route answers with (``{meta, results}``)."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Meta(BaseModel):
    count: int
    limit: int | None = None
    offset: int = 0


class Page(BaseModel, Generic[T]):
    """The list envelope every list route answers with."""

    meta: Meta
    results: list[T]


def page_of(results: list[T], limit: int | None = None, offset: int = 0) -> Page[T]:
    """Wrap an already sliced list in the envelope."""
    return Page[T](meta=Meta(count=len(results), limit=limit, offset=offset), results=results)
