"""The repository explains itself: every relative link in its Markdown files leads to a file or
folder inside the repository, and nothing links to the folders beside it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def markdown_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "*.md", "**/*.md"], cwd=REPO, capture_output=True, text=True)
    if listed.returncode == 0 and listed.stdout.strip():
        return sorted({REPO / line for line in listed.stdout.split()})
    return sorted(p for p in REPO.rglob("*.md") if ".venv" not in p.parts and "var" not in p.parts)


def relative_links(text: str) -> list[str]:
    # code spans and fenced blocks are examples, not links
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    return [target for target in LINK.findall(text)
            if not re.match(r"[a-z][a-z0-9+.-]*:", target) and not target.startswith("#")]


def test_there_are_markdown_files_with_links():
    files = markdown_files()
    assert REPO / "README.md" in files and REPO / "docs" / "architecture.md" in files
    assert relative_links((REPO / "README.md").read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves_inside_the_repository(path):
    broken = []
    for target in relative_links(path.read_text(encoding="utf-8")):
        resolved = (path.parent / target.split("#")[0]).resolve()
        if not resolved.is_relative_to(REPO) or not resolved.exists():
            broken.append(target)
    assert not broken, f"{path.relative_to(REPO)} links to what the repository does not hold: {broken}"


def test_the_link_finder_sees_a_broken_link():
    assert relative_links("see [design](../shared/DESIGN.md) and [web](https://example.org) `[x](y)`") == \
        ["../shared/DESIGN.md"]
