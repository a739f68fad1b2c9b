"""Named threshold profiles: the user's name is kept, names never collide
into one file, nothing saved is lost, and bad files give one line."""
from __future__ import annotations

import json

import pytest

from coach.engine.profiles import find_profile, list_profiles, load_named, profile_path, save_named, slug
from coach.engine.thresholds import ThresholdError, load_profile


@pytest.fixture(autouse=True)
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_PROFILE_DIR", str(tmp_path / "profiles"))
    return tmp_path / "profiles"


def test_similar_names_are_separate_profiles_and_never_merge(folder):
    a = save_named("After physio", "plank", {"sag_deg": 20})
    b = save_named("after-physio", "plank", {"sag_deg": 25})
    c = save_named("AFTER PHYSIO!!", "plank", {"sag_deg": 30})
    assert len({a, b, c}) == 3 and all(p.parent == folder for p in (a, b, c))
    assert list(list_profiles()) == ["After physio", "after-physio", "AFTER PHYSIO!!"] or \
        set(list_profiles()) == {"After physio", "after-physio", "AFTER PHYSIO!!"}
    assert load_named("After physio")["plank"]["sag_deg"] == 20
    assert load_named("after-physio")["plank"]["sag_deg"] == 25
    assert load_named("AFTER PHYSIO!!")["plank"]["sag_deg"] == 30
    # saving again under the same name updates that profile only
    assert save_named("After physio", "plank", {"sag_deg": 21}) == a
    assert load_named("after-physio")["plank"]["sag_deg"] == 25


def test_names_in_any_script_are_kept_exactly(folder):
    for name in ("Физиотерапия", "物理治疗 2", "Ωμέγα", "Übung für Jana"):
        p = save_named(name, "plank", {"sag_deg": 18})
        assert p.parent == folder and "/" not in p.name
        assert json.loads(p.read_text(encoding="utf-8"))["profile"] == name
        assert load_named(name)["plank"]["sag_deg"] == 18
    assert slug("Физиотерапия") == "физиотерапия"


@pytest.mark.parametrize("name", ["", "   ", "!!!", "../../etc/passwd", "a\nb", "x" * 81])
def test_unusable_names_are_refused_or_stay_in_the_folder(name, folder):
    try:
        p = profile_path(name)
    except ThresholdError as e:
        assert "\n" not in str(e)
        return
    assert p.parent == folder and p.name.endswith(".json") and ".." not in p.name


def test_an_unreadable_profile_is_kept_aside_not_overwritten(folder):
    folder.mkdir(parents=True)
    broken = folder / "mine.json"
    broken.write_text('{"profile": "mine", "plank": {"sag_deg": ', encoding="utf-8")
    before = broken.read_bytes()
    save_named("mine", "plank", {"sag_deg": 19})
    assert broken.read_bytes() == before  # not overwritten
    assert load_named("mine")["plank"]["sag_deg"] == 19
    # a readable profile of this name with values that are no longer valid: kept aside
    (folder / "theirs.json").write_text(json.dumps({"profile": "theirs", "plank": {"sag_deg": 999}}))
    save_named("theirs", "plank", {"sag_deg": 17})
    assert json.loads((folder / "theirs.json.unreadable").read_text())["plank"]["sag_deg"] == 999
    assert load_named("theirs")["plank"]["sag_deg"] == 17


def test_byte_order_mark_and_deep_nesting(folder, tmp_path):
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps({"plank": {"sag_deg": 12}}).encode())
    assert load_profile(bom) == {"plank": {"sag_deg": 12.0}}
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(ThresholdError, match="nested too deeply"):
        load_profile(deep)
    # the same file in the profile folder: listing the profiles still works
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deep.json").write_text("[" * 100000 + "]" * 100000)
    save_named("fine", "plank", {"sag_deg": 14})
    assert list(list_profiles()) == ["fine"]
    with pytest.raises(ThresholdError):
        find_profile("nothing like this")
