"""One JSON reader and one timestamp (issue 14).

``fsutil.read_json``: None for a missing file, else the object, else one error naming the
file and what is wrong — the registry turns it into its corrupt-registry error, the derived
state (training state, privacy ledger, reminders) reads as empty *and logs why* instead of
passing over it. ``timestamps``: local time with its offset; older naive stamps still read.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path

import pytest

from journal_me import fsutil, timestamps
from journal_me.models import RegistryCorruptError
from journal_me.privacy import PrivacyLedger
from journal_me.vault import CONFLICT_NAME_RE


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"\xff\xfe\x00garbage", "not a text file (garbage bytes)"),
        (b'{"base": "tin', "not valid JSON ("),
        (b"[1, 2]", "a JSON list, not an object"),
        (b"null", "a JSON null, not an object"),
        (b"", "not valid JSON ("),
    ],
)
def test_read_json_names_the_file_and_what_is_wrong(tmp_path: Path, content: bytes, why: str) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(fsutil.JsonFileError) as info:
        fsutil.read_json(path)
    assert info.value.path == path and info.value.why.startswith(why)
    assert str(info.value).startswith(f"{path}: {why}")
    assert isinstance(info.value, ValueError)


def test_read_json_missing_object_bom_and_unreadable(tmp_path: Path) -> None:
    assert fsutil.read_json(tmp_path / "nope.json") is None
    (tmp_path / "ok.json").write_text('{"a": "é"}', encoding="utf-8")
    assert fsutil.read_json(tmp_path / "ok.json") == {"a": "é"}
    (tmp_path / "bom.json").write_bytes('\ufeff{"a": 1}'.encode())  # Windows Notepad
    assert fsutil.read_json(tmp_path / "bom.json") == {"a": 1}
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(fsutil.JsonFileError, match="unreadable"):
        fsutil.read_json(tmp_path / "dir.json")


def test_the_registry_reads_through_it_with_its_own_error(tmp_path: Path) -> None:
    from journal_me.models import files

    path = tmp_path / "registry.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(RegistryCorruptError) as info:
        files.read_json(path)
    assert info.value.why == "a JSON list, not an object" and str(path) in str(info.value)


def test_mangled_training_state_reads_as_empty_and_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from trainer import state

    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text('{"status": "runn', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="trainer.state"):
        assert state.read_run(run) == {}
        state.write_run(run, status="failed")
    assert json.loads((run / "run.json").read_text(encoding="utf-8")) == {"status": "failed"}
    logged = [r.getMessage() for r in caplog.records if r.name == "trainer.state"]
    assert len(logged) == 2 and all("run.json: not valid JSON" in m for m in logged)
    caplog.clear()
    assert state.read_run(tmp_path / "missing") == {}  # no file: nothing to say
    assert not caplog.records


def test_mangled_privacy_ledger_is_logged_and_old_naive_stamps_still_count(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "privacy.json"
    path.write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="journal_me.privacy"):
        ledger = PrivacyLedger(path)
    assert ledger.pending == {}
    assert any("privacy.json: not valid JSON" in r.getMessage() for r in caplog.records)

    # written by an older version: naive local times
    yesterday = (dt.datetime.now() - dt.timedelta(days=1)).replace(microsecond=0).isoformat()
    long_ago = (dt.datetime.now() - dt.timedelta(days=30)).replace(microsecond=0).isoformat()
    path.write_text(json.dumps({"vanished": {"back.md": yesterday, "old.md": long_ago}}), encoding="utf-8")
    ledger = PrivacyLedger(path)
    assert ledger.note_public("back.md", was_private=False)  # came back within 7 days: fenced
    assert not ledger.note_public("old.md", was_private=False)
    since = ledger.pending["back.md"]["since"]
    assert timestamps.parse(since).utcoffset() is not None  # new stamps carry their offset
    change = ledger.changes()[0]
    assert change.since.tzinfo is not None
    assert abs((timestamps.now() - change.since).total_seconds()) < 60


def test_one_timestamp() -> None:
    now = timestamps.now_iso()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", now)
    assert timestamps.parse(now) == dt.datetime.fromisoformat(now)
    naive = timestamps.parse("2026-03-02T21:40:05")
    assert naive.tzinfo is not None and naive.replace(tzinfo=None) == dt.datetime(2026, 3, 2, 21, 40, 5)
    assert timestamps.parse("2026-03-02T20:40:05+00:00") == dt.datetime(2026, 3, 2, 20, 40, 5, tzinfo=dt.UTC)
    stamp = timestamps.file_stamp(dt.datetime(2026, 3, 2, 21, 40, 5))
    assert stamp == "20260302-214005" and CONFLICT_NAME_RE.match(f"a.conflict-{stamp}.md")


def test_the_old_copies_are_gone() -> None:
    """The registry, the trainer's state and the privacy ledger use the shared helpers."""
    import journal_me.models.files as model_files
    import journal_me.privacy as privacy
    from trainer import state

    assert not hasattr(model_files, "now_iso") and not hasattr(model_files, "json_kind")
    assert not hasattr(privacy, "_now")
    assert state.now_iso is timestamps.now_iso
