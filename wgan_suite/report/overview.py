"""The index page's run metadata (provenance): hardware, versions, wall time,
samples, and which code produced the rows."""

from __future__ import annotations

from typing import Any

import pandas as pd

from wgan_suite.core.provenance import code_versions
from wgan_suite.report.tables import fmt, present, status_counts

HARDWARE = ("hw.device", "hw.gpu_name", "hw.cpu", "hw.cpu_capability", "hw.cpu_threads")
VERSIONS = ("hw.python", "hw.torch", "hw.ray", "hw.suite")


def _unique(frame: pd.DataFrame, column: str) -> list[str]:
    if column not in frame.columns:
        return []
    return sorted({str(v) for v in frame[column].dropna()})


def run_metadata(
    results: pd.DataFrame, trials: pd.DataFrame, meta: dict[str, Any] | None
) -> list[tuple[str, str]]:
    """(label, value) rows: budgets, hardware, versions, wall time, statuses, samples."""
    unique = trials.drop_duplicates("trial_id")  # a trial shared by ablations ran once
    rows: list[tuple[str, str]] = [(str(k), str(v)) for k, v in (meta or {}).items()]
    budgets = unique["budget"].value_counts() if "budget" in unique else pd.Series(dtype=int)
    rows.append(("budget(s)", ", ".join(f"{b} ({n} trials)" for b, n in budgets.items()) or "—"))
    rows.append(("hardware", _hardware(unique)))
    for column in VERSIONS:
        rows.append((column.removeprefix("hw."), ", ".join(_unique(unique, column)) or "—"))
    rows.append(("trials by status", _counts(status_counts(unique)) if len(unique) else "none"))
    rows.extend(_wall_time(unique))
    sha = _unique(results, "inception_sha256")
    rows.append(("Inception weights SHA-256", ", ".join(sha) if sha else "not used at this budget"))
    rows.extend(_samples(results))
    rows.extend(code_rows(results, trials)[0])
    return rows


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))


def _hardware(trials: pd.DataFrame) -> str:
    columns = [c for c in HARDWARE if c in trials.columns]
    if not columns or trials[columns].isna().all().all():
        return "not recorded"
    text = trials[columns].astype(object).where(trials[columns].notna(), "")
    groups = text.astype(str).value_counts(dropna=False)
    return "; ".join(
        " / ".join(v for v in key if v) + f" ({n} trials)" for key, n in groups.items()
    )


def _wall_time(trials: pd.DataFrame) -> list[tuple[str, str]]:
    times = trials["wall_time"].dropna().astype(float) if "wall_time" in trials else None
    if times is None or times.empty:
        return [("wall time", "not recorded")]
    return [
        ("total wall time (sum over trials)", f"{times.sum():.0f} s ({times.sum() / 3600:.2f} h)"),
        (
            "wall time per trial",
            f"median {fmt(times.median())} s, min {fmt(times.min())} s, max {fmt(times.max())} s",
        ),
    ]


def _samples(results: pd.DataFrame) -> list[tuple[str, str]]:
    """How many generated samples each quality score used (``<metric>_samples``)."""
    columns = sorted(c for c in results.columns if c.endswith("_samples") and present(results, c))
    if not columns:
        return [("samples per quality score", "no quality score at this budget")]
    return [
        (f"samples for {c.removesuffix('_samples')}", ", ".join(_unique_ints(results[c])))
        for c in columns
    ]


def _unique_ints(values: pd.Series) -> list[str]:
    return [fmt(int(v)) for v in sorted(values.dropna().unique())]


# ---------------------------------------------------------------- code provenance
def _version_label(version: Any) -> str:
    """``git 83d8d58c1a2b (uncommitted changes), code 1f2e3d4c5b6a`` for one code version."""
    commits = ", ".join(c[:12] for c in str(version.git_commit or "").split(",") if c)
    text = "git " + (commits or "unknown commit")
    if version.git_dirty:
        text += " (uncommitted changes)"
    return f"{text}, code {version.code_hash[:12]}"


def code_rows(results: pd.DataFrame, trials: pd.DataFrame) -> tuple[list, list[str]]:
    """Metadata rows naming the code behind each table, and a warning for tables that mix
    code versions (their rows were produced by different code: compare with care); one
    warning when both tables mix the same versions."""
    rows, mixed = [], {}  # the same code versions in both tables: one warning
    for name, frame in (("trials", trials), ("results", results)):
        versions = code_versions(frame)
        if versions.empty:
            continue
        text = "; ".join(f"{_version_label(v)} ({v.trials} trials)" for v in versions.itertuples())
        rows.append((f"code ({name} table)", text))
        if len(versions) > 1:
            key = tuple(sorted(versions["code_hash"]))
            mixed.setdefault(key, (text, []))[1].append(name)
    warnings = [
        f"The {' and '.join(names)} table{'s' if len(names) > 1 else ''} "
        f"mix{'' if len(names) > 1 else 'es'} {len(key)} code versions ({text}): "
        "their rows were not all produced by the same code, so differences between cells "
        "may come from the code rather than the setting."
        for key, (text, names) in mixed.items()
    ]
    return rows, warnings
