"""Templates, CDK output and AWS CLI output through the workflow, in real git repositories and
with the real engine: what a change to a template grants, where it is reported, and what is
undecided rather than passed."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from gitrepo import commit, git, isolated_git, make_repo, write
from templates import role_template

from policy_guard.workflow.results import RunReport
from policy_guard.workflow.runner import RunOptions, run

pytestmark = pytest.mark.usefixtures("isolated_git")
__all__ = ["isolated_git"]

TODAY = date(2025, 6, 1)


def check(repo: Path, *files: str, **options: Any) -> RunReport:
    return run(RunOptions(files=files, jobs=1, **options), cwd=str(repo), environ={}, today=TODAY)


def issues(report: RunReport) -> list[tuple[str, int]]:
    return [(i.check, i.location.line) for i in report.issues]


def counterexample_text(report: RunReport) -> str:
    request = report.issues[0].counterexample
    assert request is not None
    return json.dumps(request.to_json())


def template(
    actions: str = "s3:GetObject",
    *,
    role: str = "AppRole",
    default: str = "data",
    deny: bool = False,
    extra: str = "",
) -> str:
    deny_statement = (
        "              - Effect: Deny\n"
        "                Action: s3:GetObject\n"
        '                Resource: !Sub "arn:aws:s3:::${Bucket}b"\n'
        if deny
        else ""
    )
    head = f"""\
Parameters:
  Bucket:
    Type: String
    Default: {default}
Conditions:
  IsProd: !Equals [!Ref Bucket, prod]
"""
    statements = f"""\
              - Effect: Allow
                Action: [{actions}]
                Resource: !Sub "arn:aws:s3:::a${{Bucket}}"
{deny_statement}"""
    return role_template(role, statements, head=head, more=extra)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = make_repo(tmp_path / "repo")
    write(path, "stacks/app.yaml", template())
    commit(path, "first")
    return path


def test_an_action_added_to_an_inline_role_policy_fails_at_the_template_line(repo: Path) -> None:
    write(repo, "stacks/app.yaml", template("s3:GetObject, s3:PutObject"))
    report = check(repo)
    assert issues(report) == [("no-new-access", 24)]  # the added Action entry's line
    issue = report.issues[0]
    assert issue.policy_id == "Resources.AppRole.Properties.Policies[0].PolicyDocument"
    assert "s3:PutObject" in issue.message
    assert report.exit_code == 1


def test_a_narrowing_passes(repo: Path) -> None:
    write(repo, "stacks/app.yaml", template("s3:GetObject, s3:PutObject"))
    commit(repo, "wide")
    write(repo, "stacks/app.yaml", template())
    report = check(repo)
    assert report.issues == () and report.exit_code == 0


def test_a_renamed_logical_id_is_paired_with_its_old_self(repo: Path) -> None:
    """The same policies under a new logical id: a rename (see
    tests/workflow/test_renamed_policies.py), not new policies."""
    write(repo, "stacks/app.yaml", template(role="WorkerRole"))
    write(repo, ".policy-guard.yaml", "new_files: compare-with-empty\n")
    assert check(repo).issues == ()


def test_a_parameter_whose_default_changes_is_a_value_unrelated_to_the_old_one(
    repo: Path,
) -> None:
    write(repo, "stacks/app.yaml", template(default="other"))
    report = check(repo)
    assert issues(report) == [("no-new-access", 24)]
    assert "unknown/Bucket" in counterexample_text(report)


def test_a_value_that_may_be_a_pattern_is_undecided_not_passed(repo: Path) -> None:
    # Under one value of `Bucket` the Deny never meets the Allow (`a${Bucket}` is never
    # `${Bucket}b` for one string), so removing it looks harmless; but `Bucket` may be `*`.
    write(repo, "stacks/app.yaml", template(deny=True))
    commit(repo, "with deny")
    write(repo, "stacks/app.yaml", template())
    report = check(repo)
    assert {i.check for i in report.issues} == {"undecided"} and report.exit_code == 2
    assert any("`Bucket`" in i.message and "wildcard" in i.message for i in report.issues)


def test_a_statement_under_if_is_considered(repo: Path) -> None:
    extra = (
        "              - !If\n"
        "                - IsProd\n"
        "                - Effect: Allow\n"
        "                  Action: s3:DeleteObject\n"
        "                  Resource: '*'\n"
        "                - !Ref AWS::NoValue\n"
    )
    write(repo, "stacks/app.yaml", template(extra=extra))
    report = check(repo)
    assert issues(report) == [("no-new-access", 29)]  # its Action, inside `!If`
    assert "`Condition/IsProd` = `true`" in report.issues[0].message  # the branch it holds in


def test_a_template_that_stops_parsing_is_reported(repo: Path) -> None:
    write(repo, "stacks/app.yaml", template() + "  Broken: [\n")
    report = check(repo)
    assert [i.check for i in report.issues] == ["parse-error"]
    assert report.exit_code == 1


def test_a_newly_attached_managed_policy_is_unknown_access(repo: Path) -> None:
    attached = template().replace(
        "      Policies:\n",
        "      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]\n      Policies:\n",
    )
    write(repo, "stacks/app.yaml", attached)
    report = check(repo)
    assert [i.check for i in report.issues] == ["undecided"]
    assert "AdministratorAccess" in report.issues[0].message and report.exit_code == 2
    commit(repo, "attached")
    write(repo, "stacks/app.yaml", attached.replace("s3:GetObject", "s3:GetObjectAcl"))
    assert [i.check for i in check(repo).issues] == ["no-new-access"]  # attached before: fine


def test_the_cvc5_solver_gives_the_same_answer(repo: Path) -> None:
    write(repo, ".policy-guard.yaml", "solver: cvc5\n")
    commit(repo, "cvc5")
    write(repo, "stacks/app.yaml", template("s3:GetObject, s3:PutObject"))
    assert issues(check(repo)) == [("no-new-access", 24)]


def test_a_sweep_counts_template_policies_and_reports_problems(repo: Path) -> None:
    write(
        repo, "stacks/macro.yaml", "Transform: Custom\nResources:\n  B: {Type: AWS::S3::Bucket}\n"
    )
    commit(repo, "macro")
    report = check(repo, all_files=True)
    by_path = {f.path: f for f in report.files}
    assert len(by_path["stacks/app.yaml"].policies) == 2
    assert [i.check for i in report.issues] == ["undecided"]  # the macro, never "not a policy"
    assert report.issues[0].location.path == "stacks/macro.yaml"


def policy_version(actions: list[str]) -> str:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
    }
    return json.dumps(
        {"PolicyVersion": {"Document": quote(json.dumps(document)), "VersionId": "v1"}}, indent=4
    )


def test_aws_cli_output_without_an_extension_is_compared(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "managed")
    write(repo, ".policy-guard.yaml", 'include: ["policies/*"]\n')
    write(repo, "policies/ReadOnly", policy_version(["s3:Get*"]))
    commit(repo, "first")
    write(repo, "policies/ReadOnly", policy_version(["s3:Get*", "iam:GetRole"]))
    report = check(repo)
    assert [i.check for i in report.issues] == ["no-new-access"]
    assert report.issues[0].location.line == 3  # the document's line
    git(repo, "checkout", "--", "policies/ReadOnly")
    assert check(repo).issues == ()


def cdk_template(actions: list[str]) -> str:
    role_policy = {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": "AppRoleDefaultPolicy",
            "Roles": [{"Ref": "AppRole"}],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": actions,
                        "Resource": {"Fn::GetAtt": ["Bucket83908E77", "Arn"]},
                    }
                ],
            },
        },
    }
    return json.dumps(
        {
            "Resources": {
                "AppRoleDefaultPolicy7D2A1B3C": role_policy,
                "Bucket83908E77": {"Type": "AWS::S3::Bucket"},
            }
        },
        indent=1,
    )


def test_cdk_output_synthesised_at_base_and_head_is_compared_by_folder(tmp_path: Path) -> None:
    for side, actions in (
        ("base", ["s3:GetObject*"]),
        ("head", ["s3:GetObject*", "s3:DeleteObject"]),
    ):
        folder = tmp_path / side / "cdk.out"
        folder.mkdir(parents=True)
        (folder / "AppStack.template.json").write_text(cdk_template(actions))
        (folder / "manifest.json").write_text('{"version": "36.0.0"}')
    report = check(tmp_path, "head/cdk.out", base_dir="base/cdk.out")
    assert [(i.check, i.location.path) for i in report.issues] == [
        ("no-new-access", "head/cdk.out/AppStack.template.json")
    ]
    assert "unknown/Bucket83908E77.Arn" in counterexample_text(report)
    narrowed = check(tmp_path, "base/cdk.out", base_dir="head/cdk.out")
    assert narrowed.issues == ()


def test_a_statement_in_both_branches_of_if_is_the_statement_itself(repo: Path) -> None:
    # in every deployment exactly one branch is in force: taking the statement out of the
    # `!If` grants nothing new (no reading in which neither branch holds)
    delete = "Effect: Allow, Action: s3:DeleteObject, Resource: '*'"
    both = f"              - !If [IsProd, {{{delete}}}, {{{delete}}}]\n"
    write(repo, "stacks/app.yaml", template(extra=both))
    commit(repo, "both branches")
    write(repo, "stacks/app.yaml", template(extra=f"              - {{{delete}}}\n"))
    report = check(repo)
    assert report.issues == () and report.exit_code == 0


def test_a_resource_under_a_condition_is_read_in_both_deployments(repo: Path) -> None:
    # created or not: where the condition is false the role's policy grants nothing
    conditional = template().replace(
        "    Type: AWS::IAM::Role\n", "    Type: AWS::IAM::Role\n    Condition: IsProd\n"
    )
    write(repo, "stacks/app.yaml", conditional)
    commit(repo, "conditional role")
    report = check(repo, all_files=True)
    assert report.issues == () and report.exit_code == 0
    write(
        repo,
        "stacks/app.yaml",
        conditional.replace("[s3:GetObject]", "[s3:GetObject, s3:PutObject]"),
    )
    assert issues(check(repo)) == [("no-new-access", 25)]
