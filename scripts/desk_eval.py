"""How accurately the desk posture rule judges labelled material.

    .venv/bin/python scripts/desk_eval.py [--shared ../shared] [--misses]

Reads the shared seated photos once with MediaPipe (cached in
~/.cache/back-coach/desk-readings), judges them, the labelled frames of the
seated / standing clips (devset/tracks) and variants derived from their
upright frames by known geometry, each with the default thresholds and with a
calibration from an upright frame of the same person, and prints the
agreement tables (see coach/evaluation/desk.py for the labels).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"), help="the shared material folder")
    ap.add_argument("--cache", default=str(Path.home() / ".cache" / "back-coach" / "desk-readings"),
                    help="where the photo readings are cached")
    ap.add_argument("--misses", action="store_true", help="list every item judged otherwise than labelled")
    args = ap.parse_args(argv)

    from coach.evaluation import desk as E

    shared = Path(args.shared)
    if not (shared / "clips" / "dev_labels.json").is_file() or not E.photo_paths(shared):
        print(f"desk_eval: skipped: the shared material is missing ({shared}/clips with dev_labels.json and photos)")
        return 0
    tracks = E.devset_tracks(ROOT)
    t0 = time.time()
    try:
        material = E.load_material(shared, tracks, Path(args.cache))
    except Exception as e:  # the model cannot be provisioned, a photo cannot be read
        print(f"desk_eval: cannot read the photos: {e}")
        return 1
    refused: list[str] = []
    res = E.evaluate_all(material, refused)
    titles = {"photos": "Real photos (side view; one man, one woman)",
              "clips": "Real clip frames (each frame judged alone)",
              "derived": "Derived variants (labelled by the change)"}
    for kind in ("photos", "clips", "derived"):
        for mode in ("default", "calibrated"):
            outs = res[kind][mode]
            print()
            print(f"## {titles[kind]}: {mode} thresholds")
            if not outs:
                print("(nothing to judge)")
                continue
            print("\n".join(E.table(E.score(outs), "group")))
            if args.misses:
                for row in E.score(outs)[:-1] if len(E.score(outs)) > 1 else E.score(outs):
                    for m in row.misses:
                        print(f"   miss: {m}")
    for kind in ("photos", "derived"):
        for mode in ("default", "calibrated"):
            print()
            print(f"## Confusion, {kind}, {mode}: rows = label, columns = what the rule reported (per fault)")
            print("\n".join(E.confusion_lines(res[kind][mode])))
    side = E.side_bases(material.photos, material.labels, tracks)
    front = E.front_bases(tracks)
    for mode, cal in (("default", False), ("calibrated", True)):
        print()
        print(f"## Where the fault first appears, {mode} thresholds: smallest change per upright base "
              "(side: 3 photos + cat-cow frames; front: side-bend frames)")
        print("\n".join(E.flip_lines(E.flip_points(side, front, cal))))
    for r in sorted(set(refused)):
        print(f"left out: {r}")
    print()
    print("Labels of derived variants: good when the change is within 1/3 of the limit in force (default or "
          "calibrated), the fault when beyond 1.5x the limit, not scored in between.")
    print("Not covered: two people (one man, one woman), side-view photos only, no real front webcam footage "
          "(front view = one seated clip + derived variants).")
    print(f"({time.time() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
