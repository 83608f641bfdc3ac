"""Real policies: AWS's managed policies and the IAM User Guide's examples parse, and AWS's own
managed policies validate without an ERROR.

The shared data set (../shared/data beside the repository) is used when it is present (its
sweeps are `slow`); small copies in tests/fixtures/validate/ and the sample of managed-policy
versions in tests/fixtures/managed-policies/ keep the essential cases running without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from policy_guard.checks.validation import validate_document
from policy_guard.document.read import read_document
from policy_guard.errors import InputError
from policy_guard.policy.parse import load_policy, parse_policy

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "validate"
SAMPLE = Path(__file__).parents[1] / "fixtures" / "managed-policies"  # see its NOTICE

DUPLICATE_KEY_EXAMPLES = {
    # the guide's deliberately wrong examples: each repeats one key in one object
    "troubleshoot_policies-9.json": ("Statement",),
    "troubleshoot_policies-11.json": ("Statement", "Effect"),
    "troubleshoot_policies-13.json": ("Statement", "Resource"),
}

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared data set not present")


def files(folder: Path, pattern: str) -> list[Path]:
    found = sorted(folder.glob(pattern))
    assert found, f"no {pattern} under {folder}"
    return found


def errors_of(path: Path) -> Iterator[str]:
    for finding in validate_document(read_document(str(path))).findings:
        if finding.is_error:
            yield f"{path.name}: {finding.issue_code} at {finding.path}: {finding.details}"


@pytest.mark.parametrize("name", sorted(DUPLICATE_KEY_EXAMPLES))
def test_duplicate_key_examples_are_rejected(name: str) -> None:
    folder = SHARED / "user-guide-examples" if SHARED.is_dir() else FIXTURES / "user-guide"
    document = read_document(str(folder / name))
    parsed = parse_policy(document)
    assert [(f.issue_code, f.path) for f in parsed.findings] == [
        ("DUPLICATE_KEY", DUPLICATE_KEY_EXAMPLES[name])
    ]
    with pytest.raises(InputError) as raised:
        load_policy(document)
    assert raised.value.filename == str(folder / name)
    assert raised.value.line == document.key_span_of(DUPLICATE_KEY_EXAMPLES[name]).line


@pytest.mark.parametrize(
    ("folder", "pattern"),
    [(FIXTURES / "managed-policies", "*.json"), (SAMPLE, "*/*.json")],
    ids=["validate-fixtures", "managed-policies-sample"],
)
def test_fixture_copies_of_managed_policies_validate_without_errors(
    folder: Path, pattern: str
) -> None:
    for path in files(folder, pattern):
        assert list(errors_of(path)) == []
        assert load_policy(read_document(str(path))).statements


@needs_shared
def test_every_user_guide_example_parses() -> None:
    broken = []
    for path in files(SHARED / "user-guide-examples", "*.json"):
        parsed = parse_policy(read_document(str(path)))
        problems = [(f.issue_code, f.path) for f in parsed.findings]
        if path.name in DUPLICATE_KEY_EXAMPLES:
            assert [code for code, _ in problems] == ["DUPLICATE_KEY"]
        elif problems or parsed.policy is None or not parsed.policy.statements:
            broken.append((path.name, problems))
    assert broken == []


@needs_shared
@pytest.mark.parametrize(
    "folder",
    # every stored version (666 documents, 20 MB): 5-10 s; the latest of each (1,541): 2-5 s
    [
        pytest.param("managed-policies", marks=pytest.mark.slow),
        pytest.param("managed-policies-latest", marks=pytest.mark.slow),
    ],
)
def test_aws_managed_policies_parse_and_validate_without_errors(folder: str) -> None:
    pattern = "*/*.json" if folder == "managed-policies" else "*.json"
    paths = files(SHARED / folder, pattern)
    errors = [error for path in paths for error in errors_of(path)]
    assert errors == []
    for path in paths[:: max(1, len(paths) // 50)]:
        assert load_policy(read_document(str(path))).statements
