#!/usr/bin/env python3
"""The release table of CONFORMANCE.md: every PyTorch release run against its profile and the neighbouring ones.

Usage:
  Tools/release_table.py render [DIR]    print the Markdown table (default DIR: Tools/results/releases)
  Tools/release_table.py update [DIR]    rewrite the section between the markers in CONFORMANCE.md
  Tools/release_table.py check [DIR]     exit 1 when the committed section differs from what DIR's files give

DIR holds what Tools/sweep_releases.sh writes: `torch-X.Y.Z.PROFILE.json` (a `gnll verify --json` results file of
release X.Y.Z under PROFILE) and `torch-X.Y.Z.install-error.txt` (pip's error for a release that did not
install). Each release gets a row: the profile the suite assigns it (ASSIGNED, as in CONFORMANCE.md §1 and
torch_candidate.default_profile), the verdict under it, and under every other profile it was run with, the verdict
and the ids of the failing checks; a release that declares fewer dtypes than the suite knows is marked with
them. The version-to-profile map is gnll_common's (Tools/candidates), the one the torch adapter uses.
"""
import glob
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tools", "candidates"))
from gnll_common import PROFILES, profile_for  # noqa: E402
CONFORMANCE = os.path.join(ROOT, "CONFORMANCE.md")
RELEASES = os.path.join(ROOT, "Tools", "results", "releases")
BEGIN = "<!-- BEGIN release table (generated: Tools/release_table.py) -->"
END = "<!-- END release table -->"
# Every dtype the protocol has: a candidate that declares fewer gets its row marked.
ALL_DTYPES = ("float16", "bfloat16", "float32", "float64")
RESULTS_NAME = re.compile(r"^torch-(\d+\.\d+\.\d+)\.(torch-\d+\.\d+)\.json$")
ERROR_NAME = re.compile(r"^torch-(\d+\.\d+\.\d+)\.install-error\.txt$")


def version_key(release):
    """A release's sort key: its numbers."""
    return tuple(int(part) for part in release.split("."))


def assigned(release):
    """The profile the suite assigns a release."""
    return profile_for(release)


def verdict(results):
    """conformant, not conformant, or incomplete, as gnll verify decides it."""
    summary = results["summary"]
    if results.get("incomplete"):
        return "incomplete"
    # A check that judged no case (status "skipped": not run) proves nothing (CONFORMANCE.md §6).
    clean = summary["failed"] == 0 and summary["errors"] == 0 and summary["skipped"] == 0
    return "conformant" if clean else "not conformant"


def failing(results):
    """The ids of the checks that failed or ended in an error, in the results' order."""
    return [check["id"] for check in results["checks"] if check["status"] in ("failed", "error")]


def collect(directory):
    """({release: {profile: results}}, {release: first line of pip's error}) from a results folder; a file whose
    contents disagree with its name (profile, seed, budget) is an error."""
    runs, errors = {}, {}
    for path in sorted(glob.glob(os.path.join(directory, "torch-*"))):
        name = os.path.basename(path)
        match = RESULTS_NAME.match(name)
        if match:
            release, profile = match.groups()
            with open(path, encoding="utf-8") as handle:
                results = json.load(handle)
            if results["profile"] != profile:
                raise ValueError(f"{name}: run under {results['profile']}, not {profile}")
            if not results["candidate"]["version"].startswith(release):
                raise ValueError(f"{name}: the candidate is pytorch {results['candidate']['version']}")
            if results["seed"] != 1 or results["budget"] != "default":
                raise ValueError(f"{name}: seed {results['seed']}, budget {results['budget']} (not 1, default)")
            runs.setdefault(release, {})[profile] = results
            continue
        match = ERROR_NAME.match(name)
        if match:
            with open(path, encoding="utf-8") as handle:
                lines = [line.strip() for line in handle if line.strip() and not line.startswith("#")]
            # pip's last ERROR line says why (make_venv.sh's own closing line comes after it).
            pip_errors = [line for line in lines if line.startswith("ERROR:")]
            errors[match.group(1)] = (pip_errors or lines or ["(no pip output)"])[-1]
    return runs, errors


def outcome(results):
    """One cell: the verdict, with the dtypes the candidate did not declare and the failing check ids."""
    ids = failing(results)
    text = verdict(results)
    missing = [dtype for dtype in ALL_DTYPES if dtype not in results["candidate"].get("dtypes", ALL_DTYPES)]
    if missing:
        text += f" (without {', '.join(missing)}: not declared, its cases skipped)"
    if ids:
        text += f" ({len(ids)} of {len(results['checks'])} fail: " + ", ".join(f"`{i}`" for i in ids) + ")"
    return text


def table(directory):
    """The whole table."""
    runs, errors = collect(directory)
    header = "| release | profile | verdict under it | under the neighbouring profiles |"
    lines = [header, "|---|---|---|---|"]
    for release in sorted(set(runs) | set(errors), key=version_key):
        profile = assigned(release)
        if release in errors and release not in runs:
            lines.append(f"| {release} | {profile} | did not install: {errors[release].replace('|', '/')} | |")
            continue
        by_profile = runs[release]
        version = next(iter(by_profile.values()))["candidate"]["version"]
        own = outcome(by_profile[profile]) if profile in by_profile else "not run"
        others = [f"{name}: {outcome(by_profile[name])}" for name in PROFILES
                  if name in by_profile and name != profile]
        lines.append(f"| {release} ({version}) | {profile} | {own} | {'; '.join(others) or 'not run'} |")
    return "\n".join(lines)


def section(text):
    """(start, end) of the generated part of CONFORMANCE.md."""
    return text.index(BEGIN) + len(BEGIN), text.index(END)


def main(argv):
    """Dispatch the subcommands."""
    if len(argv) < 2 or argv[1] not in ("render", "update", "check"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    directory = argv[2] if len(argv) > 2 else RELEASES
    generated = table(directory)
    if argv[1] == "render":
        print(generated)
        return 0
    with open(CONFORMANCE, encoding="utf-8") as handle:
        text = handle.read()
    start, end = section(text)
    if argv[1] == "update":
        temporary = CONFORMANCE + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text[:start] + "\n" + generated + "\n" + text[end:])
        os.replace(temporary, CONFORMANCE)
        return 0
    committed = text[start:end].strip("\n")
    if committed == generated:
        print(f"release table: current ({len(generated.splitlines()) - 2} rows)")
        return 0
    committed_rows, generated_rows = committed.splitlines(), generated.splitlines()
    for line in generated_rows:
        if line not in committed_rows:
            print(f"release table: missing or stale row, the results give:\n  {line}")
    for line in committed_rows:
        if line not in generated_rows:
            print(f"release table: row no results file gives:\n  {line}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
