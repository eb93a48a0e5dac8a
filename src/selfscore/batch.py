"""Check many workbooks at once: find the files, check them in parallel processes, never stop on one bad file."""

from __future__ import annotations

import gc
import glob
import math
import os
import re
import resource
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from selfscore.results.file_names import checked_name
from selfscore.results.findings import make_finding
from selfscore.results.report import Report
from selfscore.tables.steps import DEFAULT_STEPS
from selfscore.write.copies import KeptFile, reason_to_keep

if TYPE_CHECKING:
    from concurrent.futures import Future

    from selfscore.tables.steps import StepReading

#: our own outputs (x.checked.xlsx, x.checked-2.xlsx) and Excel's lock files (~$x.xlsx) are never inputs
_OUTPUT = re.compile(r"\.checked(-\d+)?\.xlsx$", re.IGNORECASE)
_GLOB_MAGIC = re.compile(r"[*?[]")
#: workbooks checked per task at most. Validation costs about the same for one workbook as for a frame of
#: many, so larger chunks amortise it (per workbook: 1 → 17 ms, 32 → 1 ms, 128 → 0.3 ms), at the price of
#: holding the chunk's workbooks in memory until they are validated, and a coarser progress bar.
MAX_CHUNK = 128
#: and at most this many bytes of files per task (a larger file is a task of its own), so that a chunk of large
#: workbooks holds no more in memory than a few of them
CHUNK_BYTES = 4 * 1024 * 1024
#: the report-only path lets each workbook go once it is read (what it keeps is its values), so its chunks are
#: larger, and not held to CHUNK_BYTES
REPORT_CHUNK = 1024


class InputError(ValueError):
    """A command-line argument names nothing to check; the message is for the reviewer, in Chinese."""


@dataclass(frozen=True)
class BatchInput:
    path: Path
    #: how reports and the summary name the file: its path below the directory or glob it was found in
    name: str
    #: where its marked-up copy goes
    target: Path
    #: files found at the copy's first names that were kept, because a person changed them or they are not its copies
    kept: tuple[KeptFile, ...] = ()


@dataclass
class BatchItem:
    input: BatchInput
    report: Report
    #: the marked-up copy written, or None when the file could not be read
    marked_up: Path | None
    #: peak resident memory of the process that checked it, in KiB (for the benchmark)
    peak_rss_kib: int = 0


def marked_up_path(source: Path, directory: Path | None) -> Path:
    """Where the marked-up copy of ``source`` goes: <name>.checked.xlsx, never over the source itself."""
    target = (directory or source.parent) / checked_name(source.name)
    stem = target.name[: -len(".checked.xlsx")]
    number = 2
    while target.resolve() == source.resolve():
        target = target.with_name(f"{stem}.checked-{number}.xlsx")
        number += 1
    return target


#: what a directory scan or a glob picks up: workbooks selfscore can read (.xls/.ods via calamine)
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".et", ".ods", ".xltx", ".xltm", ".xlt", ".ett", ".ots")


def is_candidate(path: Path) -> bool:
    """Whether a file found in a directory or by a glob is a workbook to check."""
    name = path.name
    return (path.is_file() and name.lower().endswith(WORKBOOK_SUFFIXES) and not name.startswith("~$")
            and not _OUTPUT.search(name))


def _glob_root(pattern: str) -> Path:
    """The fixed directory part of a glob, which found files are named relative to."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts:
        if _GLOB_MAGIC.search(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")


def collect_inputs(arguments: Sequence[str | Path], directory: Path | None = None,
                   exclude: Sequence[Path] = (), *, copies: bool = True) -> list[BatchInput]:
    """Files, directories (searched recursively for *.xlsx, *.xls, *.ods) and globs → the workbooks to check, in order.

    A file named explicitly is always checked (even a marked-up copy); directories and globs skip
    our own *.checked*.xlsx outputs, Excel lock files (~$*.xlsx) and the paths in ``exclude``.
    With ``directory``, copies of files found below a directory or glob keep their sub-folders.
    A file already at a copy's name is replaced only when it is an unchanged copy of the same input
    (``reason_to_keep``); ``copies=False`` (no copies will be written) does not look.
    """
    excluded = {path.resolve() for path in exclude}
    found: list[tuple[Path, Path | None]] = []  # (file, the root it was found under)
    for argument in arguments:
        text = str(argument)
        path = Path(text)
        if path.is_file():
            found.append((path, None))
        elif path.is_dir():
            files = sorted(p for p in path.rglob("*") if is_candidate(p))
            if not files:
                raise InputError(f"目录「{text}」（含子目录）中没有 .xlsx、.xls 或 .ods 文件")
            found += [(file, path) for file in files]
        elif _GLOB_MAGIC.search(text):
            files = sorted(Path(p) for p in glob.glob(text, recursive=True) if is_candidate(Path(p)))
            if not files:
                raise InputError(f"没有与「{text}」匹配的 .xlsx、.xls 或 .ods 文件")
            found += [(file, _glob_root(text)) for file in files]
        else:
            raise InputError(f"找不到文件或目录「{text}」")

    inputs: list[BatchInput] = []
    seen: set[Path] = set()
    sources = {file.resolve() for file, _ in found}
    targets: set[Path] = set()
    for file, root in found:
        resolved = file.resolve()
        if resolved in seen or (root is not None and resolved in excluded):
            continue
        seen.add(resolved)
        relative = file.relative_to(root) if root is not None else Path(file.name)
        target_dir = directory / relative.parent if directory is not None and root is not None else directory
        target = marked_up_path(file, target_dir)
        kept: list[KeptFile] = []
        # Two inputs with the same name (from different folders) must not share a copy, a copy must never
        # land on another input, and never on a file a person changed or that is not a copy of this input.
        while True:
            if target.resolve() not in targets and target.resolve() not in sources:
                reason = reason_to_keep(target, file.name) if copies else None
                if reason is None:
                    break
                kept.append(KeptFile(target, reason))
            target = _next_name(target)
        targets.add(target.resolve())
        inputs.append(BatchInput(file, relative.as_posix(), target, tuple(kept)))
    return inputs


def _next_name(target: Path) -> Path:
    """x.checked.xlsx → x.checked-2.xlsx → x.checked-3.xlsx …"""
    number = _OUTPUT.search(target.name).group(1)  # type: ignore[union-attr]
    return target.with_name(f"{_OUTPUT.sub('', target.name)}.checked-{int(number[1:]) + 1 if number else 2}.xlsx")


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def check_batch(inputs: Sequence[BatchInput], *, steps: StepReading = DEFAULT_STEPS, jobs: int | None = None,
                on_done: Callable[[BatchItem], None] | None = None, markup: bool = True) -> list[BatchItem]:
    """Check every input and write its marked-up copy; the items come back in input order.

    ``markup=False`` writes no copies and takes the report-only path (the same reports, sooner).

    ``jobs`` worker processes (default: the number of CPUs); ``jobs=1`` checks in this process.
    A file that cannot be read, or whose check fails, or whose worker process dies, becomes an
    ``unreadable`` report; the rest of the batch goes on.
    """
    jobs = max(1, jobs or default_jobs())
    # Several chunks per worker, so that one slow chunk does not leave the other workers idle at the end.
    most = MAX_CHUNK if markup else REPORT_CHUNK
    chunk = most if jobs == 1 else max(1, min(most, math.ceil(len(inputs) / (jobs * 4))))
    chunks = _chunks(inputs, chunk, CHUNK_BYTES if markup else None)
    results: dict[int, BatchItem] = {}

    def done(index: int, item: BatchItem) -> None:
        results[index] = item
        if on_done is not None:
            on_done(item)

    if jobs == 1 or len(chunks) <= 1:
        _settle()
        for indices in chunks:
            for index, item in zip(indices, _check_chunk([inputs[i] for i in indices], steps, markup), strict=True):
                done(index, item)
    else:
        _run_in_processes(inputs, chunks, steps, min(jobs, len(chunks)), done, markup)
    return [results[index] for index in range(len(inputs))]


def _chunks(inputs: Sequence[BatchInput], most: int, budget: int | None) -> list[list[int]]:
    """The inputs' indices in order, cut into chunks of at most ``most`` files and ``budget`` bytes (if any)."""
    chunks: list[list[int]] = []
    current: list[int] = []
    size = 0
    for index, batch_input in enumerate(inputs):
        try:
            file_size = batch_input.path.stat().st_size if budget is not None else 0
        except OSError:  # the check says what is wrong with it
            file_size = 0
        if current and (len(current) == most or (budget is not None and size + file_size > budget)):
            chunks.append(current)
            current, size = [], 0
        current.append(index)
        size += file_size
    if current:
        chunks.append(current)
    return chunks


# --- in the worker ------------------------------------------------------------------------------

_started = None  # shared array: 1 while a worker checks chunk i, 2 when it is done


def _init_worker(started) -> None:
    global _started
    _started = started
    # Warm the imports once per worker rather than inside the first task.
    _settle()


_settled = False


def _settle() -> None:
    """The checker's modules imported, and what they made at import moved out of the garbage collector's way.

    A check makes and drops many small objects, so the collector runs often, and each full collection walked every
    object pandas, pandera and openpyxl leave behind at import: about a tenth of a report-only check. ``gc.freeze``
    moves what is alive now into a permanent generation that collections skip; what checks make is collected as
    ever. Once per process."""
    global _settled
    if _settled:
        return
    import selfscore.checking  # noqa: F401
    import selfscore.write.markup  # noqa: F401

    gc.freeze()
    _settled = True


def _run_chunk(chunk_index: int, inputs: list[BatchInput], steps: StepReading, markup: bool = True) -> list[BatchItem]:
    if _started is not None:
        _started[chunk_index] = 1
    items = _check_chunk(inputs, steps, markup)
    if _started is not None:
        _started[chunk_index] = 2
    return items


def _check_chunk(inputs: list[BatchInput], steps: StepReading, markup: bool = True) -> list[BatchItem]:
    """Check the chunk's files (the check never raises: a file it fails on is that file's unreadable report) and
    write each marked-up copy."""
    from selfscore.checking import check_files

    checked = check_files([item.path for item in inputs], names=[item.name for item in inputs],
                          steps=steps, markup=markup)
    items = []
    for batch_input, (report, marked_up) in zip(inputs, checked, strict=True):
        try:
            items.append(BatchItem(batch_input, report, _write(batch_input, marked_up), _peak_rss()))
        except Exception as error:  # one file's failure is that file's row, never the batch's end
            items.append(_failed(batch_input, steps, f"{type(error).__name__}：{error}"[:200]))
    return items


def _write(batch_input: BatchInput, marked_up: bytes | None) -> Path | None:
    """Write a marked-up copy where it goes; None when there is none."""
    if marked_up is None:
        return None
    batch_input.target.parent.mkdir(parents=True, exist_ok=True)
    batch_input.target.write_bytes(marked_up)
    return batch_input.target


def _failed(batch_input: BatchInput, steps: StepReading, reason: str) -> BatchItem:
    """A file whose copy could not be written, or whose worker process died: the checker failed on it."""
    report = Report.unreadable(batch_input.name, make_finding("check_failed", reason=reason), steps)
    return BatchItem(batch_input, report, None, _peak_rss())


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# --- in the parent ------------------------------------------------------------------------------

def _run_in_processes(inputs: Sequence[BatchInput], chunks: list[list[int]], steps: StepReading, jobs: int,
                      done: Callable[[int, BatchItem], None], markup: bool = True) -> None:
    """Run chunks in a process pool; when a worker dies, blame the chunks it had started and go on.

    A dead worker breaks the whole pool and fails every pending task with it, so the pool is
    rebuilt for the unfinished chunks; the chunks that were running at the time are re-run one file
    per process, which pins the crash on the file that causes it.
    """
    # Imported here: a one-file check never starts a pool, and start-up time counts there.
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pending = list(range(len(chunks)))
    while pending:
        started = multiprocessing.get_context().Array("b", len(chunks), lock=False)
        broken: list[int] = []
        with ProcessPoolExecutor(max_workers=min(jobs, len(pending)), initializer=_init_worker,
                                 initargs=(started,)) as pool:
            futures: dict[Future, int] = {
                pool.submit(_run_chunk, number, [inputs[i] for i in chunks[number]], steps, markup): number
                for number in pending
            }
            remaining = set(futures)
            while remaining:
                finished, remaining = wait(remaining, return_when=FIRST_COMPLETED)
                for future in finished:
                    number = futures[future]
                    try:
                        items = future.result()
                    except BrokenProcessPool:
                        broken.append(number)
                        continue
                    for index, item in zip(chunks[number], items, strict=True):
                        done(index, item)
        suspects = [number for number in broken if started[number] == 1] or broken
        pending = sorted(set(broken) - set(suspects))
        for number in suspects:
            for index in chunks[number]:
                done(index, _isolated(inputs[index], steps, markup))


def _isolated(batch_input: BatchInput, steps: StepReading, markup: bool = True) -> BatchItem:
    """Check one file in a process of its own, so that if it kills the process it kills only its own row."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(max_workers=1, initializer=_init_worker, initargs=(None,)) as pool:
        try:
            return pool.submit(_run_chunk, 0, [batch_input], steps, markup).result()[0]
        except BrokenProcessPool:
            return _failed(batch_input, steps, "校验进程意外退出")

