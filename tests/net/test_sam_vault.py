"""Sam's sample vault (tests/data/sam_vault, issue 12): big enough, in the sample vault's
conventions, overlapping Elena's dates and events, with private entries whose planted secret
the index keeps away from everything that is not the owner's."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from journal_me.api import open_vault
from journal_me.config import load_settings

SAM_VAULT = Path(__file__).resolve().parents[1] / "data" / "sam_vault"
ELENA_VAULT = Path(__file__).resolve().parents[2] / "vault"
SECRET = "silver-otter-2291"


def test_sam_vault_shape_and_overlap_with_elena(tmp_path: Path) -> None:
    shutil.copytree(SAM_VAULT, tmp_path / "vault")
    env = {"JOURNAL_ME_DATA_DIR": str(tmp_path / "data"), "JOURNAL_ME_CONFIG": str(tmp_path / "none.toml")}
    journal = open_vault(settings=load_settings(vault=tmp_path / "vault", env=env))
    try:
        journal.reindex()
        entries = [e for e in journal.entries() if not e.note]
        assert len(entries) >= 40
        dates = sorted(e.date for e in entries)
        assert dates[0] >= dt.date(2025, 8, 1) and dates[-1] <= dt.date(2026, 10, 31)
        private = sorted(e.rel for e in journal.entries() if e.private)
        assert private == ["journal/2025/2025-11-22.md", "journal/2026/2026-03-09.md"]
        for rel in private:
            assert SECRET in (tmp_path / "vault" / rel).read_text(encoding="utf-8")
        # the shared days: the same events, from Sam's side (Elena's vault has the same dates)
        for day in ("2025-08-09", "2025-11-15", "2025-11-17", "2026-06-07", "2026-07-11", "2026-10-10"):
            assert (SAM_VAULT / "journal" / day[:4] / f"{day}.md").is_file()
            assert list((ELENA_VAULT / "journal" / day[:4]).glob(f"{day}*.md"))
        # the fence: what is not the owner's never finds the secret; the owner does
        assert not [h for h in journal.search(SECRET, include_private=False) if SECRET in h.passage]
        assert [
            h for h in journal.search("fertility clinic login", include_private=True) if SECRET in h.passage
        ]
        assert journal.search("Stanage Edge sock ring", include_private=False)
    finally:
        journal.close()
