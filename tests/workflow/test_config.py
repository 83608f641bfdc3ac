"""`.policy-guard.yaml`: values, defaults, path globs, and errors that name the key and line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from policy_guard.checks.registry import CHECK_IDS
from policy_guard.errors import InputError
from policy_guard.workflow.config import (
    DEFAULT_INCLUDE,
    Config,
    CriticalPermission,
    NewFiles,
    Waiver,
    load_config,
    parse_config,
    path_matches,
    waivable,
)
from policy_guard.workflow.results import Severity
from policy_guard.workflow.rules import rule_for

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.yaml"


def test_a_full_configuration() -> None:
    config = parse_config(
        """\
include: ["policies/**/*.json"]
exclude: "policies/drafts/**"
policies: [iam/admin.json]
checks:
  validation: warning
  external-access: off
critical_permissions:
  - description: no bucket deletion
    actions: s3:DeleteBucket
  - id: iam
    description: no users
    actions: [iam:CreateUser]
    resources: ["arn:aws:iam::*:user/*"]
trusted_accounts: ["111122223333"]
trusted_organization: o-a1b2c3d4e5
public_access:
  resource_types:
    "buckets/**": AWS::S3::Bucket
solver: cvc5
timeout: 2.5
new_files: compare-with-empty
waivers:
  - path: iam/*.json
    check: no-new-access
    statement: Deploy
    reason: accepted in review
    expires: 2030-01-31
report_only: yes
""",
        ".policy-guard.yaml",
    )
    assert config.include == ("policies/**/*.json",)
    assert config.exclude == ("policies/drafts/**",)
    assert config.policies == ("iam/admin.json",)
    assert config.severity("validation") is Severity.WARNING
    assert config.severity("external-access") is None  # YAML reads `off` as false
    assert config.severity("no-new-access") is Severity.ERROR
    assert config.critical_permissions == (
        CriticalPermission("critical-1", "no bucket deletion", ("s3:DeleteBucket",), (), 8),
        CriticalPermission("iam", "no users", ("iam:CreateUser",), ("arn:aws:iam::*:user/*",), 10),
    )
    assert config.trusted_accounts == ("111122223333",)
    assert config.trusted_organization == "o-a1b2c3d4e5"
    assert config.resource_type("buckets/logs/policy.json") == "AWS::S3::Bucket"
    assert config.resource_type("queues/q.json") is None
    assert (config.solver, config.timeout) == ("cvc5", 2.5)
    assert config.new_files is NewFiles.COMPARE_WITH_EMPTY
    assert config.waivers == (
        Waiver(
            "iam/*.json", "no-new-access", "accepted in review", "Deploy", date(2030, 1, 31), 23
        ),
    )
    assert config.report_only is True
    assert config.path == ".policy-guard.yaml"


def test_defaults() -> None:
    config = Config()
    assert config.include == DEFAULT_INCLUDE
    assert config.severity("no-new-access") is Severity.ERROR
    assert config.new_files is NewFiles.ACCEPT
    assert parse_config("# only comments\n\n", "c.yaml") == Config(path="c.yaml")


def test_absent_file_gives_defaults_unless_required(tmp_path: Path) -> None:
    missing = str(tmp_path / "none.yaml")
    assert load_config(missing, "none.yaml", required=False) == Config()
    with pytest.raises(InputError) as raised:
        load_config(missing, "none.yaml", required=True)
    assert str(raised.value) == "none.yaml: the configuration file does not exist"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("solver: z3\nsolvr: z3\n", 2, ["`solvr`", "unknown key"]),
        ("checks:\n  no-new-acess: error\n", 2, ["`checks.no-new-acess`", "unknown key"]),
        ("checks:\n  validation: loud\n", 2, ["`checks.validation`", "error, warning, off"]),
        (
            "critical_permissions:\n  - description: x\n    acton: s3:*\n",
            3,
            ["`critical_permissions[0].acton`"],
        ),
        (
            "critical_permissions:\n  - actions: s3:*\n",
            2,
            ["`critical_permissions[0]`", "`description` is required"],
        ),
        ("timeout: soon\n", 1, ["`timeout`", "seconds"]),
        ("timeout: 0\n", 1, ["`timeout`"]),
        ("solver: yices\n", 1, ["`solver`", "z3, cvc5"]),
        ("include: []\n", 1, ["`include`", "empty"]),
        ("exclude: [1]\n", 1, ["`exclude[0]`", "string"]),
        ("trusted_accounts: [111122223333]\n", 1, ["`trusted_accounts[0]`", "in quotes"]),
        ("trusted_organization: acme\n", 1, ["`trusted_organization`", "o-a1b2c3d4e5"]),
        (
            "public_access:\n  resource_types:\n    'b/**': S3 bucket\n",
            3,
            ["`public_access.resource_types.b/**`", "AWS::S3::Bucket"],
        ),
        (
            "public_access:\n  resource_types:\n    'b/**': AWS::S3::Buckets\n",
            3,
            ["`public_access.resource_types.b/**`", "AWS::S3::Buckets", "AWS::SQS::Queue"],
        ),
        (
            "public_access:\n  resource_types: [AWS::S3::Bucket]\n",
            2,
            ["`public_access.resource_types`"],
        ),
        ("new_files: maybe\n", 1, ["`new_files`", "accept, fail, compare-with-empty"]),
        (
            "waivers:\n  - path: a.json\n    check: no-new-access\n",
            2,
            ["`waivers[0]`", "`reason` is required"],
        ),
        ("waivers:\n  - path: a\n    check: undecided\n    reason: r\n", 3, ["`waivers[0].check`"]),
        (
            "waivers:\n  - path: a\n    check: parse-error\n    reason: r\n    expires: soon\n",
            5,
            ["`waivers[0].expires`", "YYYY-MM-DD"],
        ),
        ("report_only: maybe\n", 1, ["`report_only`", "true or false"]),
        ("- a list\n", 1, ["must be a mapping"]),
        ("include: [a\n", 2, ["invalid YAML"]),
    ],
)
def test_errors_name_the_key_and_its_line(text: str, line: int, words: list[str]) -> None:
    with pytest.raises(InputError) as raised:
        parse_config("# comment\n" + text, "conf.yaml")
    assert raised.value.filename == "conf.yaml"
    assert raised.value.line == line + 1
    for word in words:
        assert word in str(raised.value)


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("**/*.json", "a.json", True),
        ("**/*.json", "x/y/a.json", True),
        ("**/*.json", "a.yaml", False),
        ("*.json", "x/a.json", False),
        ("iam/*.json", "iam/a.json", True),
        ("iam/*.json", "iam/x/a.json", False),
        ("iam/**", "iam/x/a.json", True),
        ("iam/**/a.json", "iam/a.json", True),
        ("./iam/a?.json", "iam/ab.json", True),
        ("iam/a?.json", "iam/a/.json", False),
        ("p[0-9].json", "p7.json", True),
        ("p[!0-9].json", "p7.json", False),
        ("dir é/*.json", "dir é/règle.json", True),
        ("a+b.json", "a+b.json", True),
        ("a+b.json", "aab.json", False),
    ],
)
def test_path_globs(pattern: str, path: str, expected: bool) -> None:
    assert path_matches(pattern, path) is expected


def test_selection_by_include_exclude_and_policies() -> None:
    config = Config(
        include=("iam/**/*.json",), exclude=("iam/drafts/**",), policies=("other/policy.yaml",)
    )
    assert config.selects("iam/a.json")
    assert not config.selects("iam/drafts/a.json")
    assert not config.selects("src/a.json")
    assert config.selects("other/policy.yaml") and config.names("other/policy.yaml")
    assert not config.names("iam/a.json")


def test_the_example_configuration_documents_every_key_and_parses() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    config = parse_config(text, "config.example.yaml")
    for key in (
        "include",
        "exclude",
        "policies",
        "checks",
        "critical_permissions",
        "trusted_accounts",
        "trusted_organization",
        "public_access",
        "solver",
        "timeout",
        "new_files",
        "waivers",
        "report_only",
    ):
        assert f"\n{key}:" in text
    assert config.critical_permissions[0].id == "no-bucket-deletion"
    assert config.waivers[0].expires == date(2030, 12, 31)


def test_configurable_and_waivable_checks_are_registered() -> None:
    for check_id in (*CHECK_IDS, *waivable(), "expired-waiver", "undecided"):
        assert rule_for(check_id).id == check_id
