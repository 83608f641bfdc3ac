"""Coverage-guided fuzzing of the entry points with atheris (on demand; not collected by pytest).

Run: `pip install -e '.[fuzz]'` (atheris ships wheels for Linux), then
`python tests/atheris_fuzz.py -atheris_runs=100000` or `-max_total_time=600`. The first byte
of each input picks the entry point (a source reader by file name, the decoder, or the
configuration loader), the rest is the file's bytes; the corpus starts from the seeds of
`fuzz_targets.py`, the same valid files the hypothesis fuzzer mutates. The property is theirs:
a value or a clear one-line error naming the file, never another exception, within the budget.
A failure prints the input and stops with atheris's crash report (the input saved as `crash-*`).
Every 10,000 inputs, the number per entry point.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from fuzz_targets import CONFIG, SEEDS, config_target, decode_target, read_target, seed

TARGETS = [*(("read", name) for name in SEEDS), ("decode", "identity.json"), ("config", "")]
RUNS: Counter[str] = Counter()


def one_input(data: bytes) -> None:
    if not data:
        return
    kind, name = TARGETS[data[0] % len(TARGETS)]
    raw = data[1:]
    RUNS[f"{kind} {name}".strip()] += 1
    if RUNS.total() % 10_000 == 0:  # atheris ends the process itself: say the counts as we go
        counts = ", ".join(f"{target} {count}" for target, count in sorted(RUNS.items()))
        print(f"inputs per entry point after {RUNS.total()}: {counts}", flush=True)
    if kind == "read":
        read_target(raw, name)
    elif kind == "decode":
        decode_target(raw, name)
    else:
        config_target(raw)


def corpus() -> str:
    """A folder with one seed per entry point, prefixed by its selector byte."""
    folder = Path(tempfile.mkdtemp(prefix="policy-guard-fuzz-"))
    for index, (kind, name) in enumerate(TARGETS):
        raw = CONFIG if kind == "config" else seed(name)
        (folder / f"seed-{index}").write_bytes(bytes([index]) + raw)
    return str(folder)


def main() -> None:
    atheris.Setup([*sys.argv, corpus()], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
