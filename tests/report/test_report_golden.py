"""Golden files for every reporter, from one hand-made report that covers the awkward cases.

Regenerate after an intended change with `POLICY_GUARD_REGEN_GOLDEN=1 python -m pytest -q
tests/report/test_report_golden.py`, then read the diff of tests/fixtures/report/golden/ by eye.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from policy_guard.checks.access_diff import AccessDiff, ActionChange, ActionChanges, StatementRef
from policy_guard.report import github, json_report, sarif, text
from policy_guard.semantics.request import Request
from policy_guard.workflow.results import (
    FileReport,
    Issue,
    Location,
    PolicyInFile,
    RunReport,
    Severity,
)

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "report" / "golden"
REGENERATE = bool(os.environ.get("POLICY_GUARD_REGEN_GOLDEN"))
TEST_VERSION = "0.0.0-test"

ADMIN = "policies/admin role.json"
TEMPLATE = "templates/stack,v1:prod.yaml"
ODD = "policies/naïve 100%.json"
CLEAN = "policies/clean.json"
CONFIG = ".policy-guard.yaml"

WRITE_REQUEST = Request(
    action="s3:DeleteBucket",
    resource="arn:aws:s3:::example-bucket",
    principal=None,
    context={"aws:SourceIp": ("203.0.113.7",), "aws:TagKeys": ("team", "cost-centre")},
)
PUBLIC_REQUEST = Request(
    action="s3:GetObject",
    resource="arn:aws:s3:::public-bucket/100%,a:b",
    principal="anonymous",
)

WRITE = StatementRef(1, "AllowWrite")
S3_WRITES = [
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketAcl",
    "s3:PutBucketCORS",
    "s3:PutBucketPolicy",
    "s3:PutBucketTagging",
    "s3:PutBucketVersioning",
    "s3:PutBucketWebsite",
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:PutObjectTagging",
]
ACCESS_DIFF = AccessDiff(
    gained=ActionChanges(
        (
            *(ActionChange(a, (WRITE,), WRITE_REQUEST) for a in S3_WRITES),
            ActionChange(
                "sqs:SendMessage",
                (WRITE,),
                WRITE_REQUEST,
                resources=("arn:aws:sqs:*:111122223333:queue-*",),
                conditions=("IpAddress aws:SourceIp: 203.0.113.0/24",),
            ),
            ActionChange("s3:futurex", (WRITE,), WRITE_REQUEST, False, ("s3:Future*",)),
        )
    ),
    lost=ActionChanges(
        (ActionChange("s3:GetObject", (StatementRef(0, None),), WRITE_REQUEST),),
        undecided="the solver timed out",
    ),
)
"""11 S3 actions (past the annotation cap), one limited by resource and condition, access outside
the catalogue, and an undecided loss."""


def sample_report() -> RunReport:
    """Several files: an error with a counterexample, a warning, a note, a waived issue, an
    undecided file, a file without issues, a renamed file; odd characters in paths and text."""
    admin = FileReport(
        path=ADMIN,
        status="modified",
        old_path=None,
        policies=(PolicyInFile("", "IDENTITY_POLICY", 1),),
        issues=(
            Issue(
                "no-new-access",
                Severity.ERROR,
                "action `s3:DeleteBucket` is newly allowed by statement 1 (`AllowWrite`)",
                Location(ADMIN, 12, 4, 12, 30),
                statement_index=1,
                statement_id="AllowWrite",
                counterexample=WRITE_REQUEST,
                aws_message="New access in the statement with index: 1.",
                access_diff=ACCESS_DIFF,
            ),
            Issue(
                "validation",
                Severity.WARNING,
                "MISSING_VERSION: add `Version: 2012-10-17` so that policy variables work",
                Location(ADMIN, 2, 2),
            ),
            Issue(
                "critical-permission",
                Severity.ERROR,
                "action `iam:PassRole` is allowed by statement 0",
                Location(ADMIN, 5, 4, 9, 5),
                statement_index=0,
                counterexample=Request("iam:PassRole", "arn:aws:iam::111122223333:role/ci"),
                waived_by="CI deploys roles; ticket SEC-42, until 2031-01-01",
            ),
        ),
    )
    template = FileReport(
        path=TEMPLATE,
        status="renamed",
        old_path="templates/old stack.yaml",
        policies=(
            PolicyInFile("Resources.Bucket.Properties.PolicyDocument", "RESOURCE_POLICY", 8),
            PolicyInFile("Resources.Role.Properties.Policies[0]", "IDENTITY_POLICY", 30),
        ),
        issues=(
            Issue(
                "public-access",
                Severity.ERROR,
                "statement 0 grants `s3:GetObject` to everyone: 100% public,\nno condition",
                Location(TEMPLATE, 14, 8),
                policy_id="Resources.Bucket.Properties.PolicyDocument",
                statement_index=0,
                statement_id="Public, Read: all",
                counterexample=PUBLIC_REQUEST,
            ),
            Issue(
                "validation",
                Severity.NOTE,
                "REDUNDANT_ACTION: `s3:Get*` already covers `s3:GetObject`",
                Location(TEMPLATE, 40, 10),
                policy_id="Resources.Role.Properties.Policies[0]",
                statement_index=2,
            ),
        ),
    )
    odd = FileReport(
        path=ODD,
        status="added",
        old_path=None,
        policies=(PolicyInFile("", "IDENTITY_POLICY", 1),),
        issues=(
            Issue(
                "undecided",
                Severity.ERROR,
                "condition operator `ForAnyValue:DateGreaterThanIfExists` on a multi-valued "
                "key is not supported",
                Location(ODD, 1, 0),
            ),
        ),
    )
    clean = FileReport(
        path=CLEAN,
        status="modified",
        old_path=None,
        policies=(PolicyInFile("", "IDENTITY_POLICY", 1),),
        issues=(),
    )
    config = FileReport(
        path=CONFIG,
        status="unchanged",
        old_path=None,
        policies=(),
        issues=(
            Issue(
                "expired-waiver",
                Severity.WARNING,
                "the waiver for `policies/legacy.json` expired on 2024-06-30",
                Location(CONFIG, 7, 4),
            ),
        ),
    )
    return RunReport(files=(admin, template, odd, clean, config), base="0123abcd")


RENDERINGS: dict[str, Callable[[RunReport], str]] = {
    "text.txt": lambda r: text.render_text(r),
    "text-color.txt": lambda r: text.render_text(r, color=True),
    "report.json": lambda r: json_report.render_json(r),
    "report.sarif": lambda r: sarif.render_sarif(r),
    "github.txt": lambda r: github.render_github(r),
    "summary.md": lambda r: github.render_step_summary(r),
}


@pytest.fixture
def pinned_version(monkeypatch: pytest.MonkeyPatch) -> None:
    """The golden files must not change with each release."""
    monkeypatch.setattr(json_report, "__version__", TEST_VERSION)
    monkeypatch.setattr(sarif, "__version__", TEST_VERSION)


@pytest.mark.usefixtures("pinned_version")
@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_rendering_matches_golden_file(name: str) -> None:
    rendered = RENDERINGS[name](sample_report())
    golden = GOLDEN / name
    if REGENERATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered, encoding="utf-8", newline="\n")
    assert golden.exists(), f"missing {golden.name}: run with POLICY_GUARD_REGEN_GOLDEN=1"
    assert rendered == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_rendering_is_deterministic(name: str) -> None:
    assert RENDERINGS[name](sample_report()) == RENDERINGS[name](sample_report())
