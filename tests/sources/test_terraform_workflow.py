"""Terraform in real git repositories: the runner reads `.tf` files and plans like policy files,
compares old and new by address, and reports what it cannot decide (never skips it)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from gitrepo import commit, git, isolated_git, make_repo, write

from policy_guard.workflow.results import RunReport
from policy_guard.workflow.runner import RunOptions, run

pytestmark = pytest.mark.usefixtures("isolated_git")
__all__ = ["isolated_git"]

FIXTURES = Path(__file__).parents[1] / "fixtures" / "terraform"
TODAY = date(2025, 6, 1)

MAIN = """\
variable "bucket" {
  type    = string
  default = "example-data"
}

data "aws_iam_policy_document" "app" {
  statement {
    sid       = "Read"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = ["arn:aws:s3:::${var.bucket}", "arn:aws:s3:::${var.bucket}/*"]
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:PutLogEvents"]
    resources = ["arn:aws:logs:us-east-1:111122223333:log-group:app:*"]
  }
}

resource "aws_iam_policy" "app" {
  name   = "app"
  policy = data.aws_iam_policy_document.app.json
}
"""


def check(repo: Path, *files: str, **options: object) -> RunReport:
    return run(
        RunOptions(files=files, jobs=1, **options),  # type: ignore[arg-type]
        cwd=str(repo),
        environ={},
        today=TODAY,
    )


def issues(report: RunReport) -> list[tuple[str, int, str]]:
    return [(i.check, i.location.line, i.message) for i in report.issues]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = make_repo(tmp_path / "repo")
    write(path, "main.tf", MAIN)
    commit(path, "first")
    return path


def test_a_widening_inside_a_policy_document_fails_at_its_line(repo: Path) -> None:
    write(
        repo,
        "main.tf",
        MAIN.replace('["logs:PutLogEvents"]', '["logs:PutLogEvents", "logs:DeleteLogGroup"]'),
    )
    report = check(repo)
    assert report.exit_code == 1
    (found,) = report.issues
    assert found.check == "no-new-access" and found.location.path == "main.tf"
    assert found.location.line == 15  # the `Logs` statement's matching `actions` entry
    assert found.policy_id == "data.aws_iam_policy_document.app"
    assert "logs:DeleteLogGroup" in found.message


def test_a_narrowing_passes(repo: Path) -> None:
    write(repo, "main.tf", MAIN.replace('["s3:GetObject", "s3:ListBucket"]', '["s3:GetObject"]'))
    report = check(repo)
    assert report.exit_code == 0, issues(report)
    assert [f.path for f in report.files] == ["main.tf"]


def test_an_unknown_in_a_resource_is_compared_as_one_value(repo: Path) -> None:
    """`${var.bucket}` unchanged (same default): the same value on both sides, whatever it is;
    a widening of the action is still new access, shown with the unknown by name."""
    write(repo, "main.tf", MAIN.replace('"s3:ListBucket"]', '"s3:ListBucket", "s3:PutObject"]'))
    report = check(repo)
    (found,) = report.issues
    assert found.check == "no-new-access" and found.location.line == 9  # `Read`'s actions
    assert found.counterexample is not None
    assert "terraform:var.bucket" in found.counterexample.context


def test_a_variable_whose_default_changes_is_a_new_value(repo: Path) -> None:
    """The policy's text is the same, but `var.bucket` now defaults to `*`: new access."""
    write(repo, "main.tf", MAIN.replace('default = "example-data"', 'default = "*"'))
    report = check(repo)
    assert report.exit_code == 1
    assert {i.check for i in report.issues} == {"no-new-access"}
    assert all(i.location.line == 9 for i in report.issues)  # `Read`'s matching actions


def test_an_unchanged_variable_with_an_unrelated_change_passes(repo: Path) -> None:
    write(repo, "main.tf", MAIN + '\nresource "aws_s3_bucket" "logs" {\n  bucket = "logs"\n}\n')
    report = check(repo)
    assert report.exit_code == 0, issues(report)


def test_an_unknown_where_a_wider_value_matters_is_undecided(repo: Path) -> None:
    """A Deny's Resource from a variable: a wider value denies more, so a value-independent
    answer cannot be had by reading it as one literal string. Undecided, naming it."""
    deny = MAIN.replace(
        '  statement {\n    sid       = "Logs"',
        '  statement {\n    sid       = "Guard"\n    effect    = "Deny"\n'
        '    actions   = ["s3:*"]\n    resources = ["arn:aws:s3:::${var.protected}"]\n  }\n\n'
        '  statement {\n    sid       = "Logs"',
    )
    write(repo, "main.tf", deny)
    report = check(repo)
    assert report.exit_code == 2
    assert any(
        i.check == "undecided" and "${var.protected}" in i.message and "Deny" in i.message
        for i in report.issues
    ), issues(report)


def test_a_new_aws_managed_attachment_is_unknown_access(repo: Path) -> None:
    write(
        repo,
        "main.tf",
        MAIN + '\nresource "aws_iam_role_policy_attachment" "admin" {\n  role       = "app"\n'
        '  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"\n}\n',
    )
    report = check(repo)
    assert report.exit_code == 2
    (found,) = report.issues
    assert found.check == "undecided" and "AdministratorAccess" in found.message
    assert found.location.line == 27  # its `policy_arn`
    commit(repo)
    write(repo, "main.tf", (repo / "main.tf").read_text() + "\n# unrelated\n")
    assert check(repo).exit_code == 0  # attached at the base too: nothing new


def test_a_tf_file_that_stops_parsing_is_reported(repo: Path) -> None:
    write(repo, "main.tf", MAIN.replace('resource "aws_iam_policy" "app" {', "resource {{"))
    report = check(repo)
    assert report.exit_code == 1
    (found,) = report.issues
    assert found.check == "parse-error" and "invalid HCL" in found.message
    assert found.location.line == 20


def test_a_dynamic_statement_is_undecided_unless_unchanged(repo: Path) -> None:
    dynamic = MAIN.replace(
        '  statement {\n    sid       = "Logs"',
        '  dynamic "statement" {\n    for_each = var.extra\n    content {\n'
        '      actions   = statement.value.actions\n      resources = ["*"]\n    }\n  }\n\n'
        '  statement {\n    sid       = "Logs"',
    )
    dynamic = 'variable "extra" {\n  type = list(any)\n}\n\n' + dynamic
    write(repo, "main.tf", dynamic)
    report = check(repo)
    assert report.exit_code == 2
    assert any("dynamic" in i.message for i in report.issues)
    commit(repo)
    write(repo, "main.tf", dynamic + "\n# a comment\n")
    report = check(repo, all_files=False)
    assert report.exit_code == 0, issues(report)  # the same policy, the same unknowns


def test_a_plan_is_compared_with_its_own_before_without_git(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "plan.json").write_bytes((FIXTURES / "plan.json").read_bytes())
    report = check(folder, "plan.json")
    assert report.exit_code == 2
    by_policy = {(i.policy_id, i.check) for i in report.issues}
    assert ("aws_iam_policy.app.policy", "no-new-access") in by_policy
    assert ("aws_s3_bucket_policy.data.policy", "undecided") in by_policy
    assert ("aws_iam_role_policy_attachment.admin.policy_arn", "undecided") in by_policy
    # the narrowed role policy passes; the new trust policy is new (accepted by default)
    assert not any(i.policy_id == "aws_iam_role_policy.jobs.policy" for i in report.issues)
    added = next(i for i in report.issues if i.check == "no-new-access")
    assert "s3:PutObject" in added.message


def test_all_reads_tf_files_and_counts_their_policies(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "fixtures")
    for name in ("documents.tf", "inline.tf"):
        write(repo, name, (FIXTURES / name).read_text())
    commit(repo)
    report = check(repo, all_files=True)
    counts = {f.path: len(f.policies) for f in report.files}
    assert counts == {"documents.tf": 6, "inline.tf": 6}
    # the public bucket policy is found through the table's resource type
    assert any(
        i.check == "public-access" and i.policy_id == "aws_s3_bucket_policy.data.policy"
        for i in report.issues
    )


def test_variables_of_the_folder_are_part_of_what_a_value_depends_on(tmp_path: Path) -> None:
    """`var.bucket` declared in variables.tf: an unrelated change to main.tf passes (the same
    value on both sides); a new default in variables.tf, or a value in terraform.tfvars, is a
    new value of the policy in main.tf."""
    repo = make_repo(tmp_path / "module")
    main = MAIN.split("data ", 1)[1]
    write(repo, "main.tf", "data " + main)
    write(repo, "variables.tf", 'variable "bucket" {\n  default = "example-data"\n}\n')
    commit(repo)
    write(repo, "main.tf", "data " + main + '\noutput "x" {\n  value = 1\n}\n')
    assert check(repo).exit_code == 0, issues(check(repo))
    write(repo, "variables.tf", 'variable "bucket" {\n  default = "*"\n}\n')
    report = check(repo, "main.tf")
    assert report.exit_code == 1 and {i.check for i in report.issues} == {"no-new-access"}
    write(repo, "variables.tf", 'variable "bucket" {\n  default = "example-data"\n}\n')
    write(repo, "terraform.tfvars", 'bucket = "*"\n')
    assert check(repo, "main.tf").exit_code == 1


def test_a_changed_default_in_variables_tf_alone_checks_the_folder(tmp_path: Path) -> None:
    """Only variables.tf is staged (as a hook sees it), yet `var.bucket` now defaults to `*`:
    the policies of main.tf that use it are checked, and main.tf is reported."""
    repo = make_repo(tmp_path / "module")
    main = "data " + MAIN.split("data ", 1)[1]
    write(repo, "main.tf", main)
    write(repo, "variables.tf", 'variable "bucket" {\n  default = "example-data"\n}\n')
    write(repo, "README.md", "module\n")
    commit(repo)
    write(repo, "variables.tf", 'variable "bucket" {\n  default = "*"\n}\n')
    git(repo, "add", "variables.tf")
    hook = run(RunOptions(jobs=1), cwd=str(repo), environ={"PRE_COMMIT": "1"}, today=TODAY)
    assert hook.exit_code == 1
    assert {(i.location.path, i.check) for i in hook.issues} == {("main.tf", "no-new-access")}
    assert check(repo, "variables.tf").exit_code == 1  # as pre-commit passes it
    write(
        repo,
        "variables.tf",
        'variable "bucket" {\n  default = "example-data"\n  type = string\n}\n',
    )
    git(repo, "add", "variables.tf")
    clean = run(RunOptions(jobs=1), cwd=str(repo), environ={"PRE_COMMIT": "1"}, today=TODAY)
    assert clean.exit_code == 1  # the variable's block changed: its value may have
    write(repo, "variables.tf", 'variable "bucket" {\n  default = "example-data"\n}\n')
    write(repo, "README.md", "module, changed\n")
    git(repo, "add", "--all")
    quiet = run(RunOptions(jobs=1), cwd=str(repo), environ={"PRE_COMMIT": "1"}, today=TODAY)
    assert quiet.exit_code == 0 and quiet.files == ()


BOUNDARY = (
    'resource "aws_iam_role" "app" {\n  name = "app"\n  assume_role_policy = jsonencode({\n'
    '    Version = "2012-10-17"\n    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole",'
    ' Principal = { Service = "ec2.amazonaws.com" } }]\n  })\n%s}\n'
)


@pytest.mark.parametrize(
    ("before", "after", "outcome"),
    [
        ("", '  permissions_boundary = "arn:aws:iam::111122223333:policy/limit"\n', 0),
        ('  permissions_boundary = "arn:aws:iam::111122223333:policy/limit"\n', "", 2),
        (
            '  permissions_boundary = "arn:aws:iam::111122223333:policy/limit"\n',
            '  permissions_boundary = "arn:aws:iam::111122223333:policy/wider"\n',
            2,
        ),
    ],
)
def test_a_permissions_boundary_removed_or_replaced_is_unknown_access(
    tmp_path: Path, before: str, after: str, outcome: int
) -> None:
    """A boundary only limits: adding one grants nothing; removing or replacing one may."""
    repo = make_repo(tmp_path / "role")
    write(repo, "role.tf", BOUNDARY % before)
    commit(repo)
    write(repo, "role.tf", BOUNDARY % after)
    report = check(repo, "role.tf", config=None)
    codes = [(i.check, i.message) for i in report.issues]
    assert report.exit_code == outcome, codes
    if outcome == 2:
        assert any("permissions boundary" in message for _, message in codes)


TRUST = """\
data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
"""


def test_an_account_id_in_a_principal_is_read_as_each_account_that_matters(tmp_path: Path) -> None:
    """The account the deployment runs in, in a trust policy's Principal (IAM takes no variable
    there): one account the policy does not name stands for all of them, so the checks are
    exact; a new trusted account is new access, and the policy is not public."""
    repo = make_repo(tmp_path / "trust")
    write(repo, "iam.tf", TRUST)
    commit(repo)
    assert check(repo, all_files=True).exit_code == 0, issues(check(repo, all_files=True))
    wider = TRUST.replace(':root"]', ':root", "arn:aws:iam::444455556666:root"]')
    write(repo, "iam.tf", wider)
    report = check(repo)
    assert report.exit_code == 1, issues(report)
    (found,) = report.issues
    assert found.check == "no-new-access" and "444455556666" in found.message
    assert "`${data.aws_caller_identity.current.account_id}` = " in found.message
    commit(repo)
    write(repo, "iam.tf", TRUST)
    assert check(repo).exit_code == 0  # narrower for every account


def test_an_account_id_next_to_a_wildcard_stays_undecided(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "trust")
    write(repo, "iam.tf", TRUST)
    commit(repo)
    pattern = TRUST.replace(
        "    principals {",
        '    condition {\n      test     = "ArnLike"\n      variable = "aws:PrincipalArn"\n'
        '      values   = ["arn:aws:iam::1*:role/admin"]\n    }\n    principals {',
    )
    write(repo, "iam.tf", pattern)
    report = check(repo)
    assert report.exit_code == 2
    assert any("Principal" in i.message for i in report.issues), issues(report)


UNREADABLE = """
resource "aws_iam_policy" "templated" {
  name   = "templated"
  policy = "%{if true}x%{endif}"
}
"""


def test_an_unreadable_policy_left_as_it_was_does_not_hold_up_its_neighbours(repo: Path) -> None:
    """A policy Terraform's reader cannot read is undecided when new or changed; committed
    already and untouched, it is not a base IAM would refuse (that rule is for documents), so a
    narrowing elsewhere in the file passes."""
    write(repo, "main.tf", MAIN + UNREADABLE)
    report = check(repo)
    assert report.exit_code == 2
    assert any("template directive" in i.message for i in report.issues)
    commit(repo)
    write(
        repo,
        "main.tf",
        MAIN.replace('"s3:GetObject", "s3:ListBucket"', '"s3:GetObject"') + UNREADABLE,
    )
    report = check(repo)
    assert report.exit_code == 0, issues(report)
