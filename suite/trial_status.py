"""The status file of a trial directory: what the results table reports per trial."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

import suite
from suite import io

DONE = ("finished", "diverged")  # results, never rerun
STATUS_FILE = "status.json"


def read_status(trial_dir: Path) -> dict[str, Any]:
    path = trial_dir / STATUS_FILE
    return io.read_json(path) if path.exists() else {"status": "pending"}


def write_status(trial_dir: Path, status: str, **fields: Any) -> None:
    old = read_status(trial_dir)
    io.write_json(
        trial_dir / STATUS_FILE,
        {**old, **fields, "status": status, "updated": datetime.now(UTC).isoformat()},
    )


def provenance(device: torch.device) -> dict[str, Any]:
    """Hardware and versions recorded with every trial (STYLE 17)."""
    import ray

    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    return {
        "device": str(device),
        "gpu_name": gpu,
        "cpu": platform.processor() or platform.machine(),
        "cpu_threads": torch.get_num_threads(),
        "hostname": platform.node(),
        "pid": os.getpid(),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "ray": ray.__version__,
        "suite": suite.__version__,
    }
