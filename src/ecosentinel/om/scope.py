"""Which monitoring points an O&M agency maintains (used by ``ecosentinel.auth.scope``)."""

from __future__ import annotations

from sqlalchemy.orm import Session


def agency_point_ids(session: Session, agency_id: int) -> set[int]:
    """Point ids currently maintained by the agency.

    Until O&M assignments exist in the registry an agency maintains nothing (deny by default).
    """
    del session, agency_id
    return set()
