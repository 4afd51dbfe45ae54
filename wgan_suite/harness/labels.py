"""Run lengths stated in texts, checked against the trials they describe.

Budget notes, ablation descriptions and claim texts are what people read next to a
verdict, so a count written there ("8,000 generator iterations", "3,000 updates") must be
what the resolved trial configs run. A referee found W-15 shown with the toy base's
"4,000 generator iterations" while n_critic runs 1,500; this module finds such labels.

What is read (``counts``):

* ``N [generator | critic-training | training] iterations``: the length of a run. It must
  equal the ``iterations`` of at least one trial at the budget the text belongs to (a
  description or a claim's ``testable_as`` / ``setting``: at one of its budgets).
* ``N [network] updates``: critic + generator steps
(``wgan_suite.analysis.summaries.add_updates``). Every
  trial at that budget must reach it by its last iteration; and where the same clause
  names a claim ("W-15b"), N must be a number of updates that claim's check reads at.
* N is written ``1,500``, ``1500``, ``100k``, ``1.5k`` or ``2e4``. Intervals and parts of a
  run are not lengths and are not read: ``per 1k iterations``, ``every 500 iterations``,
  ``the first 300 iterations`` (or ``last``), ``at iteration 1,500``.

Exempt numbers (the convention): a count is someone else's, and not checked, when its
sentence (or ';'-clause) names its source with one of these words (whole words, any case):

* ``paper`` -- the paper's numbers ("the paper: 100k", "the paper's curves: 600k");
* ``pilot`` -- a pilot run outside the suite's trials;
* another ablation's name ("in the cpu run of clipping_c, ... 200 iterations");
* for a text tied to one budget, another budget's name ("at quick: 1,000 iterations").

The sentence of a count outside parentheses is read without its parentheses, so in
"... nets (the paper: LSUN 64 px), 8,000 generator iterations" the 8,000 is checked; a
count inside parentheses is read with the whole sentence ("a pilot (2,000 iterations)").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from wgan_suite.core.budgets import Budget
from wgan_suite.trial.schedules import SCHEDULES

COUNT = re.compile(
    r"(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?(?:e\d+)?)(?P<k>k)?\s+"
    r"(?:(?P<of>generator|critic-training|training|network)\s+)?(?P<kind>iterations|updates)\b",
    re.IGNORECASE,
)
QUALIFIERS = {
    "iterations": {"", "generator", "critic-training", "training"},
    "updates": {"", "network"},
}
NOT_A_LENGTH = re.compile(r"\b(?:per|every|first|last)\s+$", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
PARENS = re.compile(r"\([^()]*\)")
CLAIM_ID = re.compile(r"\b[A-Z]-\d+[a-z]?\b")


@dataclass(frozen=True)
class Count:
    value: int
    kind: str  # "iterations" or "updates"
    phrase: str  # as written, e.g. "8,000 generator iterations"
    sentence: str  # what the exemption and claim-id rules read


def _number(num: str, k: str | None) -> int:
    return round(float(num.replace(",", "")) * (1000 if k else 1))


def _clauses(text: str) -> list[str]:
    """Sentences, cut again at each ';' outside parentheses."""
    out = []
    for sentence in SENTENCE_END.split(text):
        depth, start = 0, 0
        for i, ch in enumerate(sentence):
            depth += (ch == "(") - (ch == ")")
            if ch == ";" and depth == 0:
                out.append(sentence[start:i])
                start = i + 1
        out.append(sentence[start:])
    return out


def counts(text: str, exempt: Iterable[str] = ()) -> list[Count]:
    """The counts in ``text`` that are this text's own (not exempted by a word in ``exempt``
    or by ``paper`` / ``pilot``, see the module docstring)."""
    words = re.compile(
        r"\b(?:" + "|".join(map(re.escape, ["paper", "pilot", *exempt])) + r")\b", re.IGNORECASE
    )
    text = " ".join(text.split())
    out = []
    for sentence in _clauses(text):
        inside = [(m.start(), m.end()) for m in PARENS.finditer(sentence)]
        outside = PARENS.sub(" ", sentence)
        for m in COUNT.finditer(sentence):
            if NOT_A_LENGTH.search(sentence[: m.start()]):
                continue
            in_parens = any(a <= m.start() < b for a, b in inside)
            context = sentence if in_parens else outside
            if words.search(context):
                continue
            kind = m["kind"].lower()
            if (m["of"] or "").lower() not in QUALIFIERS[kind]:
                continue  # "generator updates" are generator steps, not the updates index
            out.append(Count(_number(m["num"], m["k"]), kind, m[0], context))
    return out


_UPDATES: dict[tuple[str, int], int] = {}


def updates(config: Any) -> int:
    """Critic + generator steps at the end of a trial, counted as training counts them:
    ``n_critic(i)`` critic steps before generator step i, for i from 0."""
    key = (config.schedule.model_dump_json(), config.iterations)
    if key not in _UPDATES:
        schedule = SCHEDULES.get(config.schedule.name)(config.schedule)
        critic = sum(schedule.n_critic(i) for i in range(config.iterations))
        _UPDATES[key] = config.iterations + critic
    return _UPDATES[key]


@dataclass(frozen=True)
class Run:
    """What one budget of an ablation runs: the lengths and the updates every trial reaches."""

    iterations: frozenset[int]
    updates_reached: int  # the fewest updates any trial has made at its end


def runs(ablation: Any) -> dict[str, Run]:
    """Budget -> ``Run``, read from the resolved trial configs."""
    out = {}
    for budget in ablation.spec.budgets:
        trials = ablation.trials(budget)
        reached = min(updates(t.config) for t in trials)
        out[str(budget)] = Run(frozenset(t.config.iterations for t in trials), reached)
    return out


def at_updates(claim: Any) -> set[int]:
    """The numbers of updates a claim's check reads at (``reduce: at_updates``)."""
    found: set[int] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("reduce") == "at_updates" and node.get("at") is not None:
                found.add(round(node["at"]))
            for v in node.values():
                walk(v)
        elif isinstance(node, list | tuple):
            for v in node:
                walk(v)

    walk(claim.check.model_dump())
    return found


def _fmt(values: Iterable[int]) -> str:
    return ", ".join(f"{v:,}" for v in sorted(values))


def check_text(
    text: str | None,
    where: str,
    at: Mapping[str, Run],
    exempt: Iterable[str] = (),
    claims: Mapping[str, Any] | None = None,
) -> list[str]:
    """Mismatches between the counts in ``text`` and the runs ``at`` (budget -> Run; a count
    fits when it fits one of them). ``claims``: id -> claim, for the claim-id rule."""
    if not text:
        return []
    problems = []
    for c in counts(text, exempt):
        if c.kind == "iterations":
            runs_ = {i for r in at.values() for i in r.iterations}
            if c.value not in runs_:
                problems.append(
                    f"{where}: '{c.phrase}', but the trials run {_fmt(runs_)} iterations"
                )
            continue
        reached = max(r.updates_reached for r in at.values())
        if c.value > reached:
            problems.append(f"{where}: '{c.phrase}', but a trial ends after {reached:,} updates")
        for cid in CLAIM_ID.findall(c.sentence) if claims else ():
            read = at_updates(claims[cid]) if cid in claims else set()
            if read and c.value not in read:
                problems.append(f"{where}: '{c.phrase}', but claim {cid} reads at {_fmt(read)}")
    return problems


def ablation_mismatches(
    ablation: Any, others: Iterable[str] = (), claims: Mapping[str, Any] | None = None
) -> list[str]:
    """Counts in the ablation's description (fitting any budget) and in each budget's note
    (fitting that budget) that its trials do not run. ``others``: other ablations' names."""
    name = ablation.spec.name
    at = runs(ablation)
    others = [o for o in others if o != name]
    found = check_text(ablation.spec.description, f"{name}: description", at, others, claims)
    for budget, spec in ablation.spec.budgets.items():
        not_this = [*others, *(str(b) for b in Budget if b != budget)]
        where = f"{name}: budgets.{budget}.note"
        found += check_text(spec.note, where, {budget: at[budget]}, not_this, claims)
    return found


def claim_mismatches(claim: Any, ablation: Any, others: Iterable[str] = ()) -> list[str]:
    """Counts in a claim's ``budgets`` texts (fitting that budget of its ablation) and in its
    ``testable_as`` and ``setting`` (fitting one of the claim's budgets)."""
    at = runs(ablation)
    others = [o for o in others if o != claim.ablation]
    mine = {str(b): at[str(b)] for b in claim.budgets if str(b) in at}
    found = []
    for field in ("testable_as", "setting"):
        found += check_text(getattr(claim, field), f"{claim.id}: {field}", mine, others)
    for budget, text in claim.budgets.items():
        if str(budget) not in at:
            continue
        not_this = [*others, *(str(b) for b in Budget if b != budget)]
        where = f"{claim.id}: budgets.{budget}"
        found += check_text(text, where, {str(budget): at[str(budget)]}, not_this)
    return found
