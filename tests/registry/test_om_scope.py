"""An O&M agency's points are its current assignments (the data scope of its users)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from ecosentinel.registry.models import Enterprise, OMAgency, OMAssignment, Point
from ecosentinel.registry.scope import agency_point_ids


def test_agency_points_are_current_assignments(db_session: Session) -> None:
    enterprise = Enterprise(name="企业", credit_code="91330400MA2B000001")
    points = [Point(mn=f"3304000000000{i}", pw="1", name=f"点{i}", type="water") for i in range(4)]
    enterprise.points.extend(points)
    agency = OMAgency(name="运维公司", credit_code="91330400MA2B0000X1")
    other = OMAgency(name="另一运维公司", credit_code="91330400MA2B0000X2")
    db_session.add_all([enterprise, agency, other])
    db_session.flush()
    day = dt.date(2025, 6, 1)
    agency.assignments.extend(
        [
            OMAssignment(point_id=points[0].id, valid_from=dt.date(2025, 1, 1)),  # open
            OMAssignment(point_id=points[1].id, valid_from=dt.date(2025, 1, 1), valid_to=day),  # ends today
            OMAssignment(
                point_id=points[2].id, valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2025, 5, 31)
            ),
            OMAssignment(point_id=points[3].id, valid_from=dt.date(2025, 6, 2)),  # not yet
        ]
    )
    other.assignments.append(OMAssignment(point_id=points[2].id, valid_from=dt.date(2025, 6, 1)))
    db_session.commit()

    assert agency_point_ids(db_session, agency.id, on=day) == {points[0].id, points[1].id}
    assert agency_point_ids(db_session, other.id, on=day) == {points[2].id}
    assert agency_point_ids(db_session, agency.id, on=dt.date(2024, 6, 1)) == {points[2].id}
    assert agency_point_ids(db_session, 9999, on=day) == set()
