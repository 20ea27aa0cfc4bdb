"""SQL lives in the store modules: outside queue_server/store.py, content/store.py and the shared
plumbing (storage/), no module of the server runs a statement of its own. Backups and restores
work on whole files and may ask SQLite for file-level PRAGMAs."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STATEMENT = re.compile(r"\.execute\(\s*f?[\"'](?!PRAGMA)", re.I)
TABLE_API = re.compile(r"\bdb\[\"\w+\"\]")
ALLOWED = {"queue_server/store.py", "content/store.py"}


def test_no_sql_outside_the_store_modules():
    offenders = []
    for path in sorted((REPO / "queue_server").rglob("*.py")):
        name = str(path.relative_to(REPO))
        if name in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if STATEMENT.search(line) or TABLE_API.search(line):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert not offenders, "SQL outside the store modules:\n" + "\n".join(offenders)


def test_the_check_sees_a_statement():
    assert STATEMENT.search('db.execute("SELECT id FROM ticket")')
    assert TABLE_API.search('db["staff"].update(1, {})')
    assert not STATEMENT.search('conn.execute("PRAGMA integrity_check")')
