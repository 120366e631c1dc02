#!/usr/bin/env python3
"""The results matrix of CONFORMANCE.md: implementations × check categories, from `gnll verify` results files.

Usage:
  Tools/results_matrix.py render [RESULTS.json ...]        print the Markdown table (default: Tools/results/*.json)
  Tools/results_matrix.py update                            rewrite the section between the markers in CONFORMANCE.md
  Tools/results_matrix.py check FRESH_DIR                   compare the rows of the results in FRESH_DIR with the
                                                            committed section (exit 1 when a row differs)

Each results file is named after its entry (Tools/results/NAME.json); Tools/update_results.sh produces them.
Only the standard library is used.
"""
import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFORMANCE = os.path.join(ROOT, "CONFORMANCE.md")
BEGIN = "<!-- BEGIN results matrix (generated: Tools/update_results.sh) -->"
END = "<!-- END results matrix -->"
CATEGORIES = ["golden", "random", "broadcast", "eps", "gradient", "reduction", "full", "symmetry", "dtype",
              "errors", "scalar_var", "higher_order"]


def load(path):
    """A results file, with its entry name."""
    with open(path, encoding="utf-8") as handle:
        return os.path.splitext(os.path.basename(path))[0], json.load(handle)


def cell(checks):
    """One category of one implementation: ✓ passed, ✗ failed/total, or – when every check was skipped."""
    if not checks:
        return " "
    failed = sum(1 for c in checks if c["status"] in ("failed", "error"))
    passed = sum(1 for c in checks if c["status"] == "passed")
    if failed:
        return f"✗ {failed}/{len(checks)}"
    if passed == 0:
        return "– skipped"
    skipped = len(checks) - passed
    return f"✓ {passed}" + (f" (+{skipped} skipped)" if skipped else "")


def row(name, results):
    """The Markdown row of one results file."""
    candidate = results["candidate"]
    summary = results["summary"]
    # A check that judged no case (status "skipped": not run) proves nothing (CONFORMANCE.md §6).
    clean = summary["failed"] == 0 and summary["errors"] == 0 and summary["skipped"] == 0
    verdict = "conformant" if clean and not results["incomplete"] else "not conformant"
    by_category = {}
    for check in results["checks"]:
        by_category.setdefault(check["category"], []).append(check)
    cells = [cell(by_category.get(category, [])) for category in CATEGORIES]
    # Some adapters' versions already start with their name ("torchax 0.0.13, jax 0.10.2"): said once.
    version = candidate["version"]
    described = version if version.startswith(candidate["name"] + " ") else f"{candidate['name']} {version}"
    label = f"{name} ({described})"
    return "| " + " | ".join([label, results["profile"], verdict] + cells) + " |"


def table(files):
    """The whole table."""
    header = "| implementation | profile | verdict | " + " | ".join(CATEGORIES) + " |"
    rule = "|---|---|---|" + "---|" * len(CATEGORIES)
    return "\n".join([header, rule] + [row(*load(path)) for path in files])


def section_rows():
    """The rows of the committed section, by entry name."""
    with open(CONFORMANCE, encoding="utf-8") as handle:
        text = handle.read()
    body = text[text.index(BEGIN) + len(BEGIN):text.index(END)]
    rows = {}
    for line in body.splitlines():
        if line.startswith("| ") and not line.startswith("| implementation"):
            rows[line[2:].split(" (")[0]] = line
    return rows


def main(argv):
    """Dispatch the subcommands."""
    if len(argv) < 2 or argv[1] not in ("render", "update", "check"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    committed = sorted(glob.glob(os.path.join(ROOT, "Tools", "results", "*.json")))
    if argv[1] == "render":
        print(table(argv[2:] or committed))
        return 0
    if argv[1] == "update":
        with open(CONFORMANCE, encoding="utf-8") as handle:
            text = handle.read()
        start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
        updated = text[:start] + "\n" + table(committed) + "\n" + text[end:]
        temporary = CONFORMANCE + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(updated)
        os.replace(temporary, CONFORMANCE)
        return 0
    rows = section_rows()
    differences = 0
    fresh = sorted(glob.glob(os.path.join(argv[2], "*.json")))
    for path in fresh:
        name, results = load(path)
        line = row(name, results)
        if rows.get(name) != line:
            differences += 1
            print(f"stale row for {name}:\n  committed: {rows.get(name)}\n  this run:  {line}")
    print(f"{len(fresh) - differences} passed, {differences} failed")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
