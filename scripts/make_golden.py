"""Regenerate the golden expected results in samples/ from the sample tracks.

    python scripts/make_golden.py

Run this only after a deliberate rule or engine change, and review the diff:
tests/test_golden.py compares fresh analyses with these files.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pose_rules  # noqa: E402
from coach.analysis import analyze_track  # noqa: E402
from coach.pose import PoseTrack  # noqa: E402

SAMPLES = ROOT / "samples"


def golden(track_path: Path) -> dict:
    track = PoseTrack.load(track_path)
    rule = pose_rules.get_rule(track.meta["exercise"])
    rep = analyze_track(track, rule)
    runs: list[list] = []  # run-length encoded per-frame status
    for row in rep["timeline"]:
        key = f"{row['status']}:{','.join(row['faults'])}"
        if runs and runs[-1][0] == key:
            runs[-1][1] += 1
        else:
            runs.append([key, 1])
    return {"track": track_path.name, "exercise": rule.name, "summary": rep["summary"],
            "faults": rep["faults"], "reps": rep["reps"], "status_runs": runs}


def main() -> None:
    for p in sorted(SAMPLES.glob("*.track.npz")):
        out = p.with_name(p.name.replace(".track.npz", ".expected.json"))
        out.write_text(json.dumps(golden(p), indent=1) + "\n")
        print("wrote", out.relative_to(ROOT))


if __name__ == "__main__":
    main()
