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
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policy_guard.cli import main
from policy_guard.document.read import decode_file
from policy_guard.encode import budget
from policy_guard.errors import InputError, PolicyGuardError
from policy_guard.policy.parse import POLICY_KEYS, STATEMENT_KEYS, parse_policy
from policy_guard.sources import read_policies
from policy_guard.workflow.config import parse_config

ROOT = Path(__file__).resolve().parents[1]
SEEDS = {
    "identity.json": ROOT / "examples" / "identity-policy.json",
    "bucket.yaml": None,  # the bucket policy, as YAML (below)
    "template.yaml": ROOT
    / "tests"
    / "fixtures"
    / "cloudformation"
    / "S3"
    / "compliant-bucket.yaml",
    "template.json": ROOT
    / "tests"
    / "fixtures"
    / "cloudformation"
    / "S3"
    / "compliant-bucket.json",
    "main.tf": ROOT / "tests" / "fixtures" / "terraform" / "inline.tf",
    "plan.json": ROOT / "tests" / "fixtures" / "terraform" / "plan.json",
}
BUCKET_YAML = b"""\
Version: '2012-10-17'
Statement:
  - Effect: Allow
    Principal: {AWS: arn:aws:iam::111122223333:root}
    Action: [s3:GetObject, 's3:List*']
    Resource: 'arn:aws:s3:::bucket/*'
    Condition: {StringLike: {'aws:PrincipalTag/team': [data-*]}}
"""
CONFIG = (ROOT / "examples" / "policy-guard.yaml").read_bytes()
EACH_EXAMPLE = 10.0  # seconds: the budget one fuzzed input gets
INTERESTING = [
    b"",
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b":",
    b",",
    b"\n",
    b"\t",
    b"*",
    b"?",
    b"$",
    b"${",
    b"&a",
    b"*a",
    b"!Ref",
    b"!!binary",
    b"\x00",
    b"\xff",
    b"\xef\xbb\xbf",
    b"- ",
    b"#",
    b"'",
    b"\\u",
    b"1e9999",
    b"null",
    b"true",
    b"\r\n",
]


def seed(name: str) -> bytes:
    path = SEEDS[name]
    return BUCKET_YAML if path is None else path.read_bytes()


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


def clear(error: PolicyGuardError, name: str) -> None:
    """A one-line reason that names the file."""
    text = str(error)
    assert "\n" not in text, text
    if isinstance(error, InputError):
        assert error.filename == name or name in text, text


@pytest.mark.parametrize("name", list(SEEDS))
@given(data=st.data())
def test_every_reader_answers_mutated_input_with_a_value_or_a_clear_error(
    name: str, data: st.DataObject
) -> None:
    raw = data.draw(mutated(seed(name)))
    started = time.monotonic()
    try:
        with budget.limit(EACH_EXAMPLE, "the fuzzing budget"):
            found = read_policies(raw, name)
            for policy in found:
                if policy.problem is None and policy.document is not None:
                    parse_policy(policy.document, policy.policy_type)
    except PolicyGuardError as error:
        clear(error, name)
    assert time.monotonic() - started < EACH_EXAMPLE + 2


@pytest.mark.parametrize("name", ["identity.json", "bucket.yaml"])
@given(data=st.data())
def test_the_decoders_give_the_line_of_what_they_refuse(name: str, data: st.DataObject) -> None:
    raw = data.draw(mutated(seed(name)))
    try:
        decoded = decode_file(raw, name)
    except InputError as error:
        clear(error, name)
        assert error.line is None or 1 <= error.line <= raw.count(b"\n") + 2
        return
    parse_policy(decoded)  # whatever decodes, the parser reads without an exception


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
    raw = data.draw(mutated(CONFIG))
    try:
        parse_config(raw.decode("utf-8"), ".policy-guard.yaml")
    except UnicodeDecodeError:
        return  # load_config refuses non-UTF-8 before parsing (tested in test_config)
    except PolicyGuardError as error:
        clear(error, ".policy-guard.yaml")


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
