"""Memory budget: a process that checks may map at most MEMORY_CAP_MB more address space than
it had when the cap was set (RLIMIT_AS).

Every run gets it: a single command and the workflow in the policy-guard process (`cap`,
put back on exit, so a caller that runs `cli.main` in its own process keeps its limit), and
each `--jobs` worker from its start (`cap_this_process`). Past the cap an allocation fails:
Python's and cvc5's as a MemoryError, z3's as its own out-of-memory error (it has its own
2,048 MB cap as well, `solver.SOLVER_MEMORY_MB`). A command reports it undecided, out of
memory; the workflow marks the file undecided; a worker that dies leaves its files undecided
(the runner). Never a pass.

The cap is relative to what the process already maps (a forked worker starts with its parent's
pages; a test process has grown), and absolute where the size is unknown. Where the system
does not enforce RLIMIT_AS (macOS accepts it and ignores it; Windows has no `resource`) the
bounds left are the solvers' own and the engine's size limits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

MEMORY_CAP_MB = 4096
"""Address space a check may add (z3's 2,048 MB and the rest of a check, with room to spare):
the largest input of the hostile catalogue that is decided peaks at 300 MB."""


def out_of_memory() -> str:
    """The reason a check past the cap is undecided."""
    return f"out of memory (the cap is {MEMORY_CAP_MB:,} MB per check)"


def _mapped_bytes() -> int:
    """The address space this process maps now (Linux), 0 where unknown."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    import resource

    return pages * resource.getpagesize()


def _set_cap() -> tuple[int, int] | None:
    """Lower the soft RLIMIT_AS to what the process maps plus MEMORY_CAP_MB; the previous
    (soft, hard) limits, or None when nothing was changed."""
    try:
        import resource
    except ImportError:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = _mapped_bytes() + MEMORY_CAP_MB * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft <= wanted:
        return None  # already as low
    try:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (ValueError, OSError):
        return None
    return soft, hard


@contextmanager
def cap() -> Iterator[None]:
    """The code inside may map MEMORY_CAP_MB more address space; the previous
    limit is put back on exit (raising a soft limit back up to the hard one needs no
    privilege)."""
    previous = _set_cap()
    try:
        yield
    finally:
        if previous is not None:
            import resource

            with suppress(ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_AS, previous)


def cap_this_process() -> None:
    """The cap (MEMORY_CAP_MB) for the rest of this process's life: a sweep worker's start
    (`initializer`)."""
    _set_cap()
