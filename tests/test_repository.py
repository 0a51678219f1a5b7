"""The repository stands alone: nothing outside it is named, every test-data file has its provenance."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import DATA, REPO


def _tracked() -> list[str]:
    r = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True)
    return [p for p in r.stdout.split("\0") if p]


def test_no_tracked_file_points_outside_the_repository():
    outside = re.compile(r"\.\./" + "shared|TIMECHAT_" + "SHARED")  # split, so that this line is no hit itself
    hits = []
    for rel in _tracked():
        try:
            text = (REPO / rel).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue  # binary files
        hits += [f"{rel}:{n}" for n, line in enumerate(text.splitlines(), 1) if outside.search(line)]
    assert not hits, hits


def test_every_test_data_file_is_described_and_the_folder_stays_small():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    # one section per top folder, headed "## `folder/`..."
    sections = dict(re.findall(r"^## `([^`/]+)/`[^\n]*\n(.*?)(?=^## |\Z)", readme, flags=re.M | re.S))
    files = [p for p in DATA.rglob("*") if p.is_file() and p.name != "README.md" and "__pycache__" not in p.parts]
    assert len(files) > 50 and {p.relative_to(DATA).parts[0] for p in files} <= set(sections)
    # A file is described when its own folder's section gives its path in that folder or its name.
    missing = []
    for p in files:
        rel = p.relative_to(DATA)
        text = sections[rel.parts[0]]
        if str(rel.relative_to(rel.parts[0])) not in text and not re.search(rf"\b{re.escape(p.name)}\b", text):
            missing.append(str(rel))
    assert not missing, f"not described in their folder's section of tests/data/README.md: {missing}"
    assert sum(p.stat().st_size for p in files) <= 40 * 2**20


def test_no_private_name_crosses_a_module():
    """Parts use each other's public names only: no `from timechat_core.x import _y`, no `module._y` on an
    imported project module (the architecture's contracts are import-linter's, in pyproject.toml)."""
    import ast

    crossings = []
    for rel in _tracked():
        if not rel.endswith(".py") or rel.startswith(("tests/", "research/tests/")):
            continue
        tree = ast.parse((REPO / rel).read_text(encoding="utf-8"))
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("timechat_core", "timechat_cli")):
                crossings += [f"{rel}:{node.lineno} {node.module}.{a.name}" for a in node.names
                              if a.name.startswith("_") and not a.name.startswith("__")]
                modules |= {a.asname or a.name for a in node.names}
            elif isinstance(node, ast.Import):
                modules |= {a.asname or a.name for a in node.names if a.name.startswith(("timechat_core", "timechat_cli"))}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                crossings.append(f"{rel}:{node.lineno} {node.value.id}.{node.attr}")
    assert not crossings, crossings
