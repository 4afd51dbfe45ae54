"""Pre-registration: every check frozen, with fresh seeds, before the data that decide it.

A verdict is evidence only when its check was fixed before its data were seen. A
registration (``claims/registrations/<name>.yaml``, written by ``python -m wgan_suite
preregister``) records, for every claim it covers: its family, the hash of its check
definition (check, premises, family, alpha, tolerance, ablation), the hash of the
analysis code that computes verdicts (``wgan_suite/analysis/stats.py`` and ``wgan_suite/claims/``),
the
training code's hash (the one trials record), the budget, a block of seeds never used
before, the ids of the trials those seeds make, and the smallest p each claim's design
can reach with them against its family's Holm bound.

A verdict is **confirmatory** only when all of that still matches: the same check and
analysis code, read on exactly the registered trials, from clean trees of the registered
training code, with scores from the registered quality classifier where it pins one
(``classifier_sha256``: the network behind ``fd_classifier`` and ``stacked_modes`` is
trained once per machine, and scores from another network are on another scale; the
trials table carries the hashes each trial's records hold). Anything else is
**exploratory**, and says why. A registration is a draft
until ``preregister --final`` freezes it for its run: only a final registration runs
(``run --registration``) and reads confirmatory, and a final one, or one whose trials
exist, is never rewritten: a revised check is registered anew, with a new name and block
of seeds (as registered reports do it: the analysis plan is fixed before the data).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import yaml
from pydantic import Field, PrivateAttr

from wgan_suite.claims.families import Family
from wgan_suite.claims.schema import CLAIMS_DIR, Claim
from wgan_suite.claims.selection import ClaimError
from wgan_suite.core import files
from wgan_suite.core.errors import InputError
from wgan_suite.core.locations import COMMAND
from wgan_suite.core.options import Options
from wgan_suite.core.provenance import git_output, import_closure

PACKAGE = Path(__file__).resolve().parents[1]
# under the package: what turns the trials' records into tables and tables into verdicts
# the entry points from a trial's records to a verdict; every module they import, in the
# package, is found by reading the imports (analysis_files), so a constant that decides
# a verdict at collect time (wgan_suite/analysis/summaries.py's WORSE) is hashed with the rest
ANALYSIS_ROOTS = ("claims", "harness/results.py", "report/__init__.py")
REGISTRATIONS = "registrations"  # the folder beside the claims files
MARGIN = 2  # seeds beyond the fewest that reach the bound: room for a seed that disagrees
DECISION = (
    "two-sided decision: p = min(1, 2 min(p for, p against)); Holm's step-down correction "
    "within each family at alpha; the side of the smaller one-sided p gives the direction"
)


# a registration's name: also its file's (claims/registrations/<name>.yaml)
REGISTRATION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class RegisteredClaim(Options):
    family: Family
    ablation: str
    check_hash: str
    min_p: float = Field(description="smallest decision p the design reaches with these seeds")
    holm_bound: float = Field(description="alpha / (claims in the family): Holm's first step")
    min_p_against: float = Field(description="the same for a verdict against the claim")
    reaches_bound: bool = Field(description="both directions can reach the bound")
    seeds_needed: int | None = Field(
        description="seeds at which the design's smallest decision p reaches the bound, "
        "for the claim and against it"
    )
    trials: tuple[str, ...] = Field(
        (), description="the registered trials its check and premises select: all are read"
    )
    power_seeds: int | None = Field(
        None,
        description="seeds (per arm) at which its test decides with power >= 0.8 at "
        "Holm's first step, at the pessimistic end of the effect seen (wgan_suite.claims.power)",
    )
    planned_power: float | None = Field(
        None, description="that power at the seeds its ablation runs"
    )
    effect: str = Field("", description="the effect the power was computed at, and its source")


class Registration(Options):
    """One registered analysis plan; see the module docstring."""

    registration: str = Field(pattern=rf"^{REGISTRATION_NAME.pattern}$")
    created: str
    budget: str
    alpha: float
    seeds: tuple[int, ...] = Field(min_length=1)
    decision: str
    training_code_hash: str
    analysis_hash: str
    claims: dict[str, RegisteredClaim]
    ablation_seeds: dict[str, tuple[int, ...]] = Field(
        description="ablation -> the first seeds of the block it runs: as many as its claims "
        "need to reach their Holm bound, plus MARGIN (a seed or two may disagree)"
    )
    trials: dict[str, tuple[str, ...]] = Field(description="ablation -> registered trial ids")
    classifier_sha256: str | None = Field(
        None,
        description="SHA-256 of the quality classifier (fd_classifier, stacked_modes) whose "
        "scores its verdicts may read (comma-separated, one per dataset, when its trials "
        "score several); written by preregister from the classifiers this machine has; "
        "None: not pinned (scores must still share one)",
    )
    exploratory: dict[str, str] = Field(
        default_factory=dict,
        description="claim -> why the registered run reads it as exploratory only (below "
        "its scale: either direction would say nothing of the paper's scale)",
    )
    final: bool = Field(
        False,
        description="frozen for its run (preregister --final): `run --registration` runs only "
        "a final registration, on the training code it names, and a final one is never "
        "rewritten; a draft (the default) may be, while none of its trials exists, and its "
        "verdicts are exploratory",
    )

    # None: built in memory; "": loaded from a file identical to its committed version;
    # else why the file cannot vouch for its own date and content (see committed_state)
    _committed: str | None = PrivateAttr(None)
    _tag: str | None = PrivateAttr(None)  # "name@sha256" of the file its trials must record
    _committed_at: str | None = PrivateAttr(None)  # its commit's time (UTC, ISO)

    def family_size(self, family: str) -> int:
        """Holm's m for a family: the claims registered as confirmatory in it (a claim
        deleted from the claims file later still counts, so the bound cannot loosen)."""
        return sum(c.family == family for c in self.claims.values())


# --------------------------------------------------------------------------- hashes


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_hash(claim: Claim) -> str:
    """What decides the verdict, not the prose: check, premises, family, alpha, tolerance,
    ablation and scale (canonical JSON). Editing any of these makes a new check."""
    # serialize_as_any: a nested check or premise is dumped with its own kind's fields,
    # not as its declared base class (which would hash every all_of's parts alike)
    frozen = {
        "check": claim.check.model_dump(mode="json", serialize_as_any=True),
        "premises": [p.model_dump(mode="json", serialize_as_any=True) for p in claim.premises],
        "family": str(claim.family),
        "alpha": claim.alpha,
        "tolerance": claim.tolerance,
        "ablation": claim.ablation,
        "scale": claim.scale.model_dump(mode="json"),
    }
    return _sha(json.dumps(frozen, sort_keys=True, separators=(",", ":")).encode())


def analysis_files(root: Path = PACKAGE) -> list[Path]:
    """Every module on the path from a trial's records to a verdict: the entry points
    (ANALYSIS_ROOTS) and, transitively, every package module they import."""
    return import_closure(ANALYSIS_ROOTS, root)


def analysis_hash(root: Path = PACKAGE) -> str:
    """SHA-256 over every module on the path from records to verdicts (analysis_files)."""
    h = hashlib.sha256()
    for path in analysis_files(root):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


# --------------------------------------------------------------------------- files


def registrations_dir(claims_dir: Path = CLAIMS_DIR) -> Path:
    return Path(claims_dir) / REGISTRATIONS


def committed_state(path: Path) -> str:
    """ "" when ``path`` is byte-identical to its version in the checkout's HEAD and the
    claims beside it have no uncommitted changes; else why not (a registration edited in
    the working tree, one never committed, claims changed since, no git to ask).

    A registration is evidence of its own date and content only as git holds it: a
    hand-edited hash in the working tree must not make a verdict confirmatory."""
    path = Path(path).resolve()
    top = git_output(path.parent, "rev-parse", "--show-toplevel")
    if top is None:
        return "is not in a git checkout: its date and content cannot be checked"
    root = Path(top.strip())
    rel = path.relative_to(root).as_posix()
    blob = git_output(root, "show", f"HEAD:{rel}", text=False)
    if blob is None:
        return "is not committed"
    if blob != path.read_bytes():
        return "differs from its committed version"
    claims = path.parent.parent.relative_to(root).as_posix()
    status = git_output(root, "status", "--porcelain", "--", claims)
    if status is None or status.strip():
        return f"was read beside uncommitted changes in {claims}/"
    return ""


def load_registration(path: Path) -> Registration:
    data = files.read_yaml(path, ClaimError)
    try:
        reg = Registration.model_validate(data)
    except Exception as err:  # pydantic's message names the key
        raise ClaimError(f"{path}: not a registration: {str(err).splitlines()[0]}") from None
    reg._committed = committed_state(path)
    reg._tag = registration_tag(reg.registration, path)
    reg._committed_at = commit_time(path)
    return reg


def registration_tag(name: str, path: Path) -> str:
    """What a trial run under this registration records: ``R1@<sha256 of the file>``."""
    return f"{name}@{_sha(Path(path).read_bytes())[:16]}"


def commit_time(path: Path) -> str | None:
    """The UTC time of the last commit that touched ``path`` (None outside git)."""
    path = Path(path).resolve()
    done = git_output(path.parent, "log", "-1", "--format=%ct", "--", path.name)
    if not done or not done.strip():
        return None
    stamp = int(done.strip())
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_registrations(folder: Path | None = None) -> list[Registration]:
    """Every registration, oldest first (by creation time, then name)."""
    folder = registrations_dir() if folder is None else Path(folder)
    found = [load_registration(p) for p in sorted(folder.glob("*.yaml"))] if folder.is_dir() else []
    return sorted(found, key=lambda r: (r.created, r.registration))


def covering(registrations: Sequence[Registration], claim_id: str) -> Registration | None:
    """The newest final registration that registers this claim as confirmatory, else the
    newest draft that does (a draft of the next run never hides a final one's reading)."""
    hits = [r for r in registrations if claim_id in r.claims]
    final = [r for r in hits if r.final]
    return (final or hits)[-1] if hits else None


def registered_exploratory(registrations: Sequence[Registration], claim_id: str) -> str:
    """Why the newest registration naming this claim left it exploratory ("" if none did)."""
    hits = [r for r in registrations if claim_id in r.exploratory]
    return f"registration {hits[-1].registration}: {hits[-1].exploratory[claim_id]}" if hits else ""


def write_registration(reg: Registration, folder: Path) -> Path:
    path = Path(folder) / f"{reg.registration}.yaml"
    body = reg.model_dump(mode="json")
    body["seeds"] = list(body["seeds"])
    body["trials"] = {k: list(v) for k, v in body["trials"].items()}
    body["ablation_seeds"] = {k: list(v) for k, v in body["ablation_seeds"].items()}
    then = (
        f"# Final: run it with `{COMMAND} run <ablations> --registration {reg.registration}`.\n"
        if reg.final
        else f"# A draft: `{COMMAND} preregister ... --replace --final` freezes it for its run.\n"
    )
    header = (
        f"# Registration {reg.registration}: written by `{COMMAND} preregister` before any\n"
        "# of its trials ran. Do not edit: a changed check is a new registration with new\n"
        "# seeds.\n" + then
    )
    files.write_text(path, header + yaml.safe_dump(body, sort_keys=False, width=100))
    return path


# --------------------------------------------------------------------------- registering


class RegistrationRefused(ClaimError, InputError):
    """A registration that would break the protocol (rewrite after data, reused seeds)."""


def trials_present(reg: Registration, trials: pd.DataFrame) -> list[str]:
    """Registered trial ids that already have rows in ``trials``."""
    if trials is None or trials.empty or "trial_id" not in trials:
        return []
    registered = {t for ids in reg.trials.values() for t in ids}
    return sorted(registered & set(trials["trial_id"].astype(str)))


def check_new_block(
    name: str,
    seeds: Sequence[int],
    existing: Sequence[Registration],
    trials: pd.DataFrame,
    folder: Path,
    replace: bool = False,
    trial_dirs: Iterable[str] = (),
    used_elsewhere: Iterable[int] = (),
) -> None:
    """Refuse what would break the protocol: rewriting a registration without saying so
    (``replace``) or once any of its trials exists (in ``trials`` or as a trial directory
    named in ``trial_dirs``), and seeds used before (by a registration, a trial in the
    tables, or ``used_elsewhere``: the seeds the ablation files themselves run)."""
    path = Path(folder) / f"{name}.yaml"
    if path.exists():
        if not replace:
            raise RegistrationRefused(
                f"{path} exists: a registration is not rewritten by accident (--replace "
                "rewrites it while none of its trials exists)"
            )
        old = load_registration(path)
        if old.final:
            raise RegistrationRefused(
                f"{path} is final (frozen for its run): a revised design is a new "
                "registration, under a new name with a new block of seeds"
            )
        ran = trials_present(old, trials)
        ids = {t for v in old.trials.values() for t in v}
        ran += sorted(d for d in trial_dirs if any(d.endswith(f"-{i}") for i in ids))
        if ran:
            raise RegistrationRefused(
                f"{path}: {len(ran)} of its trials already exist (e.g. {ran[0]}): a registration "
                "cannot be rewritten once its trials exist; register under a new name with a "
                "new block of seeds"
            )
    used: set[int] = set(used_elsewhere)
    for r in existing:
        if r.registration != name:
            used |= set(r.seeds)
    if trials is not None and not trials.empty and "seed" in trials:
        used |= {int(s) for s in trials["seed"].dropna()}
    clash = sorted(set(seeds) & used)
    if clash:
        raise RegistrationRefused(
            f"seeds {clash[:8]}{' ...' if len(clash) > 8 else ''} were used before (by a "
            "registration, by trials in the tables, or by the ablation files' own runs): "
            "confirmatory seeds must be fresh"
        )


# --------------------------------------------------------------------------- reading


def exploratory_reasons(
    claim: Claim,
    reg: Registration | None,
    budget: str | None,
    read: pd.DataFrame,
    current_analysis: str | None = None,
) -> list[str]:
    """Why a verdict on the trials ``read`` (rows of the trials table) is not
    confirmatory; empty when it is."""
    if reg is None:
        return ["no registration covers this claim"]
    entry = reg.claims[claim.id]
    why = []
    if not reg.final:
        why.append(f"registration {reg.registration} is a draft (preregister --final freezes it)")
    if reg._committed:
        why.append(f"registration {reg.registration} {reg._committed}")
    if entry.check_hash != check_hash(claim):
        why.append(f"its check changed since registration {reg.registration}")
    if (current_analysis or analysis_hash()) != reg.analysis_hash:
        why.append(f"the analysis code changed since registration {reg.registration}")
    if budget is None:  # nothing read: the trials' own reasons would only repeat it
        return [*why, f"not run: no trial of {claim.ablation} in the tables"]
    if budget != reg.budget:
        why.append(f"read at budget {budget}, registered at {reg.budget}")
    why += _trial_reasons(reg, claim.ablation, entry.trials, read, "")
    if reg._committed is not None:  # loaded from a file: its trials must have run under it
        why += _run_under(reg, read)
    return why


def _hw(read: pd.DataFrame, name: str) -> pd.Series:
    return read[f"hw.{name}"] if f"hw.{name}" in read else pd.Series(None, read.index, object)


def _run_under(reg: Registration, read: pd.DataFrame) -> list[str]:
    """Every start and resume of the trials read ran under this very registration file
    (``run --registration`` records it) and their first start came after the commit that
    made it (``trial_status.carried_start``: a resume keeps both; the newest start alone
    would let a trial begun before the registration pass). A trial that does not record
    them reads as neither."""
    tags = _hw(read, "registrations")
    why = []
    if tags.isna().all() or (tags.astype(str) != reg._tag).any():
        why.append(f"trials that did not run under registration {reg._tag}")
    started = _hw(read, "first_started")
    if reg._committed_at is None or started.isna().any() or started.empty:
        why.append("the trials' start times cannot be compared with the registration's commit")
    elif (started.astype(str) < reg._committed_at).any():
        why.append(f"trials that started before registration {reg.registration} was committed")
    return why


def _trial_reasons(
    reg: Registration, ablation: str, wanted_ids: Sequence[str], read: pd.DataFrame, what: str
) -> list[str]:
    """The trials read against the registered ones: all registered, all read, at the
    registered seeds, from clean trees of the registered training code."""
    why = []
    registered = set(reg.trials.get(ablation, ()))
    ids = set(read["trial_id"].astype(str)) if "trial_id" in read else set()
    if not ids:
        return [f"{what}no registered trial was read"]
    if ids - registered:
        why.append(f"{what}{len(ids - registered)} trial(s) read are not registered")
    unread = set(wanted_ids) - ids
    if unread:  # a trial left out (lost, failed, dropped) could have changed it
        why.append(f"{what}{len(unread)} registered trial(s) of this claim not read")
    seeds = {int(s) for s in read["seed"].dropna()} if "seed" in read else set()
    lacking = sorted(set(reg.ablation_seeds.get(ablation, reg.seeds)) - seeds)
    if lacking:
        why.append(f"{what}registered seed(s) {lacking} not read")
    if "code_hash" not in read:
        why.append(f"{what}the trials carry no training-code hash")
    else:
        other = set(read["code_hash"].dropna().astype(str)) - {reg.training_code_hash}
        if other or read["code_hash"].isna().any():
            why.append(f"{what}trials from training code other than the registered one")
    if "git_dirty" not in read:
        why.append(f"{what}the trials do not say whether their tree was clean")
    elif read["git_dirty"].fillna(True).astype(bool).any():
        why.append(f"{what}trials from a tree with uncommitted changes")
    return why + _classifier_reasons(reg, read, what)


def _classifier_reasons(reg: Registration, read: pd.DataFrame, what: str) -> list[str]:
    """The quality classifier is trained once per machine: scores made with another
    network than the registered one (or, unpinned, with several) are on another scale."""
    cells = read["classifier_sha256"].dropna() if "classifier_sha256" in read else []
    seen = {h for cell in cells for h in str(cell).split(",") if h}
    pinned = reg.classifier_sha256
    allowed = {h for h in (pinned or "").split(",") if h}  # one per dataset the run scores
    if pinned is not None and seen - allowed:
        other = ", ".join(h[:12] for h in sorted(seen - allowed))
        registered = ", ".join(h[:12] for h in sorted(allowed))
        return [
            f"{what}scores from a quality classifier other than the registered one "
            f"(classifier sha256 {other}, registered {registered})"
        ]
    if pinned is None and len(seen) > 1:
        shown = ", ".join(h[:12] for h in sorted(seen))
        return [f"{what}scores from {len(seen)} different quality classifiers (sha256 {shown})"]
    return []
