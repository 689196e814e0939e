"""The library's layout: one package per stage, a few shared modules at the top, and imports that
only run downwards (the layers and the no-cycles rule in pyproject.toml, checked by import-linter)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from wirewatch.settings import REPO_ROOT

LIBRARY = REPO_ROOT / "plugins" / "wirewatch"
STAGES = ("feeds", "fetch", "extraction", "dedup", "tagging", "warehouse", "reporting")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=root,
                          env={**os.environ, "PYTHONPATH": str(root / "plugins")},
                          capture_output=True, text=True, timeout=300)


def test_imports_run_down_the_layers_without_cycles():
    done = lint_imports(REPO_ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout


def test_an_import_back_up_a_layer_breaks_the_contract(tmp_path):
    """The check is live: a fetch module importing the feeds stage (a higher layer) is reported."""
    copy = tmp_path / "repo"
    (copy / "plugins").mkdir(parents=True)
    subprocess.run(["cp", "-r", str(LIBRARY), str(copy / "plugins")], check=True)
    (copy / "pyproject.toml").write_text((REPO_ROOT / "pyproject.toml").read_text())
    content = copy / "plugins" / "wirewatch" / "fetch" / "content.py"
    content.write_text(content.read_text() + "\nfrom wirewatch.feeds import runner  # noqa: E402,F401\n")
    done = lint_imports(copy)
    assert done.returncode != 0
    assert "wirewatch.fetch is not allowed to import wirewatch.feeds" in done.stdout


def test_each_stage_is_a_package_and_few_modules_stay_at_the_top():
    for stage in STAGES:
        init = LIBRARY / stage / "__init__.py"
        assert init.is_file(), f"no stage package {stage}/"
        assert init.read_text().startswith('"""'), f"{stage}/__init__.py lacks the docstring saying its job"
    top = sorted(p.stem for p in LIBRARY.glob("*.py") if p.name != "__init__.py")
    assert len(top) <= 12, top
