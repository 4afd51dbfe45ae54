"""Damaged trial files after a crash (issue 11, items 3-5), without Ray.

Records are read whole or the trial is reported corrupt (file and line); only a torn
last line is dropped, with a warning. A damaged checkpoint is named, moved aside, and
the trial resumes from the previous one (or from scratch), ending with the records
of an uninterrupted run. Statuses say what the files prove.
"""

from __future__ import annotations

import os
import platform
import struct
import zipfile

import pytest

from tests.conftest import toy_config
from wgan_suite.core import files
from wgan_suite.trial.config import load_trial_config
from wgan_suite.trial.train import run_trial
from wgan_suite.trial.train.trial import CHECKPOINT, PREVIOUS
from wgan_suite.trial.trial_status import current_status, read_records, read_status, write_status

CFG = toy_config(iterations=9, log_every=1, checkpoint_every=3)


def strip_time(rows):
    timing = ("wall_time", "eval_seconds", "checkpoint")
    return [{k: v for k, v in r.items() if k not in timing} for r in rows]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run: the records every repaired trial must end with."""
    path = tmp_path_factory.mktemp("ref")
    list(run_trial(load_trial_config(CFG), path))
    return strip_time(files.read_jsonl(path / "records.jsonl"))


def interrupted(path, stop_after: int):
    """A trial stopped after ``stop_after`` records (checkpoints at 3, 6)."""
    calls = iter(range(100))
    list(run_trial(load_trial_config(CFG), path, should_stop=lambda: next(calls) >= stop_after))


def flip_tensor_byte(path) -> None:
    """Flip one byte in the middle of the largest tensor's data (not in zip metadata)."""
    with zipfile.ZipFile(path) as z:
        info = max((i for i in z.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    data = bytearray(path.read_bytes())
    name_len, extra_len = struct.unpack(
        "<HH", data[info.header_offset + 26 : info.header_offset + 30]
    )
    start = info.header_offset + 30 + name_len + extra_len
    data[start + info.file_size // 2] ^= 0x01
    path.write_bytes(bytes(data))


def resume(path):
    notes: list[str] = []
    rows = list(run_trial(load_trial_config(CFG), path, on_warning=notes.append))
    return rows, notes


# --------------------------------------------------------------------------- item 3: records


def test_torn_last_line_is_dropped_with_a_note(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"iteration": 1}\n{"iteration": 2}\n{"itera')
    rows, note = files.read_jsonl_checked(path)
    assert rows == [{"iteration": 1}, {"iteration": 2}]
    assert "line 3 is incomplete" in note
    with pytest.warns(UserWarning, match="line 3 is incomplete"):
        assert len(files.read_jsonl(path)) == 2


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ('{"iteration": 1\n{"iteration": 2}\n', 1, "not a JSON record"),  # garbled first
        ('{"iteration": 1}\n\x00\x00\x00\n{"iteration": 3}\n', 2, "not a JSON record"),
        ('{"iteration": 1}\n[1, 2]\n', 2, "a JSON list, not a record"),
        ('{"iteration": 1}\n\xff\xfe\n', 2, "not UTF-8"),
    ],
)
def test_damaged_line_is_an_error_naming_file_and_line(tmp_path, text, line, problem):
    path = tmp_path / "r.jsonl"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(files.CorruptFile) as info:
        files.read_jsonl_checked(path)
    assert info.value.line == line and problem in str(info.value)
    assert str(info.value).startswith(f"{path}: line {line}: ")


def test_records_out_of_order_are_corrupt(tmp_path):
    rows = [{"iteration": i, "status": "running"} for i in (1, 2, 2, 3)]  # two writers
    files.write_jsonl(tmp_path / "records.jsonl", rows)
    with pytest.raises(files.CorruptFile, match="line 3: iteration 2 after 2"):
        read_records(tmp_path)


def test_records_may_start_with_the_untrained_iteration_0(tmp_path):
    rows = [{"iteration": i, "status": "running"} for i in (0, 5, 10)]
    files.write_jsonl(tmp_path / "records.jsonl", rows)
    assert read_records(tmp_path) == (rows, None)


def test_finished_trial_with_garbled_first_line_is_corrupt_then_redone(tmp_path, reference):
    list(run_trial(load_trial_config(CFG), tmp_path))
    records = tmp_path / "records.jsonl"
    records.write_bytes(b"#garbage" + records.read_bytes()[8:])
    status = current_status(tmp_path, active=False)
    assert status["status"] == "corrupt" and f"{records}: line 1" in status["reason"]
    rows, notes = resume(tmp_path)
    assert [r["iteration"] for r in rows] == list(range(0, 10))  # from scratch: iteration 0 too
    assert any("line 1" in n and "restarting from scratch" in n for n in notes)
    assert strip_time(files.read_jsonl(records)) == reference
    assert list((tmp_path / "corrupt").iterdir())  # the damaged file is kept


def test_running_trial_with_garbled_first_line_is_not_emptied_and_finished(tmp_path, reference):
    interrupted(tmp_path, 5)
    records = tmp_path / "records.jsonl"
    records.write_bytes(b"{{{" + records.read_bytes()[3:])
    rows, _ = resume(tmp_path)
    assert rows[0]["iteration"] == 0 and rows[-1]["status"] == "finished"  # from scratch
    assert strip_time(files.read_jsonl(records)) == reference


def test_torn_tail_is_redone(tmp_path, reference):
    interrupted(tmp_path, 4)  # records 1..5 (5 is 'stopped'), checkpoint at 3
    records = tmp_path / "records.jsonl"
    with open(records, "ab") as fh:
        fh.write(b'{"iteration": 6, "sta')
    rows, notes = resume(tmp_path)
    assert rows[0]["iteration"] == 4 and any("incomplete" in n for n in notes)
    assert strip_time(files.read_jsonl(records)) == reference


# --------------------------------------------------------------------------- item 4: checkpoints


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_damaged_checkpoint_resumes_from_the_previous_one(tmp_path, reference, damage):
    interrupted(tmp_path, 7)  # records 1..8, checkpoints 3 (previous) and 6 (latest)
    latest = tmp_path / CHECKPOINT
    data = latest.read_bytes()
    if damage == "truncate":
        latest.write_bytes(data[: len(data) // 2])
    elif damage == "flip":  # one bit inside a tensor: torch loads it, the checksum does not
        flip_tensor_byte(latest)
    else:
        latest.write_bytes(b"not a checkpoint at all")
    rows, notes = resume(tmp_path)
    assert rows[0]["iteration"] == 4  # back to the checkpoint at 3
    assert any(str(latest) in n and "moved to" in n for n in notes), notes
    assert not any("weights_only" in n for n in notes)  # none of torch's advice
    assert strip_time(files.read_jsonl(tmp_path / "records.jsonl")) == reference


def test_checksum_flip_is_detected(tmp_path):
    interrupted(tmp_path, 4)
    path = tmp_path / CHECKPOINT
    flip_tensor_byte(path)
    assert files.torch_load(path)["iteration"] == 3  # torch alone does not notice
    with pytest.raises(files.CorruptFile, match="does not match its checksum"):
        files.load_checkpoint(path)


def test_both_checkpoints_damaged_restarts_from_scratch(tmp_path, reference):
    interrupted(tmp_path, 7)
    for rel in (CHECKPOINT, PREVIOUS):
        (tmp_path / rel).write_bytes(b"\0" * 100)
    rows, notes = resume(tmp_path)
    assert rows[0]["iteration"] == 1 and len(notes) == 2
    assert strip_time(files.read_jsonl(tmp_path / "records.jsonl")) == reference


def test_checkpoint_without_its_record_is_not_resumed_from(tmp_path, reference):
    """The crash came after the checkpoint was written and before its record."""
    interrupted(tmp_path, 7)
    records = tmp_path / "records.jsonl"
    rows = files.read_jsonl(records)
    files.write_jsonl(records, [r for r in rows if r["iteration"] < 6])
    resumed, notes = resume(tmp_path)
    assert resumed[0]["iteration"] == 4 and any("has no record" in n for n in notes)
    assert strip_time(files.read_jsonl(records)) == reference


# --------------------------------------------------------------------------- item 5: status


def test_finished_trial_is_not_retrained_and_yields_its_final_record(tmp_path):
    full = list(run_trial(load_trial_config(CFG), tmp_path))
    before = (tmp_path / "records.jsonl").read_bytes()
    again, notes = resume(tmp_path)
    assert again == [files.read_jsonl(tmp_path / "records.jsonl")[-1]]
    assert again[0]["iteration"] == 9 and again[0]["wall_time"] == full[-1]["wall_time"]
    assert (tmp_path / "records.jsonl").read_bytes() == before and not notes


def test_corrupt_status_json_is_reported_not_raised(tmp_path):
    list(run_trial(load_trial_config(CFG), tmp_path))
    (tmp_path / "status.json").write_text('{"status": "runn')
    assert read_status(tmp_path)["status"] == "unknown"
    status = current_status(tmp_path, active=False)
    assert status["status"] == "finished" and status["iteration"] == 9
    write_status(tmp_path, "finished")  # writing over it works too
    assert read_status(tmp_path)["status"] == "finished"


def test_dead_running_trial_is_interrupted(tmp_path):
    interrupted(tmp_path, 4)
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    write_status(tmp_path, "running", hardware={"hostname": platform.node(), "pid": dead})
    assert current_status(tmp_path, active=False)["status"] == "interrupted"
    assert current_status(tmp_path, active=True)["status"] == "interrupted"  # pid is gone
    write_status(tmp_path, "running", hardware={"hostname": platform.node(), "pid": os.getpid()})
    assert current_status(tmp_path, active=True)["status"] == "running"
    assert current_status(tmp_path, active=False)["status"] == "interrupted"


def test_status_finished_but_records_not(tmp_path):
    interrupted(tmp_path, 4)
    write_status(tmp_path, "finished", iteration=9)
    status = current_status(tmp_path, active=False)
    assert (
        status["status"] == "interrupted"
        and "records.jsonl ends at iteration 5" in status["reason"]
    )
