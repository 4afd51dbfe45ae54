"""The HTML report: pages, claims table, self-containment, and a real headless browser."""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
import sys
import types
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from suite.report import build_report, report_from_runs
from suite.report import tables as t
from tests.report_fixture import build_runs, verdicts

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
def built(tmp_path_factory) -> tuple[Path, pd.DataFrame, pd.DataFrame, list]:
    root = tmp_path_factory.mktemp("report")
    results, trials = build_runs(root / "runs")
    vs = verdicts(trials)
    index = build_report(results, trials, vs, root / "out", {"runs": "runs/"})
    return index, results, trials, vs


def _pages(out: Path) -> dict[str, Page]:
    return {p.name: Page(p.read_text(encoding="utf-8")) for p in sorted(out.glob("*.html"))}


def test_index_and_one_page_per_ablation(built):
    index, *_ = built
    assert index.name == "index.html" and index.is_file()
    assert {p.stem for p in index.parent.glob("*.html")} == {"index", *PAGES}


def test_claims_table_lists_every_claim_and_verdict(built):
    index, _, _, vs = built
    page = Page(index.read_text(encoding="utf-8"))
    rows = {r["data-claim-id"]: r["data-verdict"] for r in page.all("tr") if "data-claim-id" in r}
    assert rows == {v.claim_id: v.verdict for v in vs}
    text = index.read_text(encoding="utf-8")
    assert "0.2 [0.1, 0.3]" in text  # measured with its 95% CI
    assert "&lt;GAN&gt;" in text  # autoescaped statement
    for v in vs:  # each claim links to its evidence anchor on the ablation's page
        assert f'href="{v.ablation}.html#claim-{t.slug(v.claim_id)}"' in text


def test_pages_are_self_contained(built):
    index, *_ = built
    for name, page in _pages(index.parent).items():
        text = (index.parent / name).read_text(encoding="utf-8")
        assert "url(" not in text and "@import" not in text, name
        for tag, attr in (("img", "src"), ("a", "href"), ("link", "href"), ("script", "src")):
            for found in page.all(tag):
                assert not found.get(attr, "").startswith(("http:", "https:", "//")), name
        images = page.all("img")
        assert all(i["src"].startswith("data:image/png;base64,") for i in images), name
        for i in images:  # every embedded PNG decodes
            data = base64.b64decode(i["src"].split(",", 1)[1])
            assert Image.open(io.BytesIO(data)).size[0] > 0


def test_ablation_pages_hold_their_sections(built):
    out = built[0].parent
    stability = (out / "paper_stability.html").read_text(encoding="utf-8")
    for expected in ("Stability (paper Sec. 4.3)", "diverged", "trained", "W estimate vs gen"):
        assert expected in stability
    assert "JS estimate vs generator iterations" in stability
    assert 'id="claim-wgan.stability.dcgan_nobn"' in stability
    assert "Clipping range c" in (out / "clipping_c.html").read_text(encoding="utf-8")
    optimizers = (out / "optimizers.html").read_text(encoding="utf-8")
    assert "Critic optimizer" in optimizers and "cosine &lt; 0" in optimizers
    toy = (out / "toy_modes.html").read_text(encoding="utf-8")
    assert "Toy mixtures" in toy and "8gaussians" in toy
    assert "not measured" in (out / "loss_curves.html").read_text(encoding="utf-8")


def test_stability_rule():
    summary = pd.DataFrame(
        {
            "trial_id": list("abcdefgh"),
            "seed": [0, 1] * 4,
            "cell": ["ok"] * 2 + ["bad"] * 2 + ["narrow"] * 2 + ["nan"] * 2,
            "status": ["finished"] * 6 + ["finished", "diverged"],
            "final.fd_classifier": [10, 12, 40, 50, 11, 11, 10, None],
            "final.diversity_ratio": [0.9, 0.9, 0.9, 0.9, 0.3, 0.4, 0.9, None],
        }
    )
    rows = t.stability_rows(summary, "fd_classifier")
    assert {k: v["status"] for k, v in rows.items()} == {
        "ok": "trained",
        "bad": "collapsed",  # 45 > 3 x best (10.5)
        "narrow": "collapsed",  # diversity 0.35 < 0.5
        "nan": "diverged",
    }
    mean, half, n = t.mean_ci([10, 12])
    assert (mean, n) == (11.0, 2) and half == pytest.approx(12.706 * 1.0, rel=1e-3)


def test_missing_samples_and_empty_tables_do_not_crash(tmp_path):
    results, trials = build_runs(tmp_path / "runs")
    for d in trials["trial_dir"]:  # the trial directories are on another machine
        shutil.rmtree(d)
    quick = results.drop(columns=[c for c in results if c.startswith("fd_classifier")])
    index = build_report(quick, trials, [], tmp_path / "out")
    stability = (index.parent / "paper_stability.html").read_text(encoding="utf-8")
    assert "not on this machine" in stability and "not measured at this budget" in stability
    empty = build_report(pd.DataFrame(), pd.DataFrame(), [], tmp_path / "empty")
    assert "no claims were evaluated" in empty.read_text(encoding="utf-8")


def test_report_from_runs_reads_tables_and_evaluates_claims(tmp_path, monkeypatch):
    results, trials = build_runs(tmp_path / "runs")
    results.to_parquet(tmp_path / "runs" / "results.parquet")
    trials.to_parquet(tmp_path / "runs" / "trials.parquet")
    seen = {}

    def evaluate_claims(res, tri, claims):
        seen["rows"], seen["claims"] = len(res), claims
        return verdicts(tri)

    fake = types.ModuleType("suite.claims")
    fake.load_claims = lambda: ["all"]
    fake.evaluate_claims = evaluate_claims
    monkeypatch.setitem(sys.modules, "suite.claims", fake)
    index = report_from_runs([tmp_path / "runs", tmp_path / "runs"], tmp_path / "reports")
    assert seen == {"rows": len(results), "claims": ["all"]}  # the duplicate run is read once
    assert "wgan.toy.modes" in index.read_text(encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="suite collect"):
        report_from_runs([tmp_path / "nothing"], tmp_path / "reports")


def _chromium(*args: str) -> subprocess.CompletedProcess:
    cmd = [shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu"]
    cmd += ["--no-first-run", "--disable-extensions", "--mute-audio", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_headless_chromium_renders_every_page(built, tmp_path):
    """A real browser, offline: the claims table and every image render, no link is broken."""
    out = built[0].parent
    for html in sorted(out.glob("*.html")):
        dom = Page(_chromium("--dump-dom", html.as_uri()).stdout)
        body = dom.all("body")[0]
        images = dom.all("img")
        assert body.get("data-images-checked") == str(len(images)), html.name
        assert body.get("data-images-broken") == "0", html.name
        assert all(i.get("data-decoded") == "yes" for i in images), html.name
        for a in dom.all("a"):
            target, _, anchor = a["href"].partition("#")
            if target.startswith("data:"):
                continue
            page = Page((out / target).read_text(encoding="utf-8")) if target else dom
            assert not target or (out / target).is_file(), (html.name, a["href"])
            assert not anchor or anchor in page.ids, (html.name, a["href"])
        if html.name == "index.html":
            claims = [r for r in dom.all("tr") if "data-claim-id" in r]
            assert len(claims) == len(built[3]) and "claims-table" in dom.ids
            assert len(images) == 0 or all(i["src"].startswith("data:") for i in images)
    shot = tmp_path / "index.png"
    _chromium(
        "--hide-scrollbars",
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        (out / "index.html").as_uri(),
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(shot).size == (1280, 2000)
