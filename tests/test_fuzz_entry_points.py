"""Fuzzing the entry points with hypothesis: the JSON and YAML decoders, the policy parser, the
configuration loader, every source reader (policy files, CloudFormation templates, Terraform
HCL and plans) and the command line.

The property everywhere: a clear result — a value, or InputError/UndecidedError with a
one-line reason naming the file (and its line where the input has lines) — never another
exception, and within a budget. Inputs are valid seeds mutated at random positions (bytes
inserted, deleted or replaced), so the fuzzer gets past the first byte. The `ci` profile keeps
this bounded (derandomized); `HYPOTHESIS_PROFILE=long` runs 5,000 examples per entry point.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout

import pytest
from fuzz_targets import (
    CONFIG,
    EACH_EXAMPLE,
    INTERESTING,
    SEEDS,
    config_target,
    decode_target,
    read_target,
    seed,
)
from hypothesis import given
from hypothesis import strategies as st

from policy_guard.cli import main
from policy_guard.document.read import decode_file
from policy_guard.encode import budget
from policy_guard.policy.parse import POLICY_KEYS, STATEMENT_KEYS, parse_policy


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """`original` with a few edits at random positions."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        cut = draw(st.integers(0, 8))
        insert = draw(st.sampled_from(INTERESTING) | st.binary(max_size=6))
        data[at : at + cut] = insert
    return bytes(data)


@pytest.mark.parametrize("name", list(SEEDS))
@given(data=st.data())
def test_every_reader_answers_mutated_input_with_a_value_or_a_clear_error(
    name: str, data: st.DataObject
) -> None:
    read_target(data.draw(mutated(seed(name))), name)


@pytest.mark.parametrize("name", ["identity.json", "bucket.yaml"])
@given(data=st.data())
def test_the_decoders_give_the_line_of_what_they_refuse(name: str, data: st.DataObject) -> None:
    decode_target(data.draw(mutated(seed(name))), name)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
ELEMENTS = [*POLICY_KEYS, *STATEMENT_KEYS, "AWS", "Service"]


@given(
    statements=st.lists(
        st.dictionaries(st.sampled_from(ELEMENTS), JSON_VALUES | st.sampled_from(["*", "Allow"])),
        max_size=3,
    )
)
def test_the_parser_reads_any_json_shaped_policy(statements: list[object]) -> None:
    document = {"Version": "2012-10-17", "Statement": statements}
    decoded = decode_file(json.dumps(document).encode(), "p.json")
    parsed = parse_policy(decoded)
    assert parsed.policy is not None or parsed.errors


@given(data=st.data())
def test_the_configuration_loader_answers_mutated_configurations(data: st.DataObject) -> None:
    config_target(data.draw(mutated(CONFIG)))


COMMANDS = [
    "check-no-new-access",
    "check-access-not-granted",
    "check-no-public-access",
    "check-no-external-access",
    "validate-policy",
    "simulate",
    "--all",
    "--base",
]
OPTIONS = [
    "--policy-document",
    "--existing-policy-document",
    "--new-policy-document",
    "--access",
    "--resource-type",
    "--trusted-account",
    "--action",
    "--resource",
    "--principal",
    "--context",
    "--timeout",
    "--solver",
    "--output",
    "--policy-type",
    "--jobs",
    "--file-timeout",
    "--format",
    "--help",
    "-h",
    "--version",
]


@given(
    argv=st.lists(
        st.sampled_from(COMMANDS + OPTIONS)
        | st.sampled_from(["POLICY", "-", "0", "-1", "nan", "z3", "json", "{}", "s3:*", "x=y"])
        | st.text(max_size=6),
        max_size=7,
    )
)
def test_the_command_line_answers_any_arguments_with_an_exit_code(
    argv: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """0, 1 or 2 (or argparse's own exit for --help), one line on standard error, never a
    traceback; run in an empty folder outside any repository, standard input empty."""
    folder = tmp_path_factory.mktemp("cli")
    policy = folder / "policy.json"
    policy.write_bytes(seed("identity.json"))
    argv = [str(policy) if a == "POLICY" else a for a in argv]
    if (argv and argv[0] in ("--all", "--base")) or not argv or argv[0] not in COMMANDS:
        argv = ["validate-policy", *argv]  # the workflow needs a repository: tested elsewhere
    out, err = io.StringIO(), io.StringIO()
    import sys

    stdin = sys.stdin
    sys.stdin = io.StringIO("")
    try:
        with redirect_stdout(out), redirect_stderr(err), budget.limit(EACH_EXAMPLE, "fuzzing"):
            code = main(argv)
    except SystemExit as done:  # --help and --version print and exit 0
        code = done.code if isinstance(done.code, int) else 2
    finally:
        sys.stdin = stdin
    assert code in (0, 1, 2), (argv, err.getvalue())
    assert "internal error" not in err.getvalue() and "Traceback" not in err.getvalue()
    if code == 2:
        assert len(err.getvalue().strip().splitlines()) <= 1, err.getvalue()
