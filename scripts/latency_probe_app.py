"""The app, with the live page's HUD naming the camera frame it shows (for
``scripts/live_latency.py``; not for use).

    streamlit run scripts/latency_probe_app.py

The frames of the latency test pattern carry their number
(:mod:`coach.evaluation.latency`). This wrapper reads it from each frame the
live session judges and adds three attributes to the HUD panel:
``data-probe`` (the frame the HUD shows), ``data-status-frame`` and
``data-cue-frame`` (the frame whose judgement first gave the status and the
cue now shown). Everything else is the app as it is: the latency measured is
the app's own plus well under a millisecond for reading the number.
"""
import runpy
import threading
import time
from collections import OrderedDict
from pathlib import Path

import coach.webapp.live_page as live_page
from coach.evaluation.latency import read_code
from coach.session.live import LiveSession

ROOT = Path(__file__).resolve().parents[1]

if not getattr(LiveSession, "_latency_probe", False):  # once per server (the script reruns)
    LiveSession._latency_probe = True
    _lock = threading.Lock()
    _codes: OrderedDict = OrderedDict()  # frames judged (the snapshot's count) -> that frame's number
    _first: dict = {}  # "status" / "cue" -> (value, number of the frame that first gave it)
    _process, _hud_html = LiveSession.process, live_page.hud_html

    def process(self, image_rgb, t):
        arrived = time.time()
        code = read_code(image_rgb)
        out = _process(self, image_rgb, t)
        s = self.snapshot()
        with _lock:
            if s.frames and s.frames not in _codes:  # this frame was judged (the count went up)
                _codes[s.frames] = (code, arrived)
                while len(_codes) > 600:
                    _codes.popitem(last=False)
                for key, value in (("status", s.status or ""), ("cue", s.cue or "")):
                    if _first.get(key, (None,))[0] != value:
                        _first[key] = (value, code)

        return out

    def hud_html(s):
        with _lock:
            code, arrived = _codes.get(s.frames, (None, None))
            status = _first.get("status", ("", None))
            cue = _first.get("cue", ("", None))
        extra = {"probe": code, "arrived-ms": None if arrived is None else f"{arrived * 1000:.0f}",
                 "status-frame": status[1] if status[0] == (s.status or "") else None,
                 "cue-frame": cue[1] if cue[0] == (s.cue or "") else None}
        attrs = " ".join(f'data-{k}="{"" if v is None else v}"' for k, v in extra.items())
        return _hud_html(s).replace('<div id="coach-hud" ', f'<div id="coach-hud" {attrs} ', 1)

    LiveSession.process = process
    live_page.hud_html = hud_html

runpy.run_path(str(ROOT / "streamlit_app.py"), run_name="__main__")
