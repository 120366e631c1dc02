"""Tests of Tools/release_table.py on small hand-made results folders (a few checks per file, not real runs)."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import release_table  # noqa: E402


def results(profile, version, statuses, incomplete=False):
    """A results file's contents: one check per (id, status)."""
    checks = [{"id": check_id, "category": check_id.split(".")[1] if check_id.startswith("property.") else "golden",
               "status": status} for check_id, status in statuses]
    count = lambda status: sum(1 for _, s in statuses if s == status)  # noqa: E731
    return {
        "schemaVersion": 1, "seed": 1, "budget": "default", "profile": profile, "incomplete": incomplete,
        "candidate": {"name": "pytorch", "version": version, "profile": profile},
        "summary": {"passed": count("passed"), "failed": count("failed"), "errors": count("error"),
                    "skipped": count("skipped")},
        "checks": checks,
    }


def write(folder, name, contents):
    """Write a file of the folder; a dict as JSON."""
    with open(folder / name, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(contents) if isinstance(contents, dict) else contents)


PASSING = [("golden.dtypes", "passed"), ("property.errors.precedence", "passed")]


def test_rows_verdicts_and_failing_ids(tmp_path):
    """Each release is one row in version order (2.10 after 2.9): its profile's verdict first, then the others'
    with the ids of the failing checks."""
    write(tmp_path, "torch-2.10.0.torch-2.10.json", results("torch-2.10", "2.10.0+cu128", PASSING))
    write(tmp_path, "torch-2.10.0.torch-2.6.json", results("torch-2.6", "2.10.0+cu128", [
        ("golden.dtypes", "passed"), ("property.broadcast.var_shape_rule", "failed")]))
    write(tmp_path, "torch-2.9.1.torch-2.6.json", results("torch-2.6", "2.9.1+cu128", PASSING))
    write(tmp_path, "torch-2.9.1.torch-2.10.json", results("torch-2.10", "2.9.1+cu128", [
        ("golden.var_forms", "failed"), ("property.errors.precedence", "error")]))
    write(tmp_path, "torch-2.9.1.torch-1.9.json", results("torch-1.9", "2.9.1+cu128", PASSING))
    lines = release_table.table(str(tmp_path)).splitlines()
    assert lines[0].startswith("| release | profile |") and len(lines) == 4
    assert lines[2] == ("| 2.9.1 (2.9.1+cu128) | torch-2.6 | conformant | torch-1.9: conformant; torch-2.10: "
                        "not conformant (2 of 2 fail: `golden.var_forms`, `property.errors.precedence`) |")
    assert lines[3] == ("| 2.10.0 (2.10.0+cu128) | torch-2.10 | conformant | torch-2.6: not conformant "
                        "(1 of 2 fail: `property.broadcast.var_shape_rule`) |")


def test_assigned_profiles():
    """The profile boundaries of CONFORMANCE.md §1."""
    assert [release_table.assigned(r) for r in ("1.8.1", "2.0.1", "2.5.1", "2.6.0", "2.9.1", "2.10.0", "2.15.0")] \
        == ["torch-1.8", "torch-1.9", "torch-1.9", "torch-2.6", "torch-2.6", "torch-2.10", "torch-2.10"]


def test_install_error_and_missing_own_profile(tmp_path):
    """A release that did not install shows pip's last ERROR line; one run only under another profile says so; an
    incomplete run is not conformant."""
    write(tmp_path, "torch-2.2.2.install-error.txt", "# header\nCollecting torch==2.2.2\nERROR: No matching "
                                                    "distribution found for torch==2.2.2\nerror: could not create "
                                                    ".venv-sweep; removed what was installed\n")
    write(tmp_path, "torch-2.3.1.torch-2.6.json", results("torch-2.6", "2.3.1", PASSING, incomplete=True))
    lines = release_table.table(str(tmp_path)).splitlines()
    assert lines[2] == "| 2.2.2 | torch-1.9 | did not install: ERROR: No matching distribution found for " \
                       "torch==2.2.2 | |"
    assert lines[3] == "| 2.3.1 (2.3.1) | torch-1.9 | not run | torch-2.6: incomplete |"


def test_file_contradicting_its_name(tmp_path):
    """A file whose profile or release is not the one its name says is refused."""
    write(tmp_path, "torch-2.9.1.torch-2.6.json", results("torch-2.10", "2.9.1", PASSING))
    with pytest.raises(ValueError, match="run under torch-2.10"):
        release_table.table(str(tmp_path))
    write(tmp_path, "torch-2.9.1.torch-2.6.json", results("torch-2.6", "2.8.0", PASSING))
    with pytest.raises(ValueError, match="candidate is pytorch 2.8.0"):
        release_table.table(str(tmp_path))


def test_check_and_update(tmp_path, monkeypatch):
    """check fails on a section that differs from the files and passes after update (on a copy of the document)."""
    document = tmp_path / "CONFORMANCE.md"
    document.write_text(f"intro\n{release_table.BEGIN}\n| stale |\n{release_table.END}\nrest\n", encoding="utf-8")
    monkeypatch.setattr(release_table, "CONFORMANCE", str(document))
    folder = tmp_path / "releases"
    folder.mkdir()
    write(folder, "torch-2.9.1.torch-2.6.json", results("torch-2.6", "2.9.1", PASSING))
    assert release_table.main(["release_table.py", "check", str(folder)]) == 1
    assert release_table.main(["release_table.py", "update", str(folder)]) == 0
    assert release_table.main(["release_table.py", "check", str(folder)]) == 0
    text = document.read_text(encoding="utf-8")
    assert text.startswith("intro\n") and text.endswith(f"{release_table.END}\nrest\n")
    assert "| 2.9.1 (2.9.1) | torch-2.6 | conformant | not run |" in text


def test_undeclared_dtypes_are_named(tmp_path):
    """A release whose adapter left a dtype out of its hello (torch 2.0 has no CPU float16 clamp) says so in its
    cells: its verdict holds without that dtype's cases."""
    without_half = results("torch-1.9", "2.0.1+cu117", PASSING)
    without_half["candidate"]["dtypes"] = ["bfloat16", "float32", "float64"]
    write(tmp_path, "torch-2.0.1.torch-1.9.json", without_half)
    row = release_table.table(str(tmp_path)).splitlines()[2]
    assert row == ("| 2.0.1 (2.0.1+cu117) | torch-1.9 | conformant (without float16: not declared, its cases "
                   "skipped) | not run |")


def test_a_check_not_run_is_not_conformant():
    """A check that judged no case (status "skipped") proves nothing: the verdict is not conformant, as gnll's."""
    assert release_table.verdict(results("torch-2.10", "2.15.0", PASSING)) == "conformant"
    not_run = results("torch-2.10", "2.15.0", PASSING + [("property.scalar_var.equals_filled_tensor", "skipped")])
    assert release_table.verdict(not_run) == "not conformant"
