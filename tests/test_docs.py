"""The README is a short user's guide whose commands, links and recipes work; the pages in
docs/ hold the rest, and their tables that the code can state are generated from it."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from wgan_suite.core.env import PLUGINS, RAY_ENV

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def _make_tables():
    spec = importlib.util.spec_from_file_location("make_tables", DOCS / "make_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_generated_tables_of_docs_are_current():
    assert _make_tables().stale() == []  # else: python docs/make_tables.py


def test_the_metrics_page_says_what_every_shipped_metric_applies_to():
    from wgan_suite.trial.metrics.registry import METRICS

    text = (DOCS / "metrics.md").read_text(encoding="utf-8")
    table = text.split("| metric | applies to | note |", 1)[1].split("\n\n", 1)[0]
    listed = set()
    for row in table.splitlines()[2:]:
        listed |= set(re.findall(r"`(\w+)`", row.split("|")[1]))
    shipped = {n for n in METRICS.names() if METRICS.get(n).__module__.startswith("wgan_suite.")}
    assert listed == shipped


def test_the_readme_is_short_and_starts_with_the_two_commands():
    text = README.read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) <= 8192
    assert "Arjovsky, Chintala, Bottou, ICML 2017" in text
    assert "github.com/martinarjovsky/WassersteinGAN" in text
    sections = re.findall(r"^## (.+)$", text, flags=re.M)
    assert sections[0] == "The two commands"
    first = _blocks(text, "bash")[0]
    commands = [line.split("#")[0].strip() for line in first.splitlines()]
    assert "pip install nox && nox -s reproduce" in commands
    assert "nox -s tests" in commands  # what .ci/run runs
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "nox -s tests" in ci
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    for session in ("tests", "reproduce", "setup"):
        assert f"def {session}(session" in noxfile


def test_the_readme_trial_counts_are_the_ablations():
    """The budget table's trial counts are what `reproduce` schedules at each budget (the
    README once said 200 where quick ran 269)."""
    from wgan_suite.core.locations import ablations_dir
    from wgan_suite.harness.ablation import discover, load_ablation

    stated = {
        m["budget"]: int(m["n"].replace(",", ""))
        for m in re.finditer(
            r"^\| `(?P<budget>\w+)`[^|]*\|[^|]*\((?P<n>[\d,]+) trials\)", README.read_text(), re.M
        )
    }
    assert set(stated) == {"quick", "cpu"}, stated
    root = ablations_dir()
    for budget, n in stated.items():
        ablations = [load_ablation(p, roots=(root,)) for p in discover(root)]
        runs = sum(len(a.trials(budget)) for a in ablations if a.spec.reproduced_at(budget))
        assert runs == n, f"README says {n} trials at {budget}; reproduce schedules {runs}"


def test_the_readme_set_up_works_as_root_without_sudo():
    """A container's root has no sudo: the data line must not start with a bare `sudo`."""
    block = README.read_text().split("```bash", 1)[1].split("```", 1)[0]
    assert not any(line.lstrip().startswith("sudo ") for line in block.splitlines())
    assert "$(command -v sudo) apt-get install" in block


def test_every_link_of_the_readme_and_docs_resolves():
    pages = [README, *sorted(DOCS.glob("*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://")):
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            assert file.is_file(), f"{page.name}: {target}"
            if anchor:
                headings = re.findall(r"^#+ (.+)$", file.read_text(encoding="utf-8"), flags=re.M)
                assert anchor in {_slug(h) for h in headings}, f"{page.name}: {target}"
    readme = README.read_text(encoding="utf-8")
    for doc in DOCS.glob("*.md"):
        assert f"docs/{doc.name}" in readme  # every page is reachable from the README


@pytest.mark.slow
def test_the_readme_recipes_validate(tmp_path):
    """The ablation, model, metric and claim of "Extending", as printed, load and validate:
    the claim is read both ways on the ablation, which also trains the new model scored
    by the new metric."""
    text = README.read_text(encoding="utf-8")
    ablation_text, claim_text = _blocks(text, "yaml")
    model_text, metric_text = _blocks(text, "python")
    plugin = tmp_path / "plugin"
    (plugin / "claims").mkdir(parents=True)
    (plugin / "model.py").write_text(model_text)
    (plugin / "metric.py").write_text(metric_text)
    (plugin / "claims" / "mine.yaml").write_text(claim_text)
    shutil.copytree(ROOT / "ablations" / "_base", tmp_path / "_base")
    ablation = yaml.safe_load(ablation_text)
    (tmp_path / f"{ablation['name']}.yaml").write_text(ablation_text)
    uses = {  # the new model and metric in an ablation of their own (no toy include)
        "name": "uses_the_plugins",
        "version": 1,
        "description": "the README's generator, scored by the README's metric",
        "paper": "none",
        "base": {
            "data": "8gaussians",
            "generator": "shift",
            "critic": {"name": "mlp", "width": 16},
            **{k: ablation["base"][k] for k in ("loss", "lipschitz")},
            "nz": 2,
            "metrics": ["w_estimate", "mean_gap"],
        },
        "grid": ablation["grid"],
        "seeds": [0, 1],
        "budgets": {
            "smoke": {"iterations": 4},
            "quick": {"iterations": 100},
            "paper": {"iterations": 1000},
        },
    }
    (tmp_path / "uses_the_plugins.yaml").write_text(yaml.safe_dump(uses))
    env = {**os.environ, **RAY_ENV, PLUGINS: str(plugin)}

    def validate(name: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "wgan_suite", "validate", str(tmp_path / f"{name}.yaml")]
        return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)

    done = validate("clip_range")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "1 claim(s)" in done.stdout
    done = validate("uses_the_plugins")
    assert done.returncode == 0, done.stderr[-2000:]
