"""The evidence pack (证据包) of a case as a PDF: facts, findings, data extracts with their SHA-256 and a
chart of each series (the finding's window shaded), the inspection checklist, attachments with hashes,
penalties and transfers. The PDF's own SHA-256 is recorded in ``EvidencePack`` and the audit trail (a file
cannot contain its own hash).

Chinese text uses WenQuanYi Micro Hei when installed, else reportlab's built-in STSong-Light CID font.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
from pathlib import Path, PurePath
from typing import Any

import polars as pl
from PIL import Image as PILImage
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy.orm import Session

from ecosentinel.audit.service import record
from ecosentinel.auth.service import Principal
from ecosentinel.detection.catalogue import rule_title
from ecosentinel.detection.messages import factor_name, kind_name, severity_name
from ecosentinel.enforcement import messages
from ecosentinel.enforcement.cases import get_case
from ecosentinel.enforcement.inspections import checklist_view
from ecosentinel.enforcement.models import Attachment, Case, EvidencePack, as_utc
from ecosentinel.readings import CST
from ecosentinel.registry.models import Enterprise

logger = logging.getLogger(__name__)

FONT_PATHS = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),)
PDF_MAX_ROWS = 60  # extract rows printed per extract; the hash covers all rows
_font: str | None = None


def cjk_font() -> str:
    """Register (once) and return the name of a font that can draw Chinese."""
    global _font
    if _font is None:
        for path in FONT_PATHS:
            if path.exists():
                pdfmetrics.registerFont(TTFont("WQYMicroHei", str(path), subfontIndex=0))
                _font = "WQYMicroHei"
                break
        else:
            pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
            _font = "STSong-Light"
    return _font


def _styles() -> dict[str, ParagraphStyle]:
    font = cjk_font()
    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=22, alignment=1, spaceAfter=8),
        "h2": ParagraphStyle("h2", parent=base, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4),
        "body": base,
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10.5),
        "hash": ParagraphStyle("hash", parent=base, fontSize=8, leading=11, wordWrap=None),
        "cellhash": ParagraphStyle("cellhash", parent=base, fontSize=7, leading=10, wordWrap=None),
    }


def _t(value: dt.datetime | None) -> str:
    return "" if value is None else as_utc(value).astimezone(CST).strftime("%Y-%m-%d %H:%M")


def _table(rows: list[list[Any]], widths: list[float], style: ParagraphStyle) -> Table:
    data = [[c if isinstance(c, Flowable) else Paragraph(_esc(str(c)), style) for c in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")


CHART_MAX_SERIES = 6  # charts per extract: a finding's factors and its rule's context series fit
_SHADE = colors.Color(0.85, 0.2, 0.15, alpha=0.18)


def _naive_cst(value: dt.datetime) -> dt.datetime:
    return as_utc(value).astimezone(CST).replace(tzinfo=None)


def _charts(
    frame: pl.DataFrame,
    codes: list[str],
    title: str,
    span: tuple[dt.datetime, dt.datetime],
    window: tuple[dt.datetime, dt.datetime] | None,
) -> list[Drawing]:
    """One small chart per series of an extract (in ``codes`` order, then any other code), each over the
    extract's whole ``span`` with the finding's ``window`` shaded, so the pollutant and the series the finding
    rests on (e.g. treatment power) can be read side by side. ``frame`` times are naive CST."""
    frame = frame.filter(pl.col("value").is_not_null())
    t0, t1 = (_naive_cst(t) for t in span)
    hours = max((t1 - t0).total_seconds() / 3600.0, 1 / 60)
    present = frame["code"].unique(maintain_order=True).to_list()
    ordered = [c for c in codes if c in present] + [c for c in present if c not in codes]
    shade = None
    note = f"横轴：{t0:%Y-%m-%d %H:%M} 起的小时数"
    if window is not None:
        a = max(0.0, (_naive_cst(window[0]) - t0).total_seconds() / 3600.0)
        b = min(hours, (_naive_cst(window[1]) - t0).total_seconds() / 3600.0)
        if b > a:
            shade = (a, b)
            note += f"；阴影：发现时段 {_t(window[0])} 至 {_t(window[1])}"
    out = []
    for code in ordered[:CHART_MAX_SERIES]:
        part = frame.filter(pl.col("code") == code).sort("time")
        points = [
            ((t - t0).total_seconds() / 3600.0, float(v))
            for t, v in zip(part["time"], part["value"], strict=True)
        ]
        if len(points) < 2:
            continue
        drawing = Drawing(170 * mm, 42 * mm)
        plot = LinePlot()
        plot.x, plot.y = int(12 * mm), int(7 * mm)
        plot.width, plot.height = int(150 * mm), int(27 * mm)
        plot.data = [points]
        plot.lines[0].strokeColor = colors.HexColor("#2471a3")
        plot.lines[0].strokeWidth = 0.8
        plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 0.0, hours
        plot.xValueAxis.labels.fontSize = 6
        plot.yValueAxis.labels.fontSize = 6
        if shade is not None:
            x0 = plot.x + plot.width * shade[0] / hours
            x1 = plot.x + plot.width * shade[1] / hours
            band = Rect(x0, plot.y, x1 - x0, plot.height)
            band.fillColor, band.strokeColor = _SHADE, None
            drawing.add(band)
        drawing.add(plot)
        caption = f"{title}：{factor_name(code)}"
        drawing.add(String(12 * mm, 38 * mm, caption, fontName=cjk_font(), fontSize=7.5))
        drawing.add(String(12 * mm, 0.5 * mm, note, fontName=cjk_font(), fontSize=6))
        out.append(drawing)
    return out


PHOTO_WIDTH = 80 * mm
PHOTO_MAX_HEIGHT = 100 * mm


def _photo(data_dir: Path, attachment: Attachment) -> Flowable | None:
    """An inspection photo for the PDF, scaled to fit, only when its bytes still match the recorded hash."""
    if attachment.content_type not in ("image/jpeg", "image/png"):
        return None
    path = Path(data_dir) / attachment.stored_path
    try:
        data = path.read_bytes()
    except OSError:
        logger.warning("photo %s of attachment %d is missing", path, attachment.id)
        return None
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        logger.error("attachment %d does not match its recorded SHA-256; left out of the PDF", attachment.id)
        return None
    try:
        with PILImage.open(io.BytesIO(data)) as decoded:
            decoded.load()  # the whole stream: a photo cut short in transfer would fail the PDF's rendering
        width, height = ImageReader(io.BytesIO(data)).getSize()
    except Exception:  # a file that passed the type check but does not decode: listed, not embedded
        logger.warning("photo of attachment %d cannot be decoded; left out of the PDF", attachment.id)
        return None
    scale = min(PHOTO_WIDTH / max(width, 1), PHOTO_MAX_HEIGHT / max(height, 1))
    return Image(io.BytesIO(data), width=width * scale, height=height * scale, hAlign="LEFT")


def build_pdf(
    session: Session,
    case: Case,
    *,
    generated_by: str,
    generated_at: dt.datetime,
    data_dir: Path | None = None,
) -> bytes:
    """Render the evidence pack of ``case`` as PDF bytes (with the inspections' photos when ``data_dir``
    holds them)."""
    st = _styles()
    story: list[Flowable] = [Paragraph(messages.PDF_TITLE, st["title"])]
    enterprise = session.get(Enterprise, case.enterprise_id) if case.enterprise_id else None
    story += [
        Paragraph(_esc(messages.PDF_CASE.format(number=case.number, title=case.title)), st["body"]),
        Paragraph(
            _esc(messages.PDF_ENTERPRISE.format(name=enterprise.name if enterprise else "—")), st["body"]
        ),
        Paragraph(
            _esc(
                messages.PDF_STATUS.format(
                    status=messages.CASE_STATUS_NAMES[case.status], at=_t(generated_at), by=generated_by
                )
            ),
            st["body"],
        ),
        Paragraph(messages.PDF_FACTS, st["h2"]),
        Paragraph(_esc(case.facts_zh or messages.PDF_NONE), st["body"]),
        Paragraph(messages.PDF_WARNINGS, st["h2"]),
    ]
    finding_rows: list[list[Any]] = [list(messages.PDF_COLS_FINDING)]
    for w in case.warnings:
        story.append(Paragraph(_esc(f"#{w.id} {w.summary_zh}"), st["body"]))
        for f in w.findings:
            finding_rows.append(
                [
                    rule_title(f.rule),
                    f"{_t(f.start)} 至 {_t(f.end)}",
                    severity_name(f.severity),
                    f.explanation_zh,
                ]
            )
    if len(finding_rows) > 1:
        story.append(_table(finding_rows, [30 * mm, 34 * mm, 14 * mm, 102 * mm], st["cell"]))
    else:
        story.append(Paragraph(messages.PDF_NONE, st["body"]))

    story.append(Paragraph(messages.PDF_EXTRACTS, st["h2"]))
    windows = {f.finding_id: (f.start, f.end) for w in case.warnings for f in w.findings}
    if not case.extracts:
        story.append(Paragraph(messages.PDF_NONE, st["body"]))
    for e in case.extracts:
        story.append(
            Paragraph(
                _esc(
                    messages.PDF_EXTRACT_HEAD.format(
                        id=e.id,
                        mn=e.mn,
                        kind=kind_name(e.kind),
                        start=_t(e.start),
                        end=_t(e.end),
                        rows=e.rows,
                    )
                ),
                st["body"],
            )
        )
        story.append(Paragraph(f"SHA-256: {e.sha256}", st["hash"]))
        frame = pl.read_csv(
            io.StringIO(e.csv_text), schema_overrides={"value": pl.Float64, "time_cst": pl.Utf8}
        )
        if frame.height:
            timed = frame.with_columns(
                time=pl.col("time_cst").str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S")
            )
            platform = timed.filter(pl.col("source") == "platform")
            story += _charts(
                platform if platform.height else timed,
                list(e.codes or []),
                f"摘录 #{e.id}",
                (e.start, e.end),
                windows.get(e.finding_id or ""),
            )
            rows: list[list[Any]] = [list(messages.PDF_COLS_EXTRACT)]
            for r in frame.head(PDF_MAX_ROWS).iter_rows(named=True):
                value = r["value"]
                rows.append(
                    [
                        r["time_cst"],
                        factor_name(r["code"]),
                        messages.SOURCE_NAMES.get(r["source"], r["source"]),
                        "" if value is None else f"{value:g}",
                        r["flag"],
                    ]
                )
            story.append(_table(rows, [40 * mm, 28 * mm, 26 * mm, 30 * mm, 16 * mm], st["cell"]))
            if frame.height > PDF_MAX_ROWS:
                story.append(
                    Paragraph(
                        messages.PDF_EXTRACT_TRUNCATED.format(shown=PDF_MAX_ROWS, rows=frame.height),
                        st["cell"],
                    )
                )
        story.append(Spacer(1, 4 * mm))

    story.append(Paragraph(messages.PDF_INSPECTIONS, st["h2"]))
    attachments = []
    if not case.inspections:
        story.append(Paragraph(messages.PDF_NONE, st["body"]))
    for ins in case.inspections:
        story.append(
            Paragraph(
                _esc(
                    messages.PDF_INSPECTION_HEAD.format(
                        id=ins.id,
                        at=_t(ins.inspected_at),
                        who=ins.inspectors,
                        status=messages.INSPECTION_STATUS_NAMES[ins.status],
                    )
                ),
                st["body"],
            )
        )
        rows = [list(messages.PDF_COLS_CHECK)]
        for item in checklist_view(ins):
            rows.append([item["item_no"], item["text"], item["result_zh"], item["notes"] or ""])
        story.append(_table(rows, [10 * mm, 90 * mm, 16 * mm, 64 * mm], st["cell"]))
        if ins.conclusion:
            story.append(Paragraph(_esc(f"检查结论：{ins.conclusion}"), st["body"]))
        attachments += ins.attachments

    story.append(Paragraph(messages.PDF_ATTACHMENTS, st["h2"]))
    if attachments:
        rows = [list(messages.PDF_COLS_ATTACH)]
        for a in attachments:
            kind = messages.ATTACHMENT_KIND_NAMES.get(a.content_type, a.content_type)
            rows.append([a.filename, kind, a.size, Paragraph(a.sha256, st["cellhash"])])
        story.append(_table(rows, [36 * mm, 24 * mm, 16 * mm, 104 * mm], st["cell"]))
        for a in attachments if data_dir is not None else []:
            photo = _photo(data_dir, a) if data_dir is not None else None
            if photo is None:
                continue
            where = f"，检查项 {a.item_no}" if a.item_no else ""
            story.append(Paragraph(_esc(messages.PDF_PHOTO.format(name=a.filename, item=where)), st["body"]))
            story.append(photo)
    else:
        story.append(Paragraph(messages.PDF_NONE, st["body"]))

    story.append(Paragraph(messages.PDF_PENALTIES, st["h2"]))
    if case.penalties:
        rows = [list(messages.PDF_COLS_PENALTY)]
        for p in case.penalties:
            rows.append(
                [
                    f"{p.amount_wan:f}".rstrip("0").rstrip("."),
                    p.legal_basis,
                    p.decision_no or "",
                    p.decided_at or "",
                ]
            )
        story.append(_table(rows, [24 * mm, 96 * mm, 36 * mm, 24 * mm], st["cell"]))
    else:
        story.append(Paragraph(messages.PDF_NONE, st["body"]))

    story.append(Paragraph(messages.PDF_TRANSFERS, st["h2"]))
    if not case.transfers:
        story.append(Paragraph(messages.PDF_NONE, st["body"]))
    for tr in case.transfers:
        values = {
            "recipient_org": f"{tr.recipient_org}（{messages.RECIPIENT_NAMES[tr.recipient]}）",
            "kind": messages.TRANSFER_KIND_NAMES[tr.kind],
            "letter_no": tr.letter_no,
            "letter_text": tr.letter_text,
            "investigation_report": tr.investigation_report,
            "site_record": tr.site_record,
            "items": "；".join(json.loads(tr.items_list or "[]")) or messages.PDF_NONE,
            "cc": messages.YES if tr.cc_procuratorate else messages.NO,
            "at": _t(tr.transferred_at),
        }
        rows = [["项目", "内容"]] + [[label, values[key]] for label, key in messages.PDF_TRANSFER_LINES]
        story.append(_table(rows, [36 * mm, 144 * mm], st["cell"]))
    story += [Spacer(1, 6 * mm), Paragraph(messages.PDF_HASH_NOTE, st["cell"])]

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{messages.PDF_TITLE} {case.number}",
        author="EcoSentinel",
        invariant=True,
    )
    doc.build(story)
    return out.getvalue()


def export_evidence_pack(
    session: Session,
    actor: Principal,
    case_id: int,
    *,
    data_dir: Path | None = None,
    ip: str | None = None,
) -> tuple[EvidencePack, bytes]:
    """Render the case's evidence pack, store it under ``data_dir/evidence`` (when given), record its hash."""
    case = get_case(session, actor, case_id)
    now = dt.datetime.now(dt.UTC)
    pdf = build_pdf(session, case, generated_by=actor.display_name, generated_at=now, data_dir=data_dir)
    digest = hashlib.sha256(pdf).hexdigest()
    stored: str | None = None
    if data_dir is not None:
        relative = PurePath(
            "evidence", f"case-{case.id}", f"{now.strftime('%Y%m%dT%H%M%S')}-{digest[:16]}.pdf"
        )
        target = Path(data_dir) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            out.write(pdf)
            out.flush()
            os.fsync(out.fileno())
        stored = relative.as_posix()
    pack = EvidencePack(
        sha256=digest, size=len(pdf), stored_path=stored, created_by=actor.username, created_at=now
    )
    case.packs.append(pack)
    session.flush()
    record(
        session,
        actor,
        "export",
        "case",
        case.id,
        messages.EVIDENCE_SUMMARY.format(number=case.number, sha256=digest),
        {"pack_id": pack.id, "sha256": digest, "size": len(pdf)},
        ip=ip,
    )
    logger.info("evidence pack of case %s: %d bytes, sha256 %s", case.number, len(pdf), digest)
    return pack, pdf
