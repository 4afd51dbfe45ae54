"""Summaries derived from the results table: the paper's median filter, instability
windows, the compute clock."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wgan_suite.analysis.summaries import (
    add_smoothed,
    add_updates,
    kernel_records,
    mark_instability,
    smooth,
)


def trial_rows(values, log_every, trial="t", column="w_estimate"):
    its = [log_every * (i + 1) for i in range(len(values))]
    return pd.DataFrame(
        {
            "ablation": "a",
            "trial_id": trial,
            "iteration": its,
            column: values,
            "config.log_every": log_every,
        }
    )


@pytest.mark.parametrize(("log_every", "kernel"), [(1, 101), (10, 11), (50, 3), (100, 1), (25, 5)])
def test_the_median_filter_spans_101_generator_iterations(log_every, kernel):
    """The authors filter a value per generator iteration with medfilt(., 101); records
    come every log_every iterations, so the kernel in records is 101 / log_every."""
    assert kernel_records(log_every) == kernel


def test_a_spike_survives_a_short_filter_and_not_a_record_count_kernel():
    """The old filter used 101 *records*: at log_every 10 that is 1,010 iterations, and
    at the quick budget (60 records) the whole curve became one value."""
    values = np.linspace(2.0, 0.2, 60)
    values[30] = 5.0
    out = add_smoothed(trial_rows(values, 10))["w_estimate_smooth"].to_numpy()
    assert out[30] < 5.0  # a one-record spike is filtered
    assert out[0] > out[-1] + 1.0  # but the trend is kept: not one flat value
    assert len(np.unique(np.round(out, 6))) > 20


def test_smooth_keeps_nans_and_short_series():
    x = smooth([1.0, np.nan, 3.0], kernel=11)
    assert np.isnan(x[1]) and x[0] in (1.0, 3.0)
    assert len(smooth([], kernel=11)) == 0


def test_instability_windows_are_intervals_where_quality_got_20_percent_worse():
    its = list(range(0, 1001, 50))
    quality = {0: 900, 100: 400, 200: 200, 300: 100, 400: 150, 500: 140, 600: 100}
    rows = []
    for it in its:
        rows.append(
            {
                "ablation": "a",
                "trial_id": "t",
                "iteration": it,
                "at_checkpoint": it % 100 == 0,
                "fd_classifier": quality.get(it) if it % 100 == 0 else None,
            }
        )
    out = mark_instability(pd.DataFrame(rows))
    unstable = set(out.loc[out["unstable"], "iteration"])
    assert unstable == {350, 400}  # 100 -> 150 is 50% worse; 150 -> 140 is better
    first = pd.DataFrame(rows).assign(fd_classifier=lambda f: f["fd_classifier"])
    first.loc[first["iteration"] == 100, "fd_classifier"] = 2000  # from the untrained net
    assert not mark_instability(first).loc[lambda f: f["iteration"] <= 100, "unstable"].any()


def test_updates_count_critic_and_generator_steps():
    frame = pd.DataFrame(
        {"iteration": [10, 20], "images_seen": [64 * 50, 64 * 100], "config.batch_size": 64}
    )
    assert add_updates(frame)["updates"].tolist() == [60.0, 120.0]
