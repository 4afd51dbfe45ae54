"""The HTML report: first screen, claims table, stability labels, one statistics module,
self-containment, and a real headless browser."""

from __future__ import annotations

import base64
import io
import random
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from markupsafe import escape
from PIL import Image, ImageDraw

from tests.report_fixture import CPU_NOTE, build_runs, fixture_claims, verdicts
from wgan_suite.analysis import columns
from wgan_suite.analysis.stats import mean_interval
from wgan_suite.core.errors import InputError
from wgan_suite.report import build_report, labels, report_from_runs
from wgan_suite.report import stability as st
from wgan_suite.report import tables as t
from wgan_suite.report.claims_table import deciding
from wgan_suite.report.overview import code_rows

PAGES = ("paper_stability", "toy_modes", "clipping_c", "optimizers", "loss_curves")


class Page(HTMLParser):
    """Every tag's attributes, by tag name, and every id in the page (stdlib only)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: dict[str, list[dict[str, str]]] = {}
        self.ids: set[str] = set()
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.tags.setdefault(tag, []).append(found)
        if "id" in found:
            self.ids.add(found["id"])

    def all(self, tag: str) -> list[dict[str, str]]:
        return self.tags.get(tag, [])


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, pd.DataFrame, pd.DataFrame, list, dict]:
    root = tmp_path_factory.mktemp("report")
    results, trials = build_runs(root / "runs")
    primary, by_budget = verdicts(results, trials)
    index = build_report(results, trials, primary, root / "out", {"runs": "runs/"}, by_budget)
    return index, results, trials, primary, by_budget


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _decodes(uri: str) -> tuple[int, int]:
    assert uri.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).size


def _blocks(html: str, tag: str, attr: str) -> dict[str, str]:
    """``<tag attr="key" ...>inner</tag>`` -> {key: inner} (no nesting of ``tag``)."""
    found = re.finditer(rf'<{tag} [^>]*{attr}="([^"]*)"[^>]*>(.*?)</{tag}>', html, re.S)
    return {m.group(1): m.group(2) for m in found}


# ---------------------------------------------------------------- first screen
def test_index_and_one_page_per_ablation(built):
    index, *_ = built
    assert index.name == "index.html" and index.is_file()
    assert {p.stem for p in index.parent.glob("*.html")} == {"index", *PAGES}


def test_summary_figure_counts_and_next_budget(built):
    index, _, _, primary, _ = built
    html = _text(index)
    page = Page(html)
    assert html.index('id="summary"') < html.index('id="claims-table"') < html.index('id="run"')
    figure = next(i for i in page.all("img") if "verdict of every claim" in i["alt"])
    width, height = _decodes(figure["src"])
    assert width > 200 and height > 150
    # W-12's refutation at 16 px stands as what it is: not reproduced there (exploratory)
    assert "of 7 claims, 2 reproduced, 1 not reproduced, 4 inconclusive (1 of them never" in html
    # the first screen says how many claims this run can confirm or refute at all
    assert "scope" in Page(html).ids
    assert "Of 7 claims, 0 were read at the scale the paper made them at" in html
    # W-09 and W-13 too: tested at quick (which cannot decide them), below their scale
    assert "5 were read below their scale" in html
    assert "Per claim, unadjusted" in html and "families" in Page(html).ids
    counts = html[html.index('id="counts"') :]
    counts = _blocks(counts[: counts.index("</table>")], "tr", "data-verdict")
    numbers = {k: re.findall(r'class="num">(\d+)<', v) for k, v in counts.items()}
    assert numbers == {  # shown verdicts, then per budget (quick, cpu)
        "reproduced": ["2", "0", "2"],
        "not_reproduced": ["1", "0", "1"],
        "inconclusive": ["3", "6", "0"],  # the claim never run is counted once, as not run
        "not run": ["1", "1", "4"],
        "all claims": ["7", "7", "7"],  # every column adds up to the claims
    }
    # the figure as a table: blank where the ablation did not run at that budget
    cells = re.findall(r'<td data-budget="(\w+)" data-verdict="(\w*)"', html)
    row = {v.claim_id: i for i, v in enumerate(primary)}
    assert cells[2 * row["W-11"]] == ("quick", "inconclusive")
    assert cells[2 * row["W-11"] + 1] == ("cpu", "reproduced")
    assert cells[2 * row["W-03"]] == ("quick", "") and cells[2 * row["W-14"] + 1] == ("cpu", "")
    # each undecided claim: the smallest budget that decides it, and the claim's why
    undecided = {
        r["data-claim-id"]: r["data-next-budget"] for r in page.all("tr") if "data-next-budget" in r
    }
    assert undecided == {v.claim_id: v.next_budget for v in primary if v.verdict == "inconclusive"}
    why = {c.id: c.budgets["cpu"] for c in fixture_claims()}
    shown = {v.claim_id: dict(deciding(v.decided_by))["cpu"] for v in primary}
    for claim_id in undecided:  # the note, its {seeds} written out as the seeds run
        head, _, tail = why[claim_id].partition("{seeds}")
        assert shown[claim_id].startswith(head) and shown[claim_id].endswith(tail)
        assert str(escape(shown[claim_id])) in html
    assert "{seeds}" not in html


def test_claims_table_rows_details_and_scaled_label(built):
    index, _, _, primary, _ = built
    html = _text(index)
    rows = {
        r["data-claim-id"]: r["data-verdict"]
        for r in Page(html).all("tr")
        if r.get("class") == "claim"
    }
    assert rows == {v.claim_id: v.verdict for v in primary}
    visible = _blocks(html, "tr", "data-claim-id")
    details = _blocks(html, "details", "data-claim-id")
    for v in primary:  # the results line is visible; the full reasoning is behind a click
        assert str(escape(v.summary)) in visible[v.claim_id]
        assert str(escape(v.reason)) in details[v.claim_id]
        assert str(escape(v.testable_as)) in details[v.claim_id]
        note = f'<dd class="claim-note">{escape(v.claim_note)}</dd>' if v.claim_note else None
        assert (note in details[v.claim_id]) if note else ("claim-note" not in details[v.claim_id])
        assert str(escape(v.citation)) in visible[v.claim_id]
        assert f'href="{v.ablation}.html#claim-{t.slug(v.claim_id)}"' in html
    assert [v.claim_id for v in primary if v.claim_note] == ["W-03", "W-13"]
    w10 = next(v for v in primary if v.claim_id == "W-10")
    assert "[1]" in w10.reason and "[1]" not in visible["W-10"]  # the parts: one click away
    note = CPU_NOTE.removeprefix("scaled down: ")
    for v in primary:
        label = '<div class="scaled"' in visible[v.claim_id]
        assert label == (v.budget == "cpu"), v.claim_id
    assert str(escape("scaled down: " + note)) in html and "scaled down: scaled down" not in html
    assert "&lt; 0.05" in html  # autoescaped verdict text


# ---------------------------------------------------------------- pages
def test_pages_are_self_contained(built):
    out = built[0].parent
    for html in sorted(out.glob("*.html")):
        text, page = _text(html), Page(_text(html))
        assert "url(" not in text and "@import" not in text, html.name
        for tag, attr in (("img", "src"), ("a", "href"), ("link", "href"), ("script", "src")):
            for found in page.all(tag):
                assert not found.get(attr, "").startswith(("http:", "https:", "//")), html.name
        for i in page.all("img"):  # every embedded PNG decodes
            assert _decodes(i["src"])[0] > 0


def test_ablation_pages_hold_their_sections(built):
    out = built[0].parent
    stability = _text(out / "paper_stability.html")
    for expected in ("Stability (paper Sec. 4.3)", "W estimate vs gen", "JS estimate vs gen"):
        assert expected in stability
    assert 'id="claim-W-11"' in stability and 'id="stability-cpu"' in stability
    assert "Clipping range c" in _text(out / "clipping_c.html")
    optimizers = _text(out / "optimizers.html")
    assert "Critic optimizer" in optimizers and "cosine &lt; 0" in optimizers
    toy = _text(out / "toy_modes.html")
    assert "Toy mixtures" in toy and "8gaussians" in toy
    assert "not measured" in _text(out / "loss_curves.html")


def _stability_cells(html: str, budget: str) -> dict[str, tuple[str, str]]:
    """cell label -> (status, the paper's outcome next to it) in one budget's table."""
    block = html[html.index(f'id="stability-{budget}"') :]
    block = block[: block.index("</table>")]
    found = re.findall(
        r'data-cell="([^"]+)" data-status="([^"]+)".*?data-paper-outcome="([^"]*)"', block, re.S
    )
    return {cell: (status, paper) for cell, status, paper in found}


def test_stability_labels_and_the_papers_outcomes(built):
    html = _text(built[0].parent / "paper_stability.html")
    cpu = _stability_cells(html, "cpu")
    assert cpu == {
        "generator=dcgan, loss=wgan": ("trained", "trained"),
        "generator=dcgan, loss=gan_ns": ("trained", "trained"),
        "generator=dcgan_const, loss=wgan": ("trained", "trained"),
        "generator=dcgan_const, loss=gan_ns": ("not trained", "not trained"),
        "generator=mlp(width=512), loss=wgan": ("trained", "trained"),
        "generator=mlp(width=512), loss=gan_ns": ("collapsed", "collapsed"),
    }
    quick = _stability_cells(html, "quick")  # 600 iterations: WGAN has not learnt yet
    assert {c: s for c, (s, _) in quick.items() if "wgan" in c} == dict.fromkeys(
        [c for c in quick if "wgan" in c], "not trained"
    )
    assert quick["generator=mlp(width=512), loss=gan_ns"][0] == "diverged"
    for words in ("the standard GAN failed to learn", "significant degree of mode collapse"):
        assert words in html
    assert "differs" in html and "agrees" in html
    assert "mean final diversity_ratio &lt; 0.5" in html  # the rule, on the page
    # only the cpu DCGAN/WGAN cell still improves over its last quarter of checkpoints
    assert html.count("still improving at the last checkpoint: longer training") == 1


def test_stability_rule_on_a_hand_made_summary():
    summary = pd.DataFrame(
        {
            "trial_id": list("abcdefgh"),
            "seed": [0, 1] * 4,
            "cell": ["ok"] * 2 + ["flat"] * 2 + ["narrow"] * 2 + ["nan"] * 2,
            "status": ["finished"] * 7 + ["diverged"],
            "failed": [0, 0, 1, 1, 0, 0, 0, None],
            "final.fd_classifier": [10, 12, 400, 500, 11, 11, 10, None],
            "final.diversity_ratio": [0.9, 0.9, 0.9, 0.9, 0.3, 0.4, 0.9, None],
        }
    )
    rules = st.diversity_rules(summary)
    assert [r.column for r in rules] == ["diversity_ratio"]
    got = {c: st.cell_status(g, rules, "fd_classifier")[0] for c, g in summary.groupby("cell")}
    assert got == {"ok": "trained", "flat": "not trained", "narrow": "collapsed", "nan": "diverged"}
    unknown = summary[summary["cell"] == "ok"].assign(failed=None)
    assert st.cell_status(unknown, rules, "fd_classifier")[0] == "unmeasured"
    # two measures: collapsed only when both are low; when they disagree, neither label
    two = summary.assign(**{"final.recall_classifier": [0.8, 0.8, 0.8, 0.8, 0.1, 0.1, 0.05, 0]})
    rules = st.diversity_rules(two)
    assert [r.column for r in rules] == ["diversity_ratio", "recall_classifier"]
    narrow = two[two["cell"] == "narrow"]
    assert st.cell_status(narrow, rules, "fd_classifier")[0] == "collapsed"
    blurry = two[two["cell"] == "ok"].assign(**{"final.recall_classifier": [0.1, 0.05]})
    status, why = st.cell_status(blurry, rules, "fd_classifier")
    assert status == "diversity unclear"
    assert why == "recall_classifier 0.075 < 0.2 but diversity_ratio 0.9 >= 0.5"
    # a mode count decides alone: 930 of 1,000 Stacked MNIST modes is not collapse,
    # whatever recall says; 2 modes is, whatever the spread ratio says
    modes = blurry.assign(**{"final.stacked_modes": [930, 930]})
    assert st.cell_status(modes, st.diversity_rules(modes), "fd_classifier")[0] == "trained"
    few = two[two["cell"] == "ok"].assign(**{"final.stacked_modes": [2, 1]})
    assert st.cell_status(few, st.diversity_rules(few), "fd_classifier")[0] == "collapsed"
    # not learnt comes first, and says when the samples lack diversity as well
    stuck = few.assign(failed=[1, 1])
    status, why = st.cell_status(stuck, st.diversity_rules(stuck), "fd_classifier")
    assert status == "not trained" and why.endswith(
        "(stacked_modes 1.5 < 500: the samples also lack diversity)"
    )
    # labels that say nothing about the cell neither agree nor differ with the paper
    paper = {"outcome": "collapsed"}
    assert st.agreement(paper, "collapsed") is True and st.agreement(paper, "trained") is False
    assert (
        st.agreement(paper, "diversity unclear") is None and st.agreement(None, "trained") is None
    )
    # an untrained generator whose samples also lack diversity: compatible with the
    # paper's "not trained", neither agreeing nor differing with its "collapsed"
    assert st.lacks_diversity(stuck, st.diversity_rules(stuck))
    assert not st.lacks_diversity(modes, st.diversity_rules(modes))
    assert st.agreement(paper, "not trained", ("collapsed",)) is None
    assert st.agreement({"outcome": "not trained"}, "not trained", ("collapsed",)) is True


def test_not_trained_is_the_claims_failed_reduction():
    """Halved from iteration 0 or not, read by wgan_suite.claims.reductions' ``failed``."""
    rows = []
    for trial, curve in {
        "learnt": [100, 60, 40],
        "flat": [100, 90, 80],
        "late": [None, 90, 40],
    }.items():
        for it, q in zip((0, 50, 100), curve, strict=True):
            rows.append(
                {
                    "trial_id": trial,
                    "iteration": it,
                    "status": "finished",
                    "at_checkpoint": True,
                    "fd_classifier": q,
                }
            )
    failed = st.failed_to_learn(pd.DataFrame(rows), "fd_classifier")
    assert failed == {"learnt": 0.0, "flat": 1.0, "late": None}  # no iteration-0 score: None


def test_still_improving_over_the_last_quarter():
    def cell(curve):
        return pd.DataFrame({"iteration": range(0, 100 * len(curve), 100), "fd": curve})

    assert st.still_improving(cell([100, 80, 60, 40, 30]), "fd")  # 40 -> 30: 25% better
    assert not st.still_improving(cell([100, 50, 30, 21, 20]), "fd")  # 21 -> 20: 5%
    assert not st.still_improving(cell([100, 50, 20]), "fd")  # too few checkpoints to tell


def test_paper_outcomes_are_data():
    data = st.paper_outcomes()
    assert set(data["generators"]) == {"dcgan", "dcgan_const", "mlp"}
    assert st.paper_outcome("dcgan_const", "gan_ns")["figure"] == "Fig. 6"
    assert st.paper_outcome("mlp", "wgan_gp") is None


# ---------------------------------------------------------------- one statistics module
def test_every_interval_is_suite_stats(built):
    values = [10.0, 12.0, 11.5, 9.0, 13.0]
    assert t.interval_text(values) == mean_interval(values).text(t.fmt)
    assert mean_interval(values).method == "Student t 95% CI of the mean"  # 5 seeds
    assert not hasattr(t, "mean_ci") and not hasattr(t, "fmt_ci")
    _, results, trials, *_ = built  # a stability cell's text is mean_interval's
    cell = trials[
        (trials["budget"] == "cpu")
        & (trials["config.generator.name"] == "dcgan")
        & (trials["config.loss.name"] == "wgan")
    ]["trial_id"]
    rows = results[results["trial_id"].isin(cell)].dropna(subset=["fd_classifier"])
    finals = rows.sort_values("iteration").groupby("trial_id")["fd_classifier"].last()
    expected = mean_interval(finals).text(t.fmt)
    assert str(escape(expected)) in _text(built[0].parent / "paper_stability.html")


def test_labels_read_the_metric_metadata(monkeypatch):
    class Info:
        description, better, role = "Frechet distance in classifier features", "lower", "quality"

    monkeypatch.setattr(
        columns, "column_info", lambda name: Info() if name == "fd" else None, raising=False
    )
    labels.meta.cache_clear()
    assert labels.label("fd") == "fd (lower is better)" and labels.label("other") == "other"
    assert labels.describe("fd") == Info.description
    monkeypatch.delattr(columns, "column_info", raising=False)
    labels.meta.cache_clear()
    assert labels.label("fd") == "fd" and labels.lower_is_better("fd")
    labels.meta.cache_clear()


# ---------------------------------------------------------------- run metadata
def test_code_versions_and_a_warning_when_mixed(built):
    index, results, trials, *_ = built
    assert "git 83d8d58c1a2b, code 1f2e3d4c5b6a" in _text(index)
    assert code_rows(results, trials.drop(columns=["git_commit", "git_dirty", "code_hash"])) == (
        [],
        [],
    )
    dirty = trials.assign(git_dirty=[i % 2 == 0 for i in range(len(trials))])
    rows, warnings = code_rows(results, dirty)  # same code hash: one version
    assert "uncommitted changes" in rows[0][1] and not warnings
    other = ["0" * 64 if i % 2 else h for i, h in enumerate(trials["code_hash"])]
    rows, warnings = code_rows(results, trials.assign(code_hash=other))
    assert len(warnings) == 1 and "trials table mixes 2 code versions" in warnings[0]
    by_trial = dict(zip(trials["trial_id"], other, strict=True))
    both = results.assign(code_hash=results["trial_id"].map(by_trial))
    rows, warnings = code_rows(both, trials.assign(code_hash=other))  # the same mix: one line
    assert len(warnings) == 1 and "trials and results tables mix 2 code versions" in warnings[0]


def test_short_partial_and_old_tables_do_not_crash(tmp_path, built):
    """No samples on this machine, no quality score, no iteration-0 row, no config
    columns, a verdict with only a few fields: every page still builds and says why."""
    _, results, trials, *_ = built
    keep = trials["ablation"].eq("paper_stability") & trials["budget"].eq("quick")
    trials = trials[keep].assign(trial_dir=str(tmp_path / "elsewhere"))  # another machine
    trials = trials.drop(columns=[c for c in trials if c.startswith("config.")])
    results = results[results["trial_id"].isin(trials["trial_id"]) & (results["iteration"] > 0)]
    quick = results.drop(columns=[c for c in results if c.startswith("fd_classifier")])
    partial = {"claim_id": "W-99", "verdict": "reproduced", "ablation": "paper_stability"}
    index = build_report(quick, trials, [partial], tmp_path / "out")
    stability = _text(index.parent / "paper_stability.html")
    assert "not on this machine" in stability and "not measured at this budget" in stability
    with_quality = build_report(results, trials, [], tmp_path / "old")
    old = _text(with_quality.parent / "paper_stability.html")
    assert 'data-status="unmeasured"' in old and "no iteration-0 quality score" in old
    assert 'data-paper-outcome="not trained"' in old  # the paper's cell from the axis label
    empty = build_report(pd.DataFrame(), pd.DataFrame(), [], tmp_path / "empty")
    assert "no claims were evaluated" in _text(empty)


def test_first_screen_counts_confirmatory_verdicts_after_holm_per_family(built):
    """The headline counts confirmatory verdicts after Holm within each family; the
    fixture's runs are not registered, so every verdict is exploratory and none counts."""
    index, _, _, primary, _ = built
    html = _text(index)
    assert html.index('id="headline"') < html.index('id="families"') < html.index('id="claims"')
    assert "correction within each family: 0 reproduced, 0 not reproduced" in html
    families = _blocks(html[html.index('id="families"') :], "tr", "data-family")
    assert set(families) == {v.family for v in primary}
    assert "none yet" in families["wgan-cpu"]
    # every claim row shows its family, label, Holm verdict, premises and smallest p
    assert html.count("after Holm (m = ") == len(primary)
    assert html.count("<dt>premises</dt>") == len(primary)
    assert html.count("smallest p this design reaches") == len(primary)


def test_verdicts_csv_says_which_check_code_and_seeds_made_each_verdict(built):
    index, *_ = built
    table = pd.read_csv(index.parent / "verdicts.csv")
    for column in (
        "family", "p_value", "p_holm", "holm_verdict", "confirmatory", "check_hash",
        "analysis_hash", "code_commit", "dirty", "seeds", "min_p", "premises", "sensitivity",
    ):  # fmt: skip
        assert column in table.columns, column
    shown = table[table["shown"]]
    assert (shown["check_hash"].str.len() == 64).all() and (~shown["confirmatory"]).all()
    assert shown["analysis_hash"].nunique() == 1


def test_report_from_runs_evaluates_every_budget(tmp_path, built):
    """Each claim at every budget in the tables (the figure), and at its default (the table)."""
    _, results, trials, *_ = built
    keep = trials[trials["config.generator.name"] == "dcgan_const"]  # Fig. 6's cells only
    runs = tmp_path / "runs"
    runs.mkdir()
    results[results["trial_id"].isin(keep["trial_id"])].to_parquet(runs / "results.parquet")
    keep.to_parquet(runs / "trials.parquet")
    claims = [c for c in fixture_claims() if c.id == "W-11"]
    index = report_from_runs([runs, runs], tmp_path / "reports", claims)  # read once
    html = _text(index)
    cells = re.findall(r'<td data-budget="(\w+)" data-verdict="(\w*)"', html)
    assert cells == [("quick", "inconclusive"), ("cpu", "reproduced")]
    assert 'data-claim-id="W-11" data-verdict="reproduced"' in html
    assert f"cpu ({(keep['budget'] == 'cpu').sum()} trials)" in html
    with pytest.raises(InputError, match="wgan-suite collect"):
        report_from_runs([tmp_path / "nothing"], tmp_path / "reports")


# ---------------------------------------------------------------- a real browser
def _chromium(*args: str) -> subprocess.CompletedProcess:
    cmd = [shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu"]
    cmd += ["--no-first-run", "--disable-extensions", "--mute-audio", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_headless_chromium_renders_every_page(built, tmp_path):
    """A real browser, offline: the claims table and every image render, no link is broken."""
    out = built[0].parent
    parsed = {p.name: Page(_text(p)) for p in out.glob("*.html")}  # link targets, parsed once
    for html in sorted(out.glob("*.html")):
        dom = Page(_chromium("--dump-dom", html.as_uri()).stdout)
        body = dom.all("body")[0]
        images = dom.all("img")
        assert body.get("data-images-checked") == str(len(images)), html.name
        assert body.get("data-images-broken") == "0", html.name
        assert all(i.get("data-decoded") == "yes" for i in images), html.name
        for a in dom.all("a"):
            target, _, anchor = a["href"].partition("#")
            assert not target or (out / target).is_file(), (html.name, a["href"])
            page = parsed[target] if target else dom
            assert not anchor or anchor in page.ids, (html.name, a["href"])
        if html.name == "index.html":
            claims = [r for r in dom.all("tr") if r.get("class") == "claim"]
            assert len(claims) == len(built[3]) and "claims-table" in dom.ids
            assert "verdict-figure" in dom.ids and len(dom.all("details")) >= len(claims)
            # the first screen's first sentence: what this run can confirm or refute at all
            assert "scope" in dom.ids
            rendered = _chromium("--dump-dom", html.as_uri()).stdout
            said = re.search(r'<p class="lead" id="scope">([^<]*)</p>', rendered)
            assert said and said.group(1).startswith("Of 7 claims, 0 were read at the scale")
            assert "5 were read below their scale" in said.group(1)
    shot = tmp_path / "index.png"
    _chromium(
        "--hide-scrollbars",
        f"--screenshot={shot}",
        "--window-size=1280,1600",
        (out / "index.html").as_uri(),
    )
    assert Image.open(shot).size == (1280, 1600)


def test_a_pending_trial_has_no_samples_because_it_has_not_run(tmp_path):
    from wgan_suite.report.images import sample_path

    gone = {"trial_dir": str(tmp_path / "absent"), "status": "pending"}
    assert sample_path(gone) == (None, "not run yet")
    assert "not on this machine" in sample_path({**gone, "status": "finished"})[1]
    running = tmp_path / "running"  # a later run's samples, not yet in the table
    (running / "samples").mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(running / "samples" / "iter_0000500.png")
    assert sample_path({"trial_dir": str(running), "status": "pending"}) == (None, "not run yet")
    assert sample_path({"trial_dir": str(running), "status": "interrupted"})[0] is not None


def test_verdicts_are_also_a_table(built):
    index, _, _, primary, by_budget = built
    table = pd.read_csv(index.parent / "verdicts.csv")
    assert not table.duplicated(["claim_id", "budget"]).any()  # one row per claim and budget
    shown = table[table["shown"]]
    assert sorted(shown["claim_id"]) == sorted(v.claim_id for v in primary)
    run = {(v.claim_id, v.budget) for vs in by_budget.values() for v in vs}
    assert len(table) == len(run | {(v.claim_id, v.budget) for v in primary})
    for budget, at_budget in by_budget.items():
        at = table[table["budget"] == budget].set_index("claim_id")
        for v in at_budget:
            assert at.loc[v.claim_id, "verdict"] == v.verdict
    assert {"p_value", "n", "ci_low", "ci_high", "test"} <= set(table.columns)


def test_thumbnails_keep_grey_grids_grey_and_colour_in_colour(tmp_path):
    from wgan_suite.report.images import thumbnail

    def decoded(uri: str) -> Image.Image:
        return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))

    grey = Image.linear_gradient("L").resize((64, 64)).convert("RGB")  # as save_image writes
    grey.save(tmp_path / "grey.png")
    colour = grey.copy()
    colour.putpixel((3, 3), (255, 0, 0))
    colour.save(tmp_path / "colour.png")
    small = decoded(thumbnail(tmp_path / "grey.png", 32))
    assert small.mode == "L" and small.size == (32, 32)
    coloured = decoded(thumbnail(tmp_path / "colour.png", 64)).convert("RGB")
    assert coloured.getpixel((3, 3)) == (255, 0, 0)  # a palette (257 colours), red kept
    # a photo-like colour grid (thousands of colours) keeps every colour
    rng = random.Random(0)
    photo = Image.frombytes("RGB", (64, 64), bytes(rng.randrange(256) for _ in range(64 * 64 * 3)))
    photo.save(tmp_path / "photo.png")
    kept = decoded(thumbnail(tmp_path / "photo.png", 64))
    assert kept.mode == "RGB" and list(kept.getdata()) == list(photo.getdata())
    # a chart (a toy scatter plot: few colours) becomes a palette, its colours near the source
    chart = Image.new("RGB", (64, 64), "white")
    draw = ImageDraw.Draw(chart)
    for i in range(40):
        x, y = rng.randrange(60), rng.randrange(60)
        draw.ellipse((x, y, x + 3, y + 3), fill=(31, 119, 180) if i % 2 else (255, 127, 14))
    chart.convert("RGBA").save(tmp_path / "chart.png")  # as matplotlib writes it: opaque RGBA
    small_chart = decoded(thumbnail(tmp_path / "chart.png", 64))
    assert small_chart.mode == "P"
    back = small_chart.convert("RGB")
    worst = max(
        max(abs(a - b) for a, b in zip(p, q, strict=True))
        for p, q in zip(back.getdata(), chart.getdata(), strict=True)
    )
    assert worst <= 8
    same = decoded(thumbnail(tmp_path / "grey.png", 64))
    assert list(same.getdata()) == list(grey.convert("L").getdata())  # the same pixels


def test_figures_embed_as_palette_charts():
    import matplotlib.pyplot as plt

    from wgan_suite.report import plots

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [2, 0, 1], color="tab:blue", alpha=0.35)
    try:
        uri = plots.encode(fig)
    finally:
        plt.close(fig)
    img = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert img.mode == "P" and img.convert("RGB").getpixel((0, 0)) == (255, 255, 255)


def test_report_writes_beside_the_runs_never_over_the_committed_reports(tmp_path, capsys):
    """issue 27: `reproduce` rewrote the committed reports/ without a word. A report now
    goes to RUNS/report unless --out names a directory; the committed one is untouched."""
    from wgan_suite.cli import main

    repo_reports = Path(__file__).resolve().parents[1] / "reports"
    before = {str(p): p.stat().st_mtime_ns for p in sorted(repo_reports.rglob("*")) if p.is_file()}
    runs = tmp_path / "runs"
    results, trials = build_runs(runs)
    small = "toy_modes"  # where the report goes does not depend on how many pages it has
    results[results["ablation"] == small].to_parquet(runs / "results.parquet", index=False)
    trials[trials["ablation"] == small].to_parquet(runs / "trials.parquet", index=False)
    assert main(["report", "--runs", str(runs)]) == 0
    assert str(runs / "report" / "index.html") in capsys.readouterr().out
    assert (runs / "report" / "index.html").is_file()
    after = {str(p): p.stat().st_mtime_ns for p in sorted(repo_reports.rglob("*")) if p.is_file()}
    assert after == before


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_pages_fit_the_window_without_cut_text(built, tmp_path):
    """issue 27: at 1,400 px the navigation overflowed and reasons were cut with '...'.
    Every page, in a real browser at the widths a laptop has (1,280 and 1,440 px):
    nothing reaches past the window outside a scrolling box, no text is cut."""
    from wgan_suite.claims import evaluate_claims

    _, results, trials, _, by_budget = built
    # every shipped claim: a page per ablation they read, so the bar holds 20+ links
    every = evaluate_claims(results, trials)
    out = tmp_path / "all"
    build_report(results, trials, every, out, {"runs": "runs/"}, by_budget)
    pages = sorted(out.glob("*.html"))
    assert len(pages) > 20
    # the widest content pages and the overview: the others share their template
    chosen = [p for p in pages if p.name in ("index.html", "clipping_c.html", "toy_modes.html")]
    for width in (1280, 1440):
        for html in chosen:
            dom = Page(_chromium(f"--window-size={width},900", "--dump-dom", html.as_uri()).stdout)
            body = dom.all("body")[0]
            assert body.get("data-overflow") == "none", (
                width,
                html.name,
                body.get("data-overflow"),
            )
            assert body.get("data-cut-text") == "0", (width, html.name)


def test_the_scope_sentence_agrees_in_number():
    from wgan_suite.report.summary import scope

    one_each = [{"refutable": True}, {"below_scale": True}, {}]
    assert scope(one_each) == (
        "Of 3 claims, 1 was read at the scale the paper made it at and can be confirmed or "
        "refuted here; 1 was read below its scale, where 'reproduced' and 'not reproduced' "
        "alike are exploratory; 1 was not tested at a budget that can decide it."
    )
    assert "0 were read at the scale" in scope([{}, {}]) and "2 were not tested" in scope([{}, {}])
