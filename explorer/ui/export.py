"""The current view as a slide: PNG (1x, 2x or an exact size), SVG and PDF (vector), with a title,
a legend, the definitions in force and a provenance footer, so that the picture explains itself.

``export_widget`` paints any widget (the graph, the timeline, or both side by side) between a
header and a footer. PNG goes through a QImage; SVG through QSvgGenerator and PDF through
QPdfWriter, both of which keep lines and text as vectors (an AS label stays text in the SVG).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QMarginsF, QPoint, QRect, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPageSize, QPainter, QPdfWriter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QWidget

FORMATS = ("png", "svg", "pdf")
HEADER, FOOTER_LINE, MARGIN = 64, 18, 16


class ExportError(ValueError):
    """An export that cannot be made, in words a user can act on."""


@dataclass
class Slide:
    """What goes around the picture."""

    title: str
    subtitle: str = ""                           # scope and window
    legend: list[tuple[str, str]] = field(default_factory=list)     # (label, colour '#rrggbb')
    footer: list[str] = field(default_factory=list)                 # definitions, provenance, demo label


def export_widget(widget: QWidget, slide: Slide, out: str | Path, size: QSize | None = None,
                  scale: float = 1.0) -> Path:
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
    slide = Slide(slide.title, slide.subtitle, slide.legend, _wrapped(slide.footer, width - 2 * MARGIN))
    footer_h = FOOTER_LINE * len(slide.footer) + MARGIN
    if size is None:
        size = QSize(widget.width(), widget.height() + HEADER + footer_h)
    if size.width() < 200 or size.height() < HEADER + footer_h + 100:
        raise ExportError(f"{size.width()}x{size.height()} is too small for the picture and its text")
    body = QSize(size.width(), size.height() - HEADER - footer_h)
    old = widget.size()
    widget.resize(body)                      # lay the panes out at the size they will be drawn at
    try:
        if fmt == "png":
            image = QImage(QSize(round(size.width() * scale), round(size.height() * scale)),
                           QImage.Format.Format_ARGB32)
            image.setDevicePixelRatio(scale)
            image.fill(QColor("white"))
            _paint(QPainter(image), widget, slide, size)
            if not image.save(str(out)):
                raise ExportError(f"{out}: could not write the PNG")
        elif fmt == "svg":
            gen = QSvgGenerator()
            gen.setFileName(str(out))
            gen.setSize(size)
            gen.setViewBox(QRect(QPoint(0, 0), size))
            gen.setTitle(slide.title)
            gen.setDescription(" | ".join(slide.footer))
            _paint(QPainter(gen), widget, slide, size)
        else:
            pdf = QPdfWriter(str(out))
            pdf.setResolution(72)                # one point per pixel of the layout
            pdf.setPageSize(QPageSize(QSizeF(size.width(), size.height()), QPageSize.Unit.Point))
            pdf.setPageMargins(QMarginsF(0, 0, 0, 0))
            pdf.setTitle(slide.title)
            pdf.setCreator("BGP History Explorer")
            _paint(QPainter(pdf), widget, slide, size)
    finally:
        widget.resize(old)
    return out


def _footer_font() -> QFont:
    font = QFont()
    font.setPixelSize(12)
    return font


def _wrapped(lines: list[str], width: int) -> list[str]:
    """The footer's lines cut at spaces to fit ``width`` pixels: a definition is never clipped."""
    metrics = QFontMetrics(_footer_font())
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


def _paint(p: QPainter, widget: QWidget, slide: Slide, size: QSize) -> None:
    try:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        p.fillRect(QRect(QPoint(0, 0), size), QColor("white"))
        _header(p, slide, size.width())
        QWidget.render(widget, p, QPoint(0, HEADER))   # the widget as shown, children included
        _footer(p, slide, size)
    finally:
        p.end()


def _header(p: QPainter, slide: Slide, width: int) -> None:
    title = QFont()
    title.setPixelSize(22)
    title.setBold(True)
    p.setFont(title)
    p.setPen(QColor("#111111"))
    p.drawText(QRect(MARGIN, 6, width - 2 * MARGIN, 30), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
               slide.title)
    small = QFont()
    small.setPixelSize(13)
    p.setFont(small)
    p.setPen(QColor("#333333"))
    p.drawText(QRect(MARGIN, 36, width - 2 * MARGIN, 22), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
               slide.subtitle)
    x = width - MARGIN                       # the legend, right-aligned on the title's line
    metrics = p.fontMetrics()
    for label, colour in reversed(slide.legend):
        w = metrics.horizontalAdvance(label)
        x -= w
        p.setPen(QColor("#222222"))
        p.drawText(QRect(x, 12, w, 20), Qt.AlignmentFlag.AlignVCenter, label)
        x -= 18
        p.fillRect(QRect(x, 16, 12, 12), QColor(colour))
        x -= 14


def _footer(p: QPainter, slide: Slide, size: QSize) -> None:
    p.setFont(_footer_font())
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
