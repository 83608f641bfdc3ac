"""Terraform permissions boundaries: a `permissions_boundary` naming a policy the file defines is
read as a PERMISSIONS_BOUNDARY (the reader's own tests, then real git repositories through the
workflow: the hook path with a base, `--all`, plans, both solvers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gitrepo import commit, git, isolated_git, make_repo, write
from test_terraform_workflow import TODAY, check

from policy_guard.policy.model import PolicyType
from policy_guard.sources import read_policies
from policy_guard.sources.base import FoundPolicy
from policy_guard.workflow.results import Issue, RunReport
from policy_guard.workflow.runner import RunOptions, run

__all__ = ["isolated_git"]

BOUNDARY = PolicyType.PERMISSIONS_BOUNDARY
DENY_IAM = (
    '\n  statement {\n    effect    = "Deny"\n    actions   = ["iam:*"]\n    resources = ["*"]\n  }'
)


def module(
    boundary: str = "aws_iam_policy.limit.arn", deny: str = DENY_IAM, attach: bool = False
) -> str:
    """A role whose boundary (`limit`, from a policy document data source) allows everything
    but what `deny` takes away; `narrow` allows S3 only; `attach` also attaches `limit`."""
    argument = f"  permissions_boundary = {boundary}\n" if boundary else ""
    attachment = (
        'resource "aws_iam_role_policy_attachment" "limit" {\n'
        "  role       = aws_iam_role.app.name\n  policy_arn = aws_iam_policy.limit.arn\n}\n"
        if attach
        else ""
    )
    return f"""\
data "aws_iam_policy_document" "limit" {{
  statement {{
    actions   = ["*"]
    resources = ["*"]
  }}{deny}
}}

resource "aws_iam_policy" "limit" {{
  name   = "limit"
  policy = data.aws_iam_policy_document.limit.json
}}

resource "aws_iam_policy" "narrow" {{
  name = "narrow"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "s3:*", Resource = "*" }}]
  }})
}}

resource "aws_iam_role" "app" {{
  name = "app"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{
      Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "ec2.amazonaws.com" }}
    }}]
  }})
{argument}}}
{attachment}"""


def read(text: str, name: str = "main.tf") -> dict[str, FoundPolicy]:
    return {f.policy_id: f for f in read_policies(text.encode(), name)}


# --- the reader ---------------------------------------------------------------------------------


def test_a_boundary_naming_a_policy_of_the_file_is_read_as_a_permissions_boundary() -> None:
    policies = read(module(attach=True))
    boundary = policies["aws_iam_role.app.permissions_boundary"]
    assert boundary.policy_type is BOUNDARY
    assert boundary.attaches == "boundary:aws_iam_policy.limit.arn"
    statements = boundary.document.value["Statement"]
    assert [s["Effect"] for s in statements] == ["Allow", "Deny"]
    text = module(attach=True).splitlines()
    assert "permissions_boundary" in text[boundary.line - 1]  # the policy is where it is used
    assert boundary.document.span_of(("Statement", 1)).line == 6  # its statements where written
    # the definition stays an identity policy, and so does its attachment: checked as both
    assert policies["data.aws_iam_policy_document.limit"].policy_type is PolicyType.IDENTITY
    attached = policies["aws_iam_role_policy_attachment.limit.policy_arn"]
    assert attached.policy_type is PolicyType.IDENTITY
    assert attached.document.value == boundary.document.value
    narrow = read(module("aws_iam_policy.narrow.arn"))["aws_iam_role.app.permissions_boundary"]
    assert narrow.policy_type is BOUNDARY
    assert narrow.document.value["Statement"][0]["Action"] == "s3:*"


@pytest.mark.parametrize(
    "boundary",
    ['"arn:aws:iam::111122223333:policy/limit"', "var.boundary", "aws_iam_policy.gone.arn"],
)
def test_a_boundary_whose_policy_is_not_in_the_file_is_its_arn_alone(boundary: str) -> None:
    found = read(module(boundary))["aws_iam_role.app.permissions_boundary"]
    assert found.document.value == {} and found.problem is None
    assert found.policy_type is PolicyType.IDENTITY and found.attaches is not None
    assert found.attaches.startswith("boundary:")


def test_terraform_json_reads_the_boundary_alike() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    stack = {
        "resource": {
            "aws_iam_policy": {"limit": {"name": "limit", "policy": json.dumps(document)}},
            "aws_iam_user": {
                "ops": {"name": "ops", "permissions_boundary": "${aws_iam_policy.limit.arn}"}
            },
        }
    }
    text = json.dumps(stack, indent=2)
    policies = read(text, "cdk.tf.json")
    boundary = policies["aws_iam_user.ops.permissions_boundary"]
    assert boundary.policy_type is BOUNDARY and boundary.document.value == document
    assert '"policy"' in text.splitlines()[boundary.line - 1]  # the policy's JSON line
    assert policies["aws_iam_policy.limit.policy"].policy_type is PolicyType.IDENTITY


ALL: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
DENY_LIST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [*ALL["Statement"], {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}],
}
LIMIT_ARN = "arn:aws:iam::111122223333:policy/limit"


def plan(
    before: dict[str, Any] | None,
    after: dict[str, Any],
    boundary_before: str | None = LIMIT_ARN,
    boundary_after: str | None = LIMIT_ARN,
    created: bool = False,
) -> str:
    """A plan of the policy `limit` (changed from `before` to `after`, or created: its ARN known
    after apply) and a role whose boundary it is."""
    policy_after: dict[str, object] = {"name": "limit", "policy": json.dumps(after)}
    if not created:
        policy_after["arn"] = LIMIT_ARN
    policy = {
        "address": "aws_iam_policy.limit",
        "mode": "managed",
        "type": "aws_iam_policy",
        "name": "limit",
        "change": {
            "actions": ["create"] if created else ["update"],
            "before": None
            if before is None
            else {"name": "limit", "arn": LIMIT_ARN, "policy": json.dumps(before)},
            "after": policy_after,
            "after_unknown": {"arn": True} if created else {},
        },
    }
    role = {
        "address": "aws_iam_role.app",
        "mode": "managed",
        "type": "aws_iam_role",
        "name": "app",
        "change": {
            "actions": ["update"],
            "before": {"name": "app", "permissions_boundary": boundary_before},
            "after": {"name": "app", "permissions_boundary": boundary_after},
            "after_unknown": {"permissions_boundary": True} if created else {},
        },
    }
    expressions = {
        "permissions_boundary": {"references": ["aws_iam_policy.limit.arn", "aws_iam_policy.limit"]}
    }
    configuration = {
        "root_module": {
            "resources": [
                {"address": "aws_iam_role.app", "type": "aws_iam_role", "expressions": expressions}
            ]
        }
    }
    return json.dumps(
        {
            "format_version": "1.2",
            "resource_changes": [policy, role],
            "configuration": configuration,
        },
        indent=1,
    )


def test_a_plan_reads_the_boundary_it_holds_before_and_after() -> None:
    boundary = read(plan(DENY_LIST, ALL), "plan.json")["aws_iam_role.app.permissions_boundary"]
    assert boundary.policy_type is BOUNDARY and boundary.document.value == ALL
    assert boundary.base is not None and boundary.base.policy_type is BOUNDARY
    assert boundary.base.document.value == DENY_LIST
    # a policy created with its boundary: the ARN is known after apply, the reference is not
    created = read(plan(None, ALL, None, None, created=True), "plan.json")
    new = created["aws_iam_role.app.permissions_boundary"]
    assert new.policy_type is BOUNDARY and new.document.value == ALL
    assert new.base is not None and new.base.document.value == {}
    # a boundary the plan does not hold: its ARN alone
    other = read(plan(DENY_LIST, ALL, "arn:aws:iam::111122223333:policy/other"), "plan.json")
    old = other["aws_iam_role.app.permissions_boundary"].base
    assert old is not None and old.document.value == {} and old.policy_type is None


# --- the workflow -------------------------------------------------------------------------------


def types(report: RunReport) -> dict[str, str]:
    return {p.policy_id: p.policy_type for f in report.files for p in f.policies}


def failing(report: RunReport) -> list[Issue]:
    return [i for i in report.issues if i.check == "no-new-access"]


@pytest.fixture
def repo(tmp_path: Path, isolated_git: None) -> Path:
    path = make_repo(tmp_path / "repo")
    write(path, "main.tf", module())
    commit(path, "first")
    return path


@pytest.mark.parametrize("solver", ["z3", "cvc5"])
def test_a_boundary_widened_fails_as_a_permissions_boundary(repo: Path, solver: str) -> None:
    write(repo, ".policy-guard.yaml", f"solver: {solver}\n")
    base = commit(repo, "solver")
    write(repo, "main.tf", module(deny=""))
    commit(repo, "the Deny removed")
    report = check(repo, base=base)
    assert report.exit_code == 1
    assert types(report)["aws_iam_role.app.permissions_boundary"] == "PERMISSIONS_BOUNDARY"
    by_policy = {i.policy_id: i for i in failing(report)}
    boundary = by_policy["aws_iam_role.app.permissions_boundary"]
    assert boundary.location.line == 3 and boundary.counterexample is not None
    assert boundary.counterexample.action.startswith("iam:")
    # the boundary's question: a request of an IAM caller (a grant of a resource policy to
    # the caller's own ARN, which a boundary does not limit, is not in it)
    caller = boundary.counterexample.context_values("aws:PrincipalArn")
    assert caller is not None and caller[0].startswith("arn:aws:iam::")
    assert "blocked it by statement 1" in (boundary.aws_message or "")
    # the definition is an identity policy too: a PASS must hold for every use
    assert "data.aws_iam_policy_document.limit" in by_policy
    assert check(repo, all_files=True).exit_code == 0  # no base: nothing to compare


def test_a_boundary_narrowed_or_added_passes(repo: Path) -> None:
    write(repo, "main.tf", module(deny=DENY_IAM.replace('"iam:*"', '"iam:*", "s3:*"')))
    assert check(repo).exit_code == 0
    base = commit(repo, "narrower")
    write(repo, "main.tf", module(""))
    commit(repo, "no boundary")
    write(repo, "main.tf", module())
    report = check(repo, "main.tf")  # the working tree against HEAD: a boundary added
    assert report.exit_code == 0, [i.message for i in report.issues]
    assert types(report)["aws_iam_role.app.permissions_boundary"] == "PERMISSIONS_BOUNDARY"
    assert check(repo, base=base).exit_code == 1  # against the narrower one: wider again


def test_a_boundary_replaced_is_compared_with_the_one_it_replaces(repo: Path) -> None:
    write(repo, "main.tf", module("aws_iam_policy.narrow.arn"))
    assert check(repo).exit_code == 0  # S3 only: within everything but IAM
    commit(repo, "narrow")
    write(repo, "main.tf", module())
    report = check(repo)
    assert report.exit_code == 1
    (issue,) = [i for i in failing(report) if i.policy_id.endswith("permissions_boundary")]
    assert issue.counterexample is not None
    assert not issue.counterexample.action.startswith(("s3:", "iam:"))


def test_a_boundary_removed_is_never_a_pass(repo: Path) -> None:
    write(repo, "main.tf", module(""))
    report = check(repo)
    assert report.exit_code == 2
    (issue,) = report.issues
    assert issue.check == "undecided" and "removes the permissions boundary" in issue.message


def test_a_policy_attached_and_used_as_a_boundary_is_checked_as_both(repo: Path) -> None:
    write(repo, "main.tf", module(attach=True))
    base = commit(repo, "attached too")
    write(repo, "main.tf", module(deny="", attach=True))
    report = check(repo, base=base)
    found = {i.policy_id for i in failing(report)}
    assert {
        "data.aws_iam_policy_document.limit",
        "aws_iam_role_policy_attachment.limit.policy_arn",
        "aws_iam_role.app.permissions_boundary",
    } <= found
    kinds = types(report)
    assert kinds["aws_iam_role_policy_attachment.limit.policy_arn"] == "IDENTITY_POLICY"
    assert kinds["aws_iam_role.app.permissions_boundary"] == "PERMISSIONS_BOUNDARY"


def test_the_hook_checks_the_staged_boundary(repo: Path) -> None:
    def hook() -> RunReport:
        return run(RunOptions(jobs=1), cwd=str(repo), environ={"PRE_COMMIT": "1"}, today=TODAY)

    write(repo, "main.tf", module(deny=""))
    git(repo, "add", "main.tf")
    staged = hook()
    assert staged.exit_code == 1
    assert "aws_iam_role.app.permissions_boundary" in {i.policy_id for i in failing(staged)}
    write(repo, "main.tf", module("aws_iam_policy.narrow.arn"))
    git(repo, "add", "main.tf")
    write(repo, "main.tf", module(deny=""))  # the working tree is not what the hook checks
    assert hook().exit_code == 0


def test_a_plan_fails_a_widened_boundary(tmp_path: Path, isolated_git: None) -> None:
    repo = make_repo(tmp_path / "plan")
    write(repo, "plan.json", plan(DENY_LIST, DENY_LIST))
    commit(repo)
    write(repo, "plan.json", plan(DENY_LIST, ALL))
    report = check(repo, "plan.json")
    assert report.exit_code == 1
    ids = {i.policy_id for i in failing(report)}
    assert {"aws_iam_policy.limit.policy", "aws_iam_role.app.permissions_boundary"} <= ids
    write(repo, "plan.json", plan(ALL, DENY_LIST))
    assert check(repo, "plan.json").exit_code == 0
    write(repo, "plan.json", plan(None, ALL, None, None, created=True))
    assert check(repo, "plan.json").exit_code == 0  # a boundary added grants nothing


# --- CloudFormation: the same rules -------------------------------------------------------------


def template(boundary: object = None, deny: bool = True) -> str:
    """A role whose PermissionsBoundary is `boundary` (none when None), beside the managed
    policies `Limit` (everything but IAM; everything when not `deny`) and `Narrow` (S3)."""
    limit = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    if deny:
        limit.append({"Effect": "Deny", "Action": "iam:*", "Resource": "*"})

    def managed(statements: list[dict[str, str]]) -> dict[str, Any]:
        document = {"Version": "2012-10-17", "Statement": statements}
        return {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": document}}

    trust = {
        "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    role: dict[str, Any] = {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]}
    }
    if boundary is not None:
        role["PermissionsBoundary"] = boundary
    resources = {
        "Limit": managed(limit),
        "Narrow": managed([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]),
        "Role": {"Type": "AWS::IAM::Role", "Properties": role},
    }
    return json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}, indent=1)


LIMIT = {"Ref": "Limit"}
ROLE_BOUNDARY = "Resources.Role.Properties.PermissionsBoundary"


def test_a_template_s_boundary_is_one_policy_of_the_role() -> None:
    policies = read(template(LIMIT), "t.json")
    boundary = policies[ROLE_BOUNDARY]
    assert boundary.policy_type is BOUNDARY and boundary.attaches == "boundary:Limit"
    assert len(boundary.document.value["Statement"]) == 2
    assert policies["Resources.Limit.Properties.PolicyDocument"].policy_type is PolicyType.IDENTITY
    none = read(template(), "t.json")[ROLE_BOUNDARY]
    assert none.attaches == "boundary:" and none.document.value == {}
    arn = read(template("arn:aws:iam::111122223333:policy/limit"), "t.json")[ROLE_BOUNDARY]
    assert arn.attaches == "boundary:arn:aws:iam::111122223333:policy/limit"
    assert arn.problem is None and arn.document.value == {}


@pytest.mark.parametrize(
    ("before", "after", "outcome"),
    [
        (template(LIMIT), template(LIMIT, deny=False), 1),  # widened
        (template(LIMIT), template({"Ref": "Narrow"}), 0),  # replaced by a narrower one
        (template({"Ref": "Narrow"}), template(LIMIT), 1),  # replaced by a wider one
        (template(), template(LIMIT), 0),  # added
        (template(), template("arn:aws:iam::111122223333:policy/limit"), 0),  # added, by ARN
        (template(LIMIT), template(), 2),  # removed
        (template("arn:aws:iam::111122223333:policy/limit"), template(), 2),  # removed
        (
            template("arn:aws:iam::111122223333:policy/limit"),
            template("arn:aws:iam::111122223333:policy/wider"),
            2,
        ),
    ],
)
def test_a_template_s_boundary_change_is_checked_as_terraform_s(
    tmp_path: Path, isolated_git: None, before: str, after: str, outcome: int
) -> None:
    repo = make_repo(tmp_path / "stack")
    write(repo, "stack.json", before)
    commit(repo)
    write(repo, "stack.json", after)
    report = check(repo, "stack.json")
    shown = [(i.check, i.policy_id, i.message) for i in report.issues]
    assert report.exit_code == outcome, shown
    if outcome == 1:
        (issue,) = [i for i in failing(report) if i.policy_id == ROLE_BOUNDARY]
        assert issue.counterexample is not None
        assert issue.counterexample.context_values("aws:PrincipalArn") is not None
    if outcome == 2:
        (issue,) = [i for i in report.issues if i.check == "undecided"]
        assert issue.policy_id == ROLE_BOUNDARY and "permissions boundary" in issue.message
