"""Per-file cost of `selfscore check` on every hostile-corpus case and every saved-file case: wall seconds, CPU
seconds and peak memory, each file in its own process, one at a time.

    .venv/bin/python benchmarks/files.py                 # both corpora (LibreOffice makes the saved-file formats)
    .venv/bin/python benchmarks/files.py --only corpus   # just the hostile corpus (tests/support/corpus.py)
    .venv/bin/python benchmarks/files.py --only saved    # just the saved files (tests/support/saved_files.py)

The tests (tests/read/test_hostile.py, tests/read/test_saved_files.py) assert each file's verdict and its memory
bound, never its time: a busy machine would fail them. The times are here, with the bounds they were once held to
(a hostile case within 30 s, a saved file within 10 s), to be read on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "sample_data")]

#: the bound each corpus's cases were once held to in its test
BOUNDS = {"corpus": 30.0, "saved": 10.0}


def cases(which: str) -> list:
    """One corpus's cases, those whose tools are missing left out."""
    from support import corpus, saved_files

    return [case for case in (corpus.CASES if which == "corpus" else saved_files.CASES) if case.available]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(which: str, directory: Path) -> list[tuple[str, float, float, float]]:
    from support.measured import run_measured

    rows = []
    for case in cases(which):
        path = case.build(directory / case.file_name)
        cpu = _children_cpu()
        _, _, _, seconds, megabytes = run_measured(["check", str(path), "-o", str(directory / f"{case.name}.out"), "-q"])
        rows.append((case.name, seconds, _children_cpu() - cpu, megabytes))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=tuple(BOUNDS), default=None, help="measure one corpus only")
    args = parser.parse_args()
    print(f"`python benchmarks/files.py{' --only ' + args.only if args.only else ''}` on {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}, Python {sys.version.split()[0]}")
    for which in [args.only] if args.only else list(BOUNDS):
        with tempfile.TemporaryDirectory(prefix=f"selfscore-files-{which}-") as temp:
            rows = measure(which, Path(temp))
        print()
        print(f"| {which} case | wall s | CPU s | peak MB | within {BOUNDS[which]:.0f} s |")
        print("|---|---:|---:|---:|---|")
        for name, seconds, cpu, megabytes in sorted(rows, key=lambda row: -row[1]):
            print(f"| {name} | {seconds:.2f} | {cpu:.2f} | {megabytes:.0f} | {'yes' if seconds < BOUNDS[which] else 'NO'} |")
        print(f"\n{len(rows)} files, {sum(row[1] for row in rows):.1f} s in all; slowest {max(row[1] for row in rows):.2f} s")


if __name__ == "__main__":
    main()
