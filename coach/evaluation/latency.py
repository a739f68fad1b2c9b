"""Live latency with a timestamped test pattern.

The fake camera plays frames that carry their own number in a band of
black and white cells along the top edge (:func:`stamp_code`). The browser
notes when each numbered frame was captured (its local camera track), the
server reads the number of each frame it judges (:func:`read_code`) and the
page's HUD names the frame it shows; :func:`frame_latencies` pairs the two
clocks' records (browser and server run on one machine, one wall clock).

The cells are big (a twentieth of the picture's width) so the number
survives the WebRTC video codec and a downscaled stream; the first two cells
are white and black references and the last one a parity bit, so a frame
whose band was damaged reads as None rather than as a wrong number.
"""
from __future__ import annotations

import bisect
import statistics
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

#: The band: cells across the picture's width (white, black, BITS data bits, parity).
CELLS = 20
BITS = CELLS - 3
#: Largest frame number a band can carry.
MAX_CODE = 2**BITS - 1


def _cell(width: int) -> int:
    return max(2, width // CELLS)


def stamp_code(rgb: np.ndarray, n: int) -> np.ndarray:
    """A copy of ``rgb`` (H, W, 3) with frame number ``n`` in its top band."""
    if not 0 <= n <= MAX_CODE:
        raise ValueError(f"frame number must be 0..{MAX_CODE}, got {n}")
    out = np.array(rgb, dtype=np.uint8, copy=True)
    c = _cell(out.shape[1])
    bits = [(n >> (BITS - 1 - i)) & 1 for i in range(BITS)]
    cells = [1, 0, *bits, sum(bits) % 2]
    for i, b in enumerate(cells):
        out[:c, i * c:(i + 1) * c] = 255 if b else 0
    return out


def read_code(rgb: np.ndarray) -> int | None:
    """The frame number in ``rgb``'s top band, or None when there is none (or
    it does not check out)."""
    img = np.asarray(rgb)
    if img.ndim != 3 or img.shape[0] < 4 or img.shape[1] < CELLS * 2:
        return None
    c = _cell(img.shape[1])
    q = max(1, c // 4)  # the centre of each cell: away from codec ringing at the edges
    band = img[q:c - q].astype(np.float32).mean(axis=2)
    levels = [float(band[:, i * c + q:(i + 1) * c - q].mean()) for i in range(CELLS)]
    white, black = levels[0], levels[1]
    if white - black < 60:
        return None
    cut = (white + black) / 2
    bits = [int(v > cut) for v in levels[2:]]
    if sum(bits[:BITS]) % 2 != bits[BITS]:
        return None
    n = 0
    for b in bits[:BITS]:
        n = (n << 1) | b
    return n


#: The same reading in the browser (JavaScript), on a canvas drawn from the video.
READ_CODE_JS = """(ctx, w, h) => {
  const c = Math.max(2, Math.floor(w / %(cells)d)), q = Math.max(1, Math.floor(c / 4));
  if (h < 4 || w < %(cells)d * 2) return null;
  const px = ctx.getImageData(0, 0, w, c).data, lv = [];
  for (let i = 0; i < %(cells)d; i++) {
    let s = 0, k = 0;
    for (let y = q; y < c - q; y++) for (let x = i * c + q; x < (i + 1) * c - q; x++) {
      const o = (y * w + x) * 4; s += (px[o] + px[o + 1] + px[o + 2]) / 3; k++;
    }
    lv.push(s / k);
  }
  if (lv[0] - lv[1] < 60) return null;
  const cut = (lv[0] + lv[1]) / 2;
  let n = 0, ones = 0;
  for (let i = 2; i < %(cells)d - 1; i++) { const b = lv[i] > cut ? 1 : 0; n = n * 2 + b; ones += b; }
  if (ones %% 2 !== (lv[%(cells)d - 1] > cut ? 1 : 0)) return null;
  return n;
}""" % {"cells": CELLS}


@dataclass(frozen=True)
class Capture:
    """Frame ``code`` was captured at ``at_ms`` (wall clock, ms)."""

    code: int
    at_ms: float


class CaptureIndex:
    """When each numbered frame was captured. The fake camera loops its file,
    so a number comes round again: :meth:`at` gives the last capture before a
    moment."""

    def __init__(self, captures: Iterable[Capture]):
        self._by: dict[int, list[float]] = {}
        for c in captures:
            self._by.setdefault(int(c.code), []).append(float(c.at_ms))
        for v in self._by.values():
            v.sort()

    def __len__(self) -> int:
        return sum(len(v) for v in self._by.values())

    def at(self, code: int, before_ms: float) -> float | None:
        times = self._by.get(int(code))
        if not times:
            return None
        i = bisect.bisect_right(times, before_ms)
        return times[i - 1] if i else None


def frame_latencies(captures: CaptureIndex, shown: Iterable[tuple[int | None, float]],
                    max_ms: float = 5000.0) -> list[float]:
    """Milliseconds from each frame's capture to the moment something showed
    it: ``shown`` is (frame number, wall-clock ms) pairs. Unknown numbers are
    left out, and so is a frame whose last capture is more than ``max_ms``
    old (its capture in this loop of the pattern was not noted: the one found
    is from the loop before)."""
    out = []
    for code, at in shown:
        if code is None:
            continue
        c = captures.at(code, at)
        if c is not None and at - c <= max_ms:
            out.append(at - c)
    return out


def summarise(ms: Sequence[float]) -> dict:
    """n, median, p10, p90 and max of a list of milliseconds."""
    if not ms:
        return {"n": 0}
    xs = sorted(ms)

    def pct(q: float) -> float:
        return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]
    return {"n": len(xs), "median": statistics.median(xs), "p10": pct(0.1), "p90": pct(0.9), "max": xs[-1]}


def fmt(stats: Mapping) -> str:
    if not stats.get("n"):
        return "no samples"
    return (f"median {stats['median']:.0f} ms, p10 {stats['p10']:.0f}, p90 {stats['p90']:.0f}, "
            f"max {stats['max']:.0f} (n={stats['n']})")


__all__ = ["CELLS", "MAX_CODE", "READ_CODE_JS", "Capture", "CaptureIndex", "fmt",
           "frame_latencies", "read_code", "stamp_code", "summarise"]
