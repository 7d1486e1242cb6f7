"""一张图: points placed by longitude/latitude, coloured by the latest day's level, filtered, linked to their
station, and only those the caller may see."""

from __future__ import annotations

import re

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Role
from ecosentinel.config import get_settings
from ecosentinel.database import session_factory
from ecosentinel.server.app import create_app
from ecosentinel.server.map_view import TILE, mercator
from ecosentinel.store.base import MeasurementStore
from tests.conftest import login_as
from tests.web.seeding import MN_A, MN_B, seed

HTML = {"accept": "text/html"}


def _points(text: str) -> dict[str, tuple[str, float, float]]:
    found = re.findall(
        r'<a href="/stations/(\d+)" data-mn="\d+" data-colour="(\w+)">\s*<circle cx="([\d.]+)" cy="([\d.]+)"',
        text,
    )
    return {mn: (colour, float(x), float(y)) for mn, colour, x, y in found}


def test_map_places_colours_filters_and_scopes(
    client: TestClient, engine: sa.Engine, db_session: Session, store: MeasurementStore
) -> None:
    world = seed(db_session, store)
    headers = {**HTML, **login_as(engine, Role.ANALYST)}
    page = client.get("/map", headers=headers)
    assert page.status_code == 200
    assert 'href="/map"' in page.text  # in the navigation
    points = _points(page.text)
    assert set(points) == {MN_A, MN_B}
    assert points[MN_A][0] == "red"
    assert points[MN_B][0] == "green"
    # A lies west (120.75) and north (30.75) of B (120.80, 30.70): left of it and higher on the page
    assert points[MN_A][1] < points[MN_B][1]
    assert points[MN_A][2] < points[MN_B][2]
    assert "东经" in page.text
    assert "北纬" in page.text

    red = _points(client.get("/map?colour=red", headers=headers).text)
    assert set(red) == {MN_A}
    named = _points(client.get("/map?q=乙热电", headers=headers).text)
    assert set(named) == {MN_B}

    own = _points(
        client.get(
            "/map", headers={**HTML, **login_as(engine, Role.ENTERPRISE, enterprise_id=world.enterprise_b)}
        ).text
    )
    assert set(own) == {MN_B}
    assert client.get("/map", headers={**HTML, **login_as(engine, Role.POLICE)}).status_code == 403


def test_map_draws_configured_tiles_under_the_points(
    client: TestClient, engine: sa.Engine, db_session: Session, store: MeasurementStore
) -> None:
    seed(db_session, store)
    headers = {**HTML, **login_as(engine, Role.ANALYST)}
    plain = client.get("/map", headers=headers)
    assert "tiles.example" not in plain.text
    assert "<image" not in plain.text

    template = "https://tiles.example/{z}/{x}/{y}.png"
    settings = get_settings().model_copy(update={"map_tile_url": template})
    with TestClient(create_app(session_factory=session_factory(engine), settings=settings)) as tiled:
        page = tiled.get("/map", headers=headers)
    assert page.status_code == 200
    assert "https://tiles.example" in page.headers["content-security-policy"]
    urls = re.findall(r'<image href="https://tiles\.example/(\d+)/(\d+)/(\d+)\.png"', page.text)
    assert urls
    zoom = int(urls[0][0])
    assert all(int(z) == zoom for z, _, _ in urls)
    # the tiles cover the seeded points (A at 120.75, 30.75; B at 120.80, 30.70)
    covered = {(int(x), int(y)) for _, x, y in urls}
    for lon, lat in ((120.75, 30.75), (120.80, 30.70)):
        px, py = mercator(lon, lat, zoom)
        assert (int(px // TILE), int(py // TILE)) in covered
    points = _points(page.text)
    assert set(points) == {MN_A, MN_B}
    assert points[MN_A][1] < points[MN_B][1]
    assert points[MN_A][2] < points[MN_B][2]
