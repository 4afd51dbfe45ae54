"""The report keeps its evidence (``reports/data``) and can be rebuilt from it alone."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.report_fixture import build_runs, fixture_claims
from wgan_suite.report import read_runs, report_from_runs
from wgan_suite.report.evidence import shown_trials


def _write_tables(runs: Path, results: pd.DataFrame, trials: pd.DataFrame) -> None:
    runs.mkdir(parents=True, exist_ok=True)
    results.to_parquet(runs / "results.parquet")
    trials.to_parquet(runs / "trials.parquet")


def _images(html: str) -> list[str]:
    return re.findall(r'src="(data:image/png;base64,[^"]+)"', html)


# the small ablations of the fixture: what the bundle keeps does not depend on the grid's
# size, and paper_stability's 54 trials would double every report built here
SMALL = ("toy_modes", "clipping_c", "optimizers")


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """A report built from runs/, whose trial directories are then deleted."""
    root = tmp_path_factory.mktemp("evidence")
    results, trials = build_runs(root / "runs")
    results = results[results["ablation"].isin(SMALL)].reset_index(drop=True)
    trials = trials[trials["ablation"].isin(SMALL)].reset_index(drop=True)
    _write_tables(root / "runs", results, trials)
    claims = [c for c in fixture_claims() if c.ablation in SMALL]
    index = report_from_runs([root / "runs"], root / "reports", claims)
    return root, index, claims, results, trials


def test_report_is_rebuilt_from_its_evidence_alone(first):
    root, _, claims, results, _ = first
    data = root / "reports" / "data"
    assert sorted(p.name for p in data.iterdir()) == ["results.parquet", "trials", "trials.parquet"]
    kept = pd.read_parquet(data / "trials.parquet")
    assert not any(Path(d).is_absolute() for d in kept["trial_dir"])  # the bundle travels
    pd.testing.assert_frame_equal(pd.read_parquet(data / "results.parquet"), results)
    # move the bundle and lose runs/: the verdicts and the pictures come back the same
    shutil.copytree(data, root / "elsewhere" / "data")
    shutil.rmtree(root / "runs")
    again = report_from_runs([root / "elsewhere" / "data"], root / "rebuilt", claims)
    before = (root / "reports" / "verdicts.csv").read_text()
    assert (root / "rebuilt" / "verdicts.csv").read_text() == before
    pictures = 0
    for page in sorted((root / "reports").glob("*.html")):
        old, new = page.read_text(), (root / "rebuilt" / page.name).read_text()
        assert len(_images(new)) == len(_images(old)), page.name
        assert "is not on this machine" not in new, page.name
        pictures += len(_images(new))
    assert pictures > 0
    assert again.is_file()


def test_bundle_keeps_the_pictures_the_pages_show(first):
    """One sample grid per cell (its lowest seed), not one per trial."""
    root, _, _, results, trials = first
    kept = sorted(p.parent.parent.name for p in (root / "reports" / "data").rglob("*.png"))
    firsts = shown_trials(results, trials)
    shown = set(zip(firsts["ablation"], firsts["trial_id"], strict=True))

    def picked(frame: pd.DataFrame) -> list[bool]:
        return [(a, t) in shown for a, t in zip(frame.ablation, frame.trial_id, strict=True)]

    expect = trials[picked(trials)]
    has_grid = expect[expect["status"] != "failed"]  # a failed trial wrote no samples
    assert kept == sorted(has_grid["trial_id"])
    assert len(kept) < len(trials)
    toy = trials[(trials.ablation == "toy_modes") & (trials.budget == "quick")]
    cells = toy.groupby([c for c in toy if c.startswith("axis.")], dropna=False).ngroups
    assert sum(picked(toy)) == cells < len(toy)


def test_a_later_source_replaces_a_trial_whole(tmp_path, first):
    """A rerun listed after the bundle it updates: its trial's rows replace the old ones,
    even at iterations the rerun did not log; other trials stay."""
    root, *_ = first
    old_results = pd.read_parquet(root / "reports" / "data" / "results.parquet")
    old_trials = pd.read_parquet(root / "reports" / "data" / "trials.parquet")
    target = old_trials["trial_id"].iloc[0]
    rows = old_results[old_results["trial_id"] == target]
    rerun = rows[rows["iteration"] <= rows["iteration"].median()].copy()
    rerun["code_hash"] = "new"
    trial = old_trials[old_trials["trial_id"] == target].assign(code_hash="new")
    _write_tables(tmp_path / "rerun", rerun, trial)
    results, trials = read_runs([root / "reports" / "data", tmp_path / "rerun"])
    mine = results[results["trial_id"] == target]
    assert len(mine) == len(rerun) and set(mine["code_hash"]) == {"new"}
    assert len(trials) == len(old_trials)
    assert trials.set_index("trial_id").loc[target, "code_hash"] == "new"
    others = results[results["trial_id"] != target]
    assert len(others) == len(old_results) - len(rows)
    # named the other way round, the bundle wins
    results, _ = read_runs([tmp_path / "rerun", root / "reports" / "data"])
    assert len(results[results["trial_id"] == target]) == len(rows)


def test_a_failed_rebuild_leaves_the_old_bundle(tmp_path, first, monkeypatch):
    root, *_ = first
    out = tmp_path / "reports"
    shutil.copytree(root / "reports" / "data", out / "data")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    results, trials = read_runs([out / "data"])

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    from wgan_suite.report.evidence import write_evidence

    with pytest.raises(OSError, match="disk full"):
        write_evidence(results, trials, out)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


def test_rebuilt_in_place_from_its_own_evidence(tmp_path, first):
    """``python -m wgan_suite report reports/data`` into reports/: reads the bundle, then
    replaces it with the same evidence."""
    root, _, claims, *_ = first
    out = tmp_path / "reports"
    shutil.copytree(root / "reports", out)
    pngs = sorted(p.relative_to(out) for p in (out / "data").rglob("*.png"))
    report_from_runs([out / "data"], out, claims)
    assert (out / "verdicts.csv").read_text() == (root / "reports" / "verdicts.csv").read_text()
    assert sorted(p.relative_to(out) for p in (out / "data").rglob("*.png")) == pngs
    assert not list(out.glob(".data.*"))  # no staging or old bundle left behind


def test_an_unreadable_picture_is_left_out_not_fatal(tmp_path, first):
    root, *_ = first
    source = tmp_path / "source"
    shutil.copytree(root / "reports" / "data", source)
    pngs = sorted(source.rglob("*.png"))
    pngs[0].write_bytes(b"not a png")
    results, trials = read_runs([source])
    from wgan_suite.report.evidence import write_evidence

    out = write_evidence(results, trials, tmp_path / "out")
    kept = sorted(p.relative_to(out) for p in out.rglob("*.png"))
    assert kept == [p.relative_to(source) for p in pngs[1:]]
