"""The machine facts a trial records with its time (``wgan_suite.core.machine``)."""

from __future__ import annotations

import torch

from wgan_suite.core import machine
from wgan_suite.trial.trial_status import provenance


def test_facts_name_the_kernels_code_path(monkeypatch):
    monkeypatch.setenv("DNNL_MAX_CPU_ISA", "AVX2")
    monkeypatch.delenv("MKL_ENABLE_INSTRUCTIONS", raising=False)
    facts = machine.facts()
    assert facts["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert facts["blas"] != "?" and facts["onednn"] != "?"  # torch's build says them
    assert "DNNL_MAX_CPU_ISA=AVX2" in facts["environment"]
    assert "MKL_ENABLE_INSTRUCTIONS" not in facts["environment"]
    assert all(isinstance(v, str) for v in facts.values())


def test_flags_are_read_from_cpuinfo():
    info = "model name\t: Some CPU\ncpu family\t: 25\nmodel\t\t: 17\nflags\t\t: fpu avx2 fma\n"
    assert machine._cpuinfo_field(info, "model name") == "Some CPU"
    assert machine._cpuinfo_field(info, "model") == "17"
    assert machine._cpuinfo_field(info, "missing") == "?"


def test_every_trial_records_them():
    recorded = provenance(torch.device("cpu"))
    assert recorded["cpu"] == machine.cpu_facts()["cpu_model"]
    for key in ("cpu_flags", "cpu_capability", "blas", "onednn", "threads", "environment"):
        assert key in recorded, key
