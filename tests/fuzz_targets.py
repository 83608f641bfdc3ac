"""The fuzzing targets both fuzzers share: the seeds (valid inputs to mutate), the entry points
(every source reader with the parser, the decoders, the configuration loader) and the property
they must keep — a value, or InputError/UndecidedError with a one-line reason naming the file,
never another exception, within a budget. `test_fuzz_entry_points.py` drives them with
hypothesis (bounded in CI); `atheris_fuzz.py` with atheris's coverage-guided mutator (on demand).
"""

from __future__ import annotations

import time
from pathlib import Path

from policy_guard.document.read import decode_file
from policy_guard.encode import budget
from policy_guard.errors import InputError, PolicyGuardError
from policy_guard.policy.parse import parse_policy
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


def clear(error: PolicyGuardError, name: str) -> None:
    """A one-line reason that names the file."""
    text = str(error)
    assert "\n" not in text, text
    if isinstance(error, InputError):
        assert error.filename == name or name in text, text


def read_target(raw: bytes, name: str) -> None:
    """Every source reader, then the parser on what it found: a value or a clear error, within
    the budget."""
    started = time.monotonic()
    try:
        with budget.limit(EACH_EXAMPLE, "the fuzzing budget"):
            for policy in read_policies(raw, name):
                if policy.problem is None and policy.document is not None:
                    parse_policy(policy.document, policy.policy_type)
    except PolicyGuardError as error:
        clear(error, name)
    assert time.monotonic() - started < EACH_EXAMPLE + 2


def decode_target(raw: bytes, name: str) -> None:
    """The JSON/YAML decoder: a refusal names a line within the input; whatever decodes, the
    parser reads without an exception."""
    try:
        decoded = decode_file(raw, name)
    except InputError as error:
        clear(error, name)
        assert error.line is None or 1 <= error.line <= raw.count(b"\n") + 2
        return
    parse_policy(decoded)


def config_target(raw: bytes) -> None:
    """The configuration loader: a value or a clear error."""
    try:
        parse_config(raw.decode("utf-8"), ".policy-guard.yaml")
    except UnicodeDecodeError:
        return  # load_config refuses non-UTF-8 before parsing (tested in test_config)
    except PolicyGuardError as error:
        clear(error, ".policy-guard.yaml")
