"""The Review page's upload path for landmark tracks (issue 9, items 5 and 6),
under Streamlit's AppTest (no browser): an uploaded track is parsed once per
upload, not on every rerun; a corrupt or oversized one gives one ``st.error``
line and no exception, and the Analyse button stays disabled."""
from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

import pose_rules  # noqa: E402
from coach import samples  # noqa: E402
from coach.core.pose import TRACK_FORMAT, PoseTrack  # noqa: E402
from coach.webapp.common import model_bytes  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "core"))
from test_tracks import CORPUS  # noqa: E402  (the corrupt-track corpus, generated at import)


def _review():
    from coach.webapp import review_page

    review_page.review_page()


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_PROFILE_DIR", str(tmp_path / "profiles"))
    monkeypatch.setenv("COACH_MODEL", str(tmp_path / "no-model.task"))  # tracks need no model
    monkeypatch.chdir(ROOT)
    model_bytes.clear()
    yield
    model_bytes.clear()


@pytest.fixture
def loads(monkeypatch) -> list[str]:
    """The names PoseTrack.load is called with (the page runs in this process)."""
    calls: list[str] = []
    real = PoseTrack.load.__func__

    def counting(cls, path, name=None):
        calls.append(name or str(path))
        return real(cls, path, name)
    monkeypatch.setattr(PoseTrack, "load", classmethod(counting))
    return calls


def upload(name: str, data: bytes) -> AppTest:
    at = AppTest.from_function(_review, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    at.file_uploader(key="review_upload").upload(name, data).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sample_bytes(name: str = "bird_dog") -> bytes:
    return samples.path(name).read_bytes()


def test_an_uploaded_track_is_parsed_once_not_on_every_rerun(loads):
    at = upload("mine.npz", sample_bytes())
    assert loads == ["mine.npz"]
    assert not at.error
    assert not at.button(key="review_go").disabled
    # reruns: a plain rerun and a widget change
    at.run()
    at.selectbox(key="review_profile").set_value(at.selectbox(key="review_profile").options[0]).run()
    assert not at.exception
    assert loads == ["mine.npz"], loads
    # another upload is parsed (once)
    at.file_uploader(key="review_upload").clear().upload("other.npz", sample_bytes("kocici_hrbet")).run()
    at.run()
    assert loads == ["mine.npz", "other.npz"], loads
    # no upload: the parsed track is not kept
    assert "_review_track" in at.session_state
    at.file_uploader(key="review_upload").clear().run()
    assert not at.exception and "_review_track" not in at.session_state


def test_an_uploaded_track_is_analysed_as_the_cli_analyses_it():
    from coach.session.loop import analyze_track

    at = upload("mine.npz", sample_bytes())
    at.button(key="review_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    rv = at.session_state["review"]
    expected = analyze_track(PoseTrack.load(samples.path("bird_dog")), pose_rules.RULES["bird_dog"])
    assert rv["exercise"] == "bird_dog"
    assert rv["report"].to_dict()["summary"] == expected.to_dict()["summary"]


CASES = [c for c in CORPUS if c[0] in {
    "meta-null", "meta-list", "meta-string", "meta-invalid-json", "width-null", "width-zero", "image-100000",
    "ts-decreasing", "ts-duplicate", "ts-nan", "ts-inf", "empty-track", "lm-short", "lm-int", "lm-inf",
    "exercise-list", "not-a-zip", "truncated"}]


@pytest.mark.parametrize("case, data, words", CASES, ids=[c[0] for c in CASES])
def test_a_corrupt_upload_is_one_error_line_and_not_parsed_again(loads, case, data, words):
    at = upload(f"{case}.npz", data)
    assert len(at.error) == 1, [e.value for e in at.error]
    msg = at.error[0].value
    assert "\n" not in msg.strip() and f"{case}.npz" in msg, msg
    for w in words:
        assert w in msg, (w, msg)
    assert at.button(key="review_go").disabled  # nothing to analyse
    at.run()
    assert not at.exception and len(at.error) == 1 and loads == [f"{case}.npz"], loads


def test_a_small_upload_declaring_a_million_frames_is_refused_at_once(loads):
    lm = np.broadcast_to(np.float32(np.nan), (1_000_000, 33, 4))
    wd = np.broadcast_to(np.float32(np.nan), (1_000_000, 33, 3))
    buf = io.BytesIO()
    np.savez_compressed(buf, timestamps=np.arange(1_000_000) / 60.0, landmarks=lm, world=wd,
                        meta=np.array(json.dumps({"format": TRACK_FORMAT, "version": 1, "image_width": 640,
                                                  "image_height": 480})))
    at = upload("bomb.npz", buf.getvalue())
    assert [e.value for e in at.error] == [
        "bomb.npz: track declares 1000000 frames; the limit is 864000 (4 hours at 60 fps)"]
    assert at.button(key="review_go").disabled
