"""The map page (一张图): monitoring points placed by their enterprise's longitude and latitude on a plain
outline (no tiles: the platform runs offline), coloured by the level of the latest scored day. When the
operator configures an XYZ tile template (``map_tile_url``), the points are placed by Web Mercator at the
largest zoom that fits them and the page draws those tiles under them."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ecosentinel.auth.service import Principal
from ecosentinel.registry.models import Point
from ecosentinel.registry.scope import visible_mns
from ecosentinel.screening.models import PointDayScore

WIDTH, HEIGHT, MARGIN = 900.0, 560.0, 40.0
TILE = 256
MAX_ZOOM = 16
COLOURS = ("red", "yellow", "green", "none")


@dataclass
class MapPoint:
    mn: str
    name: str
    enterprise: str
    type: str
    colour: str  # red / yellow / green / none (no score that day)
    lon: float
    lat: float
    x: float = 0.0
    y: float = 0.0


@dataclass
class MapView:
    day: dt.date | None
    points: list[MapPoint] = field(default_factory=list)
    unplaced: list[MapPoint] = field(default_factory=list)  # enterprises without coordinates
    counts: dict[str, int] = field(default_factory=dict)
    grid_x: list[tuple[float, str]] = field(default_factory=list)  # (x, longitude label)
    grid_y: list[tuple[float, str]] = field(default_factory=list)
    tiles: list[MapTile] = field(default_factory=list)  # raster tiles under the points (configured template)
    zoom: int | None = None


@dataclass
class MapTile:
    url: str
    x: float  # top-left corner on the page
    y: float


def build(
    session: Session,
    principal: Principal,
    *,
    colour: str = "",
    kind: str = "",
    q: str = "",
    tile_url: str = "",
) -> MapView:
    """The caller's points (scope applied) with today's colour, filtered by colour, point type and a name;
    with ``tile_url`` (an XYZ template) placed by Web Mercator over the tiles of their area."""
    mns = visible_mns(session, principal)
    query = sa.select(Point).options(selectinload(Point.enterprise)).where(Point.active.is_(True))
    if mns is not None:
        query = query.where(Point.mn.in_(mns or {""}))
    day_query = sa.select(sa.func.max(PointDayScore.day))
    if mns is not None:
        day_query = day_query.where(PointDayScore.mn.in_(mns or {""}))
    day = session.scalar(day_query)
    colours: dict[str, str] = {}
    if day is not None:
        colours = dict(
            session.execute(
                sa.select(PointDayScore.mn, PointDayScore.colour).where(PointDayScore.day == day)
            ).all()
        )
    view = MapView(day=day)
    siblings: dict[int, int] = {}
    for p in session.scalars(query.order_by(Point.enterprise_id, Point.mn)):
        enterprise = p.enterprise
        point = MapPoint(
            mn=p.mn,
            name=p.name,
            enterprise=enterprise.name if enterprise else "",
            type=p.type,
            colour=colours.get(p.mn, "none"),
            lon=enterprise.lon if enterprise and enterprise.lon is not None else math.nan,
            lat=enterprise.lat if enterprise and enterprise.lat is not None else math.nan,
        )
        view.counts[point.colour] = view.counts.get(point.colour, 0) + 1
        if colour and point.colour != colour:
            continue
        if kind and point.type != kind:
            continue
        if q and q not in point.name and q not in point.enterprise and q not in point.mn:
            continue
        if math.isnan(point.lon) or math.isnan(point.lat):
            view.unplaced.append(point)
            continue
        n = siblings.get(p.enterprise_id, 0)  # points of one enterprise share its coordinates: fan them out
        siblings[p.enterprise_id] = n + 1
        point.lon += 0.004 * math.cos(n * 2.1) * (1 if n else 0)
        point.lat += 0.004 * math.sin(n * 2.1) * (1 if n else 0)
        view.points.append(point)
    if tile_url:
        _tiles(view, tile_url)
    else:
        _project(view)
    return view


def mercator(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """Global pixel coordinates of a position at a zoom level (Web Mercator, 256-pixel tiles)."""
    size = TILE * 2**zoom
    lat = max(min(lat, 85.0511), -85.0511)
    s = math.sin(math.radians(lat))
    return (lon + 180.0) / 360.0 * size, (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * size


def tile_url_for(template: str, zoom: int, x: int, y: int) -> str:
    return template.replace("{z}", str(zoom)).replace("{x}", str(x)).replace("{y}", str(y))


def _tiles(view: MapView, template: str) -> None:
    """Place the points on the tiles of the largest zoom whose view holds them all, centred on them."""
    if not view.points:
        return
    lon0, lon1 = min(p.lon for p in view.points), max(p.lon for p in view.points)
    lat0, lat1 = min(p.lat for p in view.points), max(p.lat for p in view.points)
    zoom = 0
    for z in range(MAX_ZOOM, -1, -1):
        x0, y0 = mercator(lon0, lat1, z)
        x1, y1 = mercator(lon1, lat0, z)
        if x1 - x0 <= WIDTH - 2 * MARGIN and y1 - y0 <= HEIGHT - 2 * MARGIN:
            zoom = z
            break
    x0, y0 = mercator(lon0, lat1, zoom)
    x1, y1 = mercator(lon1, lat0, zoom)
    left, top = (x0 + x1) / 2 - WIDTH / 2, (y0 + y1) / 2 - HEIGHT / 2
    view.zoom = zoom
    for p in view.points:
        px, py = mercator(p.lon, p.lat, zoom)
        p.x, p.y = round(px - left, 1), round(py - top, 1)
    count = 2**zoom
    for ty in range(math.floor(top / TILE), math.floor((top + HEIGHT) / TILE) + 1):
        if not 0 <= ty < count:
            continue
        for tx in range(math.floor(left / TILE), math.floor((left + WIDTH) / TILE) + 1):
            view.tiles.append(
                MapTile(
                    url=tile_url_for(template, zoom, tx % count, ty),
                    x=round(tx * TILE - left, 1),
                    y=round(ty * TILE - top, 1),
                )
            )


def _project(view: MapView) -> None:
    if not view.points:
        return
    lon0, lon1 = min(p.lon for p in view.points), max(p.lon for p in view.points)
    lat0, lat1 = min(p.lat for p in view.points), max(p.lat for p in view.points)
    pad_lon, pad_lat = max((lon1 - lon0) * 0.08, 0.01), max((lat1 - lat0) * 0.08, 0.01)
    lon0, lon1, lat0, lat1 = lon0 - pad_lon, lon1 + pad_lon, lat0 - pad_lat, lat1 + pad_lat
    scale_x = (WIDTH - 2 * MARGIN) / (lon1 - lon0)
    scale_y = (HEIGHT - 2 * MARGIN) / (lat1 - lat0)
    scale = min(scale_x, scale_y / math.cos(math.radians((lat0 + lat1) / 2)) if lat1 > lat0 else scale_x)
    scale_y = scale * math.cos(math.radians((lat0 + lat1) / 2))
    for p in view.points:
        p.x = round(MARGIN + (p.lon - lon0) * scale, 1)
        p.y = round(HEIGHT - MARGIN - (p.lat - lat0) * scale_y, 1)
    step = _step(lon1 - lon0)
    v = math.ceil(lon0 / step) * step
    while v <= lon1:
        view.grid_x.append((round(MARGIN + (v - lon0) * scale, 1), f"东经 {v:.2f}°"))
        v += step
    v = math.ceil(lat0 / step) * step
    while v <= lat1:
        view.grid_y.append((round(HEIGHT - MARGIN - (v - lat0) * scale_y, 1), f"北纬 {v:.2f}°"))
        v += step


def _step(span: float) -> float:
    for step in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0):
        if span / step <= 8:
            return step
    return 10.0
