"""A simulated two-hour live session (landmark replay through a fake
estimator, no model): memory stays flat and the counts keep going."""
from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

import synth
from coach.session.live import LiveSession

FPS = 4.0  # a slow camera: 28 800 frames stand for two hours
HOURS = 2.0


class ReplayEstimator:
    """Returns a good plank, with a sag for 2 s of every 30 s."""

    def __init__(self):
        self.good, self.bad = synth.plank(0.0), synth.plank(-25.0)

    def process(self, image, t):
        return synth.at(self.bad if (t % 30.0) < 2.0 else self.good, t)

    def close(self):
        pass


@pytest.mark.slow
def test_two_hours_live_memory_stays_flat():
    session = LiveSession(ReplayEstimator, "plank", countdown_s=0.0, setup_hold_s=0.0)
    img = np.zeros((48, 64, 3), np.uint8)
    n = int(HOURS * 3600 * FPS)
    checkpoints = {int(n * f): None for f in (0.1, 0.5, 1.0)}
    tracemalloc.start()
    try:
        for i in range(1, n + 1):
            session.process(img, i / FPS)
            if i % 600 == 0:
                session.snapshot()
                session.utterances_since(0)
            if i in checkpoints:
                gc.collect()
                checkpoints[i] = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    sizes = list(checkpoints.values())
    print("\n[2 h live] traced memory at 12 min / 1 h / 2 h: " + ", ".join(f"{s / 1e6:.2f} MB" for s in sizes))
    # flat: less than 1 MB of growth from 12 minutes to two hours
    assert sizes[-1] - sizes[0] < 1_000_000
    snap = session.snapshot()
    assert snap.phase == "coaching"
    # the hold keeps counting good time for two hours (less the cued sags)
    assert snap.progress.total > 0.85 * HOURS * 3600
