"""Policies renamed inside a file (a CloudFormation logical id, a Terraform address), in real git
repositories with both solvers: a new identity beside removed ones is compared with nothing
unless it is a rename the file declares (`moved`) or one detected as git detects a file's."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from gitrepo import commit, isolated_git, make_repo, write
from templates import role_template

from policy_guard.document.values import Decoded
from policy_guard.sources.base import FoundPolicy
from policy_guard.workflow.base_versions import pair_policies
from policy_guard.workflow.results import RunReport
from policy_guard.workflow.runner import RunOptions, run

pytestmark = pytest.mark.usefixtures("isolated_git")
__all__ = ["isolated_git"]

TODAY = date(2025, 6, 1)


def check(repo: Path, **options: Any) -> RunReport:
    return run(RunOptions(jobs=1, **options), cwd=str(repo), environ={}, today=TODAY)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def template(
    role: str = "AppRole",
    read: str = "s3:GetObject",
    logs: str = "logs:PutLogEvents",
    bucket: str = "example-data",
    managed: str = "",
) -> str:
    statements = f"""\
              - Sid: Read
                Effect: Allow
                Action: {read}
                Resource: arn:aws:s3:::{bucket}/*
              - Sid: Logs
                Effect: Allow
                Action: {logs}
                Resource: arn:aws:logs:us-east-1:111122223333:log-group:app:*
"""
    attached = f"      ManagedPolicyArns:\n        - {managed}\n" if managed else ""
    return role_template(role, statements, more=attached)


INLINE = "Resources.{}.Properties.Policies[0].PolicyDocument"


@pytest.fixture(params=["z3", "cvc5"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = make_repo(tmp_path / "repo")
    write(path, ".policy-guard.yaml", f"solver: {request.param}\n")
    write(path, "stack.yaml", template())
    commit(path, "first")
    return path


def test_a_logical_id_renamed_with_the_same_policies_is_compared_with_them(repo: Path) -> None:
    write(repo, ".policy-guard.yaml", "new_files: fail\n")  # a new policy would fail
    write(repo, "stack.yaml", template(role="WorkerRole"))
    report = check(repo)
    assert report.issues == () and report.exit_code == 0
    assert {p.policy_id for p in report.files[0].policies} >= {INLINE.format("WorkerRole")}


def test_a_logical_id_renamed_and_widened_fails_at_the_widened_statement(repo: Path) -> None:
    text = template(role="WorkerRole", read="s3:*")
    write(repo, "stack.yaml", text)
    report = check(repo)
    (issue,) = report.issues
    assert (issue.check, issue.statement_id) == ("no-new-access", "Read")
    assert issue.location.line == line_of(text, "Action: s3:*")  # the entry that adds it
    assert issue.policy_id == INLINE.format("WorkerRole")
    assert f"against `{INLINE.format('AppRole')}`, which it renames" in issue.message
    assert issue.counterexample is not None and report.exit_code == 1


def test_a_renamed_logical_id_with_an_unrelated_policy_is_compared_with_nothing(
    repo: Path,
) -> None:
    """Nothing alike to pair it with: everything it grants is new, whatever `new_files` says
    (the default accepts new policies)."""
    text = template(
        role="WorkerRole", read="s3:PutObject", logs="logs:DeleteLogStream", bucket="other"
    )
    write(repo, "stack.yaml", text)
    report = check(repo)
    inline = [i for i in report.issues if i.policy_id == INLINE.format("WorkerRole")]
    assert {i.statement_id for i in inline} == {"Read", "Logs"}
    assert all(i.check == "no-new-access" for i in inline)
    assert "compared with nothing: the change removes" in inline[0].message
    assert INLINE.format("AppRole") in inline[0].message
    assert report.exit_code == 1


def test_a_removed_broad_policy_does_not_cover_a_new_one(repo: Path) -> None:
    """AppRole grows a broad policy, then the change removes it and adds a narrower, unrelated
    role: compared with nothing, not with the broad one."""
    broad = template(read="s3:*").replace("logs:PutLogEvents", "'*'")
    write(repo, "stack.yaml", broad)
    commit(repo, "broad")
    write(
        repo,
        "stack.yaml",
        template(role="OtherRole", read="s3:PutObject", logs="logs:DeleteLogStream"),
    )
    issues = check(repo).issues
    assert {i.statement_id for i in issues if i.check == "no-new-access"} == {"Read", "Logs"}


def test_a_new_logical_id_beside_unchanged_ones_is_a_new_policy(repo: Path) -> None:
    """Nothing removed: a new role is new (accepted by default, as before)."""
    write(repo, "stack.yaml", template() + template(role="WorkerRole").split("Resources:\n")[1])
    assert check(repo).issues == ()


def test_a_renamed_role_keeps_its_attached_managed_policy(repo: Path) -> None:
    """An attachment whose text is not here is undecided when new; renamed with its role, it
    is the same attachment."""
    managed = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    write(repo, "stack.yaml", template(managed=managed))
    commit(repo, "attached")
    write(repo, "stack.yaml", template(role="WorkerRole", managed=managed))
    assert check(repo).issues == ()
    write(repo, "stack.yaml", template(managed="arn:aws:iam::aws:policy/PowerUserAccess"))
    assert [i.check for i in check(repo).issues] == ["undecided"]


# --- Terraform ---------------------------------------------------------------------------------


def terraform(
    name: str, actions: str, moved_from: str | None = None, resource: str = "example-data/*"
) -> str:
    moved = (
        f"\nmoved {{\n  from = aws_iam_policy.{moved_from}\n  to   = aws_iam_policy.{name}\n}}\n"
        if moved_from
        else ""
    )
    return f"""\
resource "aws_iam_policy" "{name}" {{
  name = "app"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{
        Effect   = "Allow"
        Action   = [{actions}]
        Resource = "arn:aws:s3:::{resource}"
      }},
    ]
  }})
}}
{moved}"""


@pytest.fixture
def tf_repo(repo: Path) -> Path:
    write(repo, "main.tf", terraform("app", '"s3:GetObject", "s3:PutObject"'))
    commit(repo, "terraform")
    return repo


def test_a_moved_block_pairs_the_new_address_with_the_old(tf_repo: Path) -> None:
    """Declared: compared with the old address however different (a narrowing passes, which
    without `moved` would be compared with nothing)."""
    narrower = {"actions": '"s3:GetObject"', "resource": "example-data/reports/*"}
    write(tf_repo, "main.tf", terraform("svc", **narrower))
    assert "compared with nothing" in check(tf_repo).issues[0].message
    write(tf_repo, "main.tf", terraform("svc", **narrower, moved_from="app"))
    assert check(tf_repo).issues == ()
    text = terraform("svc", '"s3:GetObject", "s3:DeleteObject"', moved_from="app")
    write(tf_repo, "main.tf", text)
    (issue,) = check(tf_repo).issues
    assert issue.check == "no-new-access" and "s3:DeleteObject" in issue.message
    assert "against `aws_iam_policy.app.policy`, which it renames" in issue.message


def test_a_moved_block_in_another_file_of_the_folder_counts(tf_repo: Path) -> None:
    write(tf_repo, "main.tf", terraform("svc", '"s3:GetObjectAcl"'))
    write(
        tf_repo, "moved.tf", "moved {\n  from = aws_iam_policy.app\n  to = aws_iam_policy.svc\n}\n"
    )
    (issue,) = check(tf_repo).issues
    assert "s3:GetObjectAcl" in issue.message and "which it renames" in issue.message


def test_a_renamed_address_without_moved_is_paired_only_when_alike(tf_repo: Path) -> None:
    write(tf_repo, "main.tf", terraform("svc", '"s3:GetObject", "s3:PutObject"'))
    assert check(tf_repo).issues == ()  # the same document: a rename
    write(tf_repo, "main.tf", terraform("svc", '"s3:DeleteObject"'))
    (issue,) = check(tf_repo).issues
    assert "compared with nothing: the change removes `aws_iam_policy.app.policy`" in issue.message


# --- the pairing itself ------------------------------------------------------------------------


def found(
    policy_id: str, *statements: dict[str, Any], renamed_from: str | None = None
) -> FoundPolicy:
    document = Decoded({"Version": "2012-10-17", "Statement": list(statements)}, "f", {})
    return FoundPolicy(policy_id, document, renamed_from=renamed_from)


READ = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
WRITE = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}
EC2 = {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}


def test_pairing_is_one_to_one_and_prefers_the_most_alike() -> None:
    old = [found("a", READ, WRITE), found("b", EC2)]
    new = [found("c", READ, WRITE, {"Sid": "x", **EC2}), found("d", READ, WRITE)]
    pairs = pair_policies(old, new)
    assert pairs.old["d"].policy_id == "a"  # identical
    assert "c" not in pairs.old and pairs.from_nothing == {"c"}  # `a` is taken; `b` unlike
    assert pairs.removed == ("a", "b")


def test_nothing_removed_means_nothing_compared_with_nothing() -> None:
    pairs = pair_policies([found("a", READ)], [found("a", READ), found("b", EC2)])
    assert pairs.from_nothing == frozenset() and set(pairs.old) == {"a"}


def test_a_declared_rename_wins_and_a_stale_one_is_dropped() -> None:
    old = [found("a", READ), found("b", EC2)]
    new = [found("c", READ, renamed_from="b"), found("a2", EC2, renamed_from="gone")]
    pairs = pair_policies(old, new)
    assert pairs.old["c"].policy_id == "b"
    assert pairs.new_policy(new[0]).renamed_from == "b"
    assert pairs.new_policy(new[1]).renamed_from is None and "a2" in pairs.from_nothing


def test_a_moved_module_renames_the_policies_it_takes() -> None:
    from policy_guard.sources import read_policies

    text = (
        'module "worker" {\n  source = "./role"\n'
        '  policy = jsonencode({Statement = [{Effect = "Allow", Action = "s3:GetObject", '
        'Resource = "*"}]})\n}\n'
        "moved {\n  from = module.app\n  to   = module.worker\n}\n"
    )
    (found,) = read_policies(text.encode(), "main.tf")
    assert (found.policy_id, found.renamed_from) == ("module.worker.policy", "module.app.policy")
