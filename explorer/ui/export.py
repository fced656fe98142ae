"""The current view as a slide: PNG (1x, 2x or an exact size), SVG and PDF (vector), with a title that
says what happened, the role legend, the definitions once in a compact footer and where the data came
from, so that the picture explains itself; a PDF's second page is the events table.

``export_widget`` paints any widget (the graph, the timeline, or both side by side) between a header
and a footer, with the widgets named in ``hide`` (the panes' interactive hints) hidden. PNG goes
through a QImage; SVG through QSvgGenerator and PDF through QPdfWriter, both of which keep lines and
text as vectors. For SVG, pyqtgraph's items are put in export mode (graph nodes drawn as shapes, not
bitmaps), the views' background caches are turned off, and the file is then rewritten
(``vector_svg``) so that every path inside a transformed group carries device coordinates: no
``non-scaling-stroke`` left for a renderer to misread (librsvg fills such lines), and no coordinate
that depended on the 6 significant digits QSvgGenerator writes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QMarginsF, QPoint, QRect, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPageSize, QPainter, QPdfWriter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsView, QWidget

FORMATS = ("png", "svg", "pdf")
MARGIN, FOOTER_PX, FOOTER_LINE = 16, 11, 14
TITLE_PX, SUBTITLE_PX = 22, 13


class ExportError(ValueError):
    """An export that cannot be made, in words a user can act on."""


@dataclass
class Slide:
    """What goes around the picture."""

    title: str
    subtitle: str = ""                           # what happened, the scope and the window
    legend: list[tuple[str, str]] = field(default_factory=list)     # (label, colour '#rrggbb')
    footer: list[str] = field(default_factory=list)                 # definitions, provenance, demo label
    events_title: str = ""                                          # the PDF's second page
    events: list[list[str]] = field(default_factory=list)           # its rows, the first the headers


def hints(window) -> list[QWidget]:
    """What an export of the window leaves out: the panes' footers (interactive hints; the slide's own
    header and footer say the rest, and the definitions once)."""
    return [window.graph_pane.footer, window.timeline.footer]


def export_widget(widget: QWidget, slide: Slide, out: str | Path, size: QSize | None = None,
                  scale: float = 1.0, hide: list[QWidget] = ()) -> Path:
    """Write ``widget`` with ``slide`` around it to ``out``; the format comes from the suffix.

    ``size`` is the whole picture's size in pixels (default: the widget's size plus header and
    footer); ``scale`` 2 gives a PNG twice as sharp at the same layout.
    """
    out = Path(out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ExportError(f"{out}: export to .png, .svg or .pdf (or .csv / .json for the data)")
    if not out.parent.exists():
        raise ExportError(f"{out.parent}: no such folder")
    width = size.width() if size is not None else widget.width()
    footer = _wrapped(slide.footer, width - 2 * MARGIN, _font(FOOTER_PX))
    header_h = _header_height(slide, width)
    footer_h = FOOTER_LINE * len(footer) + MARGIN
    slide = Slide(slide.title, slide.subtitle, slide.legend, footer, slide.events_title, slide.events)
    if size is None:
        size = QSize(widget.width(), widget.height() + header_h + footer_h)
    if size.width() < 200 or size.height() < header_h + footer_h + 100:
        raise ExportError(f"{size.width()}x{size.height()} is too small for the picture and its text")
    body = QSize(size.width(), size.height() - header_h - footer_h)
    old = widget.size()
    shown = [w for w in hide if w.isVisible()]
    for w in shown:
        w.hide()
    widget.resize(body)                      # lay the panes out at the size they will be drawn at
    _settle(widget)
    try:
        if fmt == "png":
            image = QImage(QSize(round(size.width() * scale), round(size.height() * scale)),
                           QImage.Format.Format_ARGB32)
            image.setDevicePixelRatio(scale)
            image.fill(QColor("white"))
            _paint(QPainter(image), widget, slide, size, header_h)
            if not image.save(str(out)):
                raise ExportError(f"{out}: could not write the PNG")
        elif fmt == "svg":
            gen = QSvgGenerator()
            gen.setFileName(str(out))
            gen.setSize(size)
            gen.setViewBox(QRect(QPoint(0, 0), size))
            gen.setTitle(slide.title)
            gen.setDescription(" | ".join(slide.footer))
            with _vector_items(widget):
                _paint(QPainter(gen), widget, slide, size, header_h)
            vector_svg(out)
        else:
            pdf = QPdfWriter(str(out))
            pdf.setResolution(72)                # one point per pixel of the layout
            pdf.setPageSize(QPageSize(QSizeF(size.width(), size.height()), QPageSize.Unit.Point))
            pdf.setPageMargins(QMarginsF(0, 0, 0, 0))
            pdf.setTitle(slide.title)
            pdf.setCreator("BGP History Explorer")
            p = QPainter(pdf)
            with _vector_items(widget):
                _paint(p, widget, slide, size, header_h, end=False)
            _events_pages(p, pdf, slide, size)
    finally:
        widget.resize(old)
        for w in shown:
            w.show()
    return out


def _settle(widget: QWidget) -> None:
    """Let the panes lay themselves out at the new size (labels are placed from pixel sizes)."""
    from PySide6.QtWidgets import QApplication

    for _ in range(3):
        QApplication.processEvents()


class _vector_items:
    """pyqtgraph items in export mode (scatter symbols drawn as shapes, not from a pixmap atlas) and
    views without a background cache, for the vector formats; put back afterwards."""

    def __init__(self, widget: QWidget):
        self.views = [v for v in widget.findChildren(QGraphicsView) if v.scene() is not None]
        self.items, self.caches = [], []

    def __enter__(self):
        for v in self.views:
            self.caches.append((v, v.cacheMode()))
            v.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)
            for item in v.scene().items():
                if hasattr(item, "setExportMode"):
                    item.setExportMode(True, {"antialias": True, "background": QColor("white"),
                                              "resolutionScale": 1.0})
                    self.items.append(item)
        return self

    def __exit__(self, *exc):
        for item in self.items:
            item.setExportMode(False)
        for v, mode in self.caches:
            v.setCacheMode(mode)


def _font(px: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(px)
    font.setBold(bold)
    return font


def _wrapped(lines: list[str], width: int, font: QFont) -> list[str]:
    """Lines cut at spaces to fit ``width`` pixels: a definition is never clipped."""
    metrics = QFontMetrics(font)
    out: list[str] = []
    for line in lines:
        words, current = line.split(" "), ""
        for word in words:
            candidate = f"{current} {word}" if current else word
            if current and metrics.horizontalAdvance(candidate) > width:
                out.append(current)
                current = "    " + word            # continuation lines indented
            else:
                current = candidate
        out.append(current)
    return out


def _legend_width(slide: Slide) -> int:
    metrics = QFontMetrics(_font(SUBTITLE_PX))
    return sum(metrics.horizontalAdvance(label) + 32 for label, _ in slide.legend)


def _subtitle_lines(slide: Slide, width: int) -> list[str]:
    return [line for part in slide.subtitle.split("\n") for line in
            _wrapped([part], width - 2 * MARGIN, _font(SUBTITLE_PX))] if slide.subtitle else []


def _header_height(slide: Slide, width: int) -> int:
    lines = len(_subtitle_lines(slide, width)) + (1 if slide.legend else 0)
    return 8 + 30 + 20 * lines + 6


def _title_font(title: str, width: int) -> QFont:
    """The title's font: 22 px, smaller when that would not fit on one line (never cut)."""
    px = TITLE_PX
    while px > 12 and QFontMetrics(_font(px, True)).horizontalAdvance(title) > width:
        px -= 1
    return _font(px, True)


def _paint(p: QPainter, widget: QWidget, slide: Slide, size: QSize, header_h: int, end: bool = True) -> None:
    try:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        p.fillRect(QRect(QPoint(0, 0), size), QColor("white"))
        _header(p, slide, size.width())
        QWidget.render(widget, p, QPoint(0, header_h))   # the widget as shown, children included
        _footer(p, slide, size)
    finally:
        if end:
            p.end()


def _header(p: QPainter, slide: Slide, width: int) -> None:
    p.setFont(_title_font(slide.title, width - 2 * MARGIN))
    p.setPen(QColor("#111111"))
    p.drawText(QRect(MARGIN, 8, width - 2 * MARGIN, 30), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
               slide.title)
    p.setFont(_font(SUBTITLE_PX))
    y = 38
    for line in _subtitle_lines(slide, width):
        p.setPen(QColor("#333333"))
        p.drawText(QRect(MARGIN, y, width - 2 * MARGIN, 20), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   line)
        y += 20
    if slide.legend:                        # the role legend on a line of its own: it covers nothing
        x = MARGIN
        metrics = p.fontMetrics()
        for label, colour in slide.legend:
            p.fillRect(QRect(x, y + 4, 12, 12), QColor(colour))
            x += 18
            w = metrics.horizontalAdvance(label)
            p.setPen(QColor("#222222"))
            p.drawText(QRect(x, y, w + 2, 20), Qt.AlignmentFlag.AlignVCenter, label)
            x += w + 14


def _footer(p: QPainter, slide: Slide, size: QSize) -> None:
    p.setFont(_font(FOOTER_PX))
    y = size.height() - FOOTER_LINE * len(slide.footer) - MARGIN // 2
    p.setPen(QColor("#bbbbbb"))
    p.drawLine(MARGIN, y - 4, size.width() - MARGIN, y - 4)
    demo = False
    for line in slide.footer:
        demo = line.startswith("Demo:") or (demo and line.startswith("    "))
        p.setPen(QColor("#b22222" if demo else "#333333"))
        p.drawText(QRect(MARGIN, y, size.width() - 2 * MARGIN, FOOTER_LINE),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)
        y += FOOTER_LINE


def _events_pages(p: QPainter, pdf: QPdfWriter, slide: Slide, size: QSize) -> None:
    """The events table on the following page(s): one line per event, its prefixes under it."""
    try:
        rows = slide.events or [["event"], ["(no event in the window)"]]
        font, bold = _font(13), _font(13, True)
        metrics, heads = QFontMetrics(font), QFontMetrics(bold)
        line = 20
        widths = [max([heads.horizontalAdvance(rows[0][c])] +
                      [metrics.horizontalAdvance(r[c]) for r in rows[1:] if c < len(r)]) + 18
                  for c in range(len(rows[0]))]
        bottom = size.height() - FOOTER_LINE * len(slide.footer) - MARGIN - line
        i = 1
        while True:
            pdf.newPage()
            p.fillRect(QRect(QPoint(0, 0), size), QColor("white"))
            p.setFont(_title_font(slide.events_title or "Events", size.width() - 2 * MARGIN))
            p.setPen(QColor("#111111"))
            p.drawText(QRect(MARGIN, 8, size.width() - 2 * MARGIN, 30),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, slide.events_title or "Events")
            y = 52
            for r in [rows[0]] + rows[i:]:
                if y > bottom:
                    break
                x = MARGIN
                p.setFont(bold if r is rows[0] else font)
                p.setPen(QColor("#111111" if r is rows[0] or r[0] else "#444444"))
                for c, cell in enumerate(r):
                    right = c >= 5
                    rect = QRect(x, y, widths[c] - 18, line)
                    p.drawText(rect, (Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft)
                               | Qt.AlignmentFlag.AlignVCenter, cell)
                    x += widths[c]
                if r is not rows[0]:
                    i += 1
                y += line
            _footer(p, slide, size)
            if i >= len(rows):
                break
    finally:
        p.end()


# -- SVG: device coordinates ---------------------------------------------------------------------------

SVG, XLINK = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"
_SHAPES = {f"{{{SVG}}}{t}" for t in ("path", "polyline", "polygon", "rect")}
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def vector_svg(path: Path) -> None:
    """Rewrite the shapes of every transformed group of ``path`` in device coordinates (and drop the
    ``non-scaling-stroke`` that then means nothing); groups holding text or images are left alone."""
    ET.register_namespace("", SVG)
    ET.register_namespace("xlink", XLINK)
    tree = ET.parse(path)
    for g in tree.iter(f"{{{SVG}}}g"):
        m = _matrix(g.get("transform"))
        children = list(g)
        if m is None or not children or any(c.tag not in _SHAPES for c in children):
            continue
        scaled = m[1] or m[2] or abs(m[0] - 1) > 1e-9 or abs(m[3] - 1) > 1e-9
        stroked = g.get("stroke", "none") != "none"
        if scaled and stroked and any(c.get("vector-effect") != "non-scaling-stroke" for c in children):
            continue                          # a stroke that should scale with the shape: keep the transform
        if scaled and any(c.tag.endswith("rect") for c in children) and (m[1] or m[2]):
            continue
        for c in children:
            _bake(c, m)
            c.attrib.pop("vector-effect", None)
        del g.attrib["transform"]
    tree.write(path, encoding="UTF-8", xml_declaration=True)


def _matrix(text: str | None):
    if not text or not text.startswith("matrix("):
        return None
    values = [float(v) for v in _NUMBER.findall(text)]
    return values if len(values) == 6 else None


def _fmt(v: float) -> str:
    text = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _bake(el: ET.Element, m) -> None:
    a, b, c, d, e, f = m
    point = lambda x, y: (a * x + c * y + e, b * x + d * y + f)     # noqa: E731
    tag = el.tag.rsplit("}", 1)[1]
    if tag == "rect":
        x, y = float(el.get("x", 0)), float(el.get("y", 0))
        w, h = float(el.get("width", 0)), float(el.get("height", 0))
        x0, y0 = point(x, y)
        x1, y1 = point(x + w, y + h)
        el.set("x", _fmt(min(x0, x1)))
        el.set("y", _fmt(min(y0, y1)))
        el.set("width", _fmt(abs(x1 - x0)))
        el.set("height", _fmt(abs(y1 - y0)))
    elif tag in ("polyline", "polygon"):
        nums = [float(v) for v in _NUMBER.findall(el.get("points", ""))]
        pts = [point(nums[i], nums[i + 1]) for i in range(0, len(nums) - 1, 2)]
        el.set("points", " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in pts))
    else:
        el.set("d", _bake_path(el.get("d", ""), point))


def _bake_path(d: str, point) -> str:
    """Absolute M/L/C/Q/S/T/Z commands, as QSvgGenerator writes them, in device coordinates."""
    out, nums = [], []

    def flush():
        for i in range(0, len(nums) - 1, 2):
            x, y = point(nums[i], nums[i + 1])
            out.append(f"{_fmt(x)},{_fmt(y)}")
        nums.clear()

    for token in re.findall(r"[A-Za-z]|" + _NUMBER.pattern, d):
        if token.isalpha():
            flush()
            if token not in "MLCQSTZz":
                raise ExportError(f"SVG path command {token!r} is not one QSvgGenerator writes")
            out.append(token)
        else:
            nums.append(float(token))
    flush()
    return " ".join(out)
