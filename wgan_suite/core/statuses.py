"""The statuses a trial can have, spelt once for status.json, records, tables and the CLI.

A ``StrEnum``: each member is its string, so files and tables hold plain words and read
back equal to the members.
"""

from __future__ import annotations

from enum import StrEnum


class TrialStatus(StrEnum):
    PENDING = "pending"  # not started
    RUNNING = "running"
    STOPPED = "stopped"  # a record's status: paused by the scheduler, resumed later
    FINISHED = "finished"
    DIVERGED = "diverged"  # non-finite losses: a result, not a crash
    FAILED = "failed"  # raised, or its worker died more often than retried
    INTERRUPTED = "interrupted"  # started, and nothing runs it now: `run` resumes it
    CORRUPT = "corrupt"  # its records cannot be read whole
    UNKNOWN = "unknown"  # status.json unreadable: the records decide


DONE = (TrialStatus.FINISHED, TrialStatus.DIVERGED)  # results, never rerun
