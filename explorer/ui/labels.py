"""Where labels go on a strip of rows, so that none covers another: a placement computed, not hoped for.

Plain Python (no Qt): the timeline measures its texts and asks; tests ask too.
"""

from __future__ import annotations

from dataclasses import dataclass

GAP_PX = 8              # free pixels between two labels of one row


@dataclass(frozen=True)
class Placed:
    row: int
    variant: int        # which of the label's texts (0: the longest)
    left: float         # pixels from the strip's left edge
    width: float


def place(labels: list[tuple[float, list[float]]], width: float, rows: int) -> list[Placed | None]:
    """``labels``: (anchor, widths of its texts from the longest to the shortest), most important first.

    Each label starts at its anchor, moved left just enough to end inside the strip, in the first row
    where it covers no label placed before it; its longest text that fits anywhere is used. A label
    none of whose texts fits is left out (None): its mark on the plot stays, the table names it.
    """
    taken: list[list[tuple[float, float]]] = [[] for _ in range(rows)]
    out: list[Placed | None] = []
    for anchor, widths in labels:
        done = None
        for variant, w in enumerate(widths):
            if w > width:
                continue
            left = min(max(0.0, anchor), width - w)
            for row in range(rows):
                if all(left + w + GAP_PX <= a or b + GAP_PX <= left for a, b in taken[row]):
                    done = Placed(row, variant, left, w)
                    break
            if done:
                break
        if done:
            taken[done.row].append((done.left, done.left + done.width))
        out.append(done)
    return out
