"""Terraform's JSON syntax (`.tf.json`, CDK for Terraform's `cdk.tf.json`): read as the HCL it
stands for — the same policies, unknown values and rules as a `.tf` file — with findings at the
JSON line; in real git repositories with both solvers."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from gitrepo import commit, isolated_git, make_repo, write

from policy_guard.errors import InputError
from policy_guard.sources import read_policies
from policy_guard.sources.terraform_unknowns import MARK
from policy_guard.workflow.results import RunReport
from policy_guard.workflow.runner import RunOptions, run

pytestmark = pytest.mark.usefixtures("isolated_git")
__all__ = ["isolated_git"]

FIXTURE = Path(__file__).parents[1] / "fixtures" / "terraform" / "cdktf.out"
STACK = "cdktf.out/stacks/app/cdk.tf.json"
TODAY = date(2025, 6, 1)
DOCUMENT = "data.aws_iam_policy_document.app_ReadDocument_4A1F2B3C"

HCL = FIXTURE.parent / "cdktf_app.tf"  # the stack as HCL: either syntax reads the same


def stack_text() -> str:
    return (FIXTURE / "stacks" / "app" / "cdk.tf.json").read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_the_cdktf_stack_reads_as_its_hcl_does() -> None:
    from_json = {f.policy_id: f for f in read_policies(stack_text().encode(), STACK)}
    from_hcl = {f.policy_id: f for f in read_policies(HCL.read_bytes(), "main.tf")}
    assert set(from_json) == set(from_hcl)
    for policy_id, found in from_json.items():
        other = from_hcl[policy_id]
        assert found.document.value == other.document.value, policy_id
        assert (found.policy_type, found.resource_type) == (other.policy_type, other.resource_type)
        assert found.terraform_unknowns.keys() == other.terraform_unknowns.keys()
        assert found.problem is None
    assert set(from_json) >= {
        DOCUMENT,
        "aws_iam_role.app_Role_5E6F7A8B.assume_role_policy",
        "aws_s3_bucket_policy.app_DataPolicy_2D3E4F5A.policy",
    }


def test_findings_point_at_json_lines() -> None:
    text = stack_text()
    found = {f.policy_id: f for f in read_policies(text.encode(), STACK)}
    document = found[DOCUMENT].document
    assert (
        document.span_of(("Statement", 1)).line
        == line_of(text, '"actions": [\n              "logs') - 1
    )
    assert document.span_of(("Statement", 0, "Resource", 1)).line == line_of(text, '.arn}/*"')
    # a block's position is its object's (the first of a `condition` list)
    assert document.span_of(("Statement", 1, "Condition")).line == line_of(text, '"condition"') + 1
    bucket = found["aws_s3_bucket_policy.app_DataPolicy_2D3E4F5A.policy"]
    assert bucket.line == line_of(text, '"policy": "{')


def tf_json(resources: dict[str, Any], **top: Any) -> str:
    return json.dumps({"resource": resources, **top}, indent=2) + "\n"


def policy_resource(document: Any) -> dict[str, Any]:
    return {"aws_iam_policy": {"app": {"name": "app", "policy": document}}}


def test_literal_strings_are_exact_and_interpolations_are_unknown() -> None:
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
        }
    )
    (found,) = read_policies(tf_json(policy_resource(document)).encode(), "a.tf.json")
    assert found.document.value["Statement"][0]["Action"] == "s3:GetObject"
    assert not found.terraform_unknowns
    templated = (
        '${jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", '
        'Action = "s3:GetObject", Resource = "arn:aws:s3:::${var.bucket}/*"}]})}'
    )
    (found,) = read_policies(tf_json(policy_resource(templated)).encode(), "a.tf.json")
    assert (
        found.document.value["Statement"][0]["Resource"] == f"arn:aws:s3:::{MARK}{{var.bucket}}/*"
    )
    assert list(found.terraform_unknowns) == ["var.bucket"]
    (whole,) = read_policies(tf_json(policy_resource("${var.policy}")).encode(), "a.tf.json")
    assert whole.problem is not None and "known only when Terraform runs" in whole.problem
    escaped = document.replace("*", "arn:aws:s3:::$${aws:username}")
    (found,) = read_policies(tf_json(policy_resource(escaped)).encode(), "a.tf.json")
    assert found.document.value["Statement"][0]["Resource"] == "arn:aws:s3:::${aws:username}"


def test_an_unclosed_interpolation_is_an_error_at_its_line() -> None:
    text = tf_json(policy_resource("${jsonencode({Statement = []}"))
    with pytest.raises(InputError) as raised:
        read_policies(text.encode(), "a.tf.json")
    assert raised.value.line == line_of(text, '"policy"')


def test_a_moved_block_and_a_dynamic_statement() -> None:
    text = json.dumps(
        {
            "data": {
                "aws_iam_policy_document": {
                    "doc": {
                        "dynamic": {
                            "statement": {
                                "for_each": "${var.buckets}",
                                "content": {"actions": ["s3:GetObject"], "resources": ["*"]},
                            }
                        }
                    }
                }
            },
            "resource": {
                "aws_iam_policy": {"svc": {"policy": "${data.aws_iam_policy_document.doc.json}"}}
            },
            "moved": [{"from": "aws_iam_policy.app", "to": "aws_iam_policy.svc"}],
        },
        indent=1,
    )
    (found,) = read_policies(text.encode(), "a.tf.json")
    assert found.policy_id == "data.aws_iam_policy_document.doc"
    assert any(name.startswith("dynamic_statement") for name in found.terraform_unknowns)
    moved = {
        "resource": policy_resource('{"Statement": []}'),
        "moved": {"from": "aws_iam_policy.old", "to": "aws_iam_policy.app"},
    }
    (found,) = read_policies(json.dumps(moved).encode(), "a.tf.json")
    assert found.renamed_from == "aws_iam_policy.old.policy"


# --- in git -------------------------------------------------------------------------------------


def check(repo: Path) -> RunReport:
    return run(RunOptions(jobs=1), cwd=str(repo), environ={}, today=TODAY)


@pytest.fixture(params=["z3", "cvc5"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = make_repo(tmp_path / "repo")
    write(path, ".policy-guard.yaml", f"solver: {request.param}\n")
    write(path, STACK, stack_text())
    commit(path, "synth")
    return path


def test_a_widened_cdktf_statement_fails_at_its_json_line(repo: Path) -> None:
    text = stack_text().replace('"logs:PutLogEvents"', '"logs:PutLogEvents", "logs:DeleteLogGroup"')
    write(repo, STACK, text)
    report = check(repo)
    (issue,) = report.issues
    assert (issue.check, issue.policy_id, issue.statement_id) == ("no-new-access", DOCUMENT, "Logs")
    assert issue.location.path == STACK
    # at the Action entry that adds the access (issue 9: findings point at the element)
    assert issue.location.line == line_of(text, '"logs:DeleteLogGroup"')
    assert "logs:DeleteLogGroup" in issue.message and report.exit_code == 1


def test_a_narrowed_cdktf_stack_passes_and_all_counts_its_policies(repo: Path) -> None:
    write(repo, STACK, stack_text().replace('"s3:GetObject",\n', ""))
    assert check(repo).issues == ()
    report = run(RunOptions(jobs=1, all_files=True), cwd=str(repo), environ={}, today=TODAY)
    (file,) = report.files
    assert len(file.policies) == 3 and report.exit_code == 0  # the boundary is no policy


def test_a_changed_bucket_reference_follows_the_unknown_value_rule(repo: Path) -> None:
    """`${aws_s3_bucket...arn}` is one value while the bucket's block is unchanged; a new
    bucket name makes it another value: the statement is compared with an unrelated one."""
    text = stack_text().replace('"bucket": "example-data"', '"bucket": "other-data"')
    write(repo, STACK, text)
    report = check(repo)
    assert {i.statement_id for i in report.issues if i.check == "no-new-access"} == {"Read"}


def test_every_block_form_is_read_never_skipped() -> None:
    """Terraform's JSON takes a list where an object would do, at each level of a block."""
    document = json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    forms = [
        {"resource": {"aws_iam_policy": {"a": {"policy": document}}}},
        {"resource": [{"aws_iam_policy": {"a": {"policy": document}}}]},
        {"resource": {"aws_iam_policy": [{"a": {"policy": document}}]}},
        {"resource": {"aws_iam_policy": {"a": [{"policy": document}]}}},
    ]
    for form in forms:
        (found,) = read_policies(json.dumps(form).encode(), "a.tf.json")
        assert found.policy_id == "aws_iam_policy.a.policy"
        assert found.document.value["Statement"][0]["Action"] == "s3:*"
