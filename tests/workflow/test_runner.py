"""The runner on real git repositories: which files, which checks, which issues, which exit code.

The engine-independent behaviour (file selection, parse errors, validation, waivers, pairing,
issue construction) is tested with the real runner; where the runner's handling of an engine
answer is the subject, a stand-in engine returns a fixed CheckResult. The last tests use the
real engine end to end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from gitrepo import commit, git, isolated_git, make_repo, policy, statement, write

from policy_guard.checks import access_not_granted, external_access, no_new_access, public_access
from policy_guard.checks.results import CheckResult, Outcome, Reason
from policy_guard.encode import memory
from policy_guard.errors import InputError, UndecidedError
from policy_guard.policy.model import Policy
from policy_guard.semantics.request import Request
from policy_guard.workflow import budgets, comparison, runner
from policy_guard.workflow.budgets import RunBudget
from policy_guard.workflow.file_checks import CheckContext, FileTask
from policy_guard.workflow.results import FileReport, RunReport, Severity
from policy_guard.workflow.runner import RunOptions, run

pytestmark = pytest.mark.usefixtures("isolated_git")
__all__ = ["isolated_git"]

TODAY = date(2025, 6, 1)
READ = statement(["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::data*", sid="Read")
DELETE = statement("s3:DeleteBucket", "arn:aws:s3:::data", sid="Delete")


def check(
    repo: Path, *files: str, environ: dict[str, str] | None = None, **options: Any
) -> RunReport:
    return run(
        RunOptions(files=files, jobs=1, **options),
        cwd=str(repo),
        environ=environ or {},
        today=TODAY,
    )


def only(report: RunReport) -> FileReport:
    assert len(report.files) == 1, report.files
    return report.files[0]


def checks_of(report: RunReport) -> list[tuple[str, str, int]]:
    return [(i.check, i.location.path, i.location.line) for i in report.issues]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = make_repo(tmp_path / "repo")
    write(path, "iam/app.json", policy(READ))
    write(path, "package.json", '{"name": "not a policy"}\n')
    write(path, "notes.yaml", "a: 1\n")
    commit(path, "first")
    return path


# --- which files ------------------------------------------------------------------------------


def test_nothing_changed_or_no_policy_changed_is_an_empty_pass(repo: Path) -> None:
    assert check(repo).files == ()
    write(repo, "package.json", '{"name": "still not a policy", "Version": 2}\n')
    report = check(repo)
    assert report.files == () and report.exit_code == 0
    assert check(repo, "package.json", "notes.yaml").files == ()


def test_a_statement_key_behind_an_escape_is_still_a_policy(repo: Path) -> None:
    text = policy(dict(READ, Effect="Alow")).replace('"Statement"', '"\\u0053tatement"')
    write(repo, "iam/escaped.json", text)
    assert "Statement" not in text
    assert [i.check for i in check(repo).issues] == ["validation"]


def test_reformatting_only_passes_without_asking_the_engine(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_engine(monkeypatch, None)
    write(repo, "iam/app.json", policy(READ, indent=None))
    report = check(repo, "iam/app.json")
    assert only(report).status == "modified"
    assert report.issues == () and report.exit_code == 0


def test_renamed_file_is_paired_with_its_old_path(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_engine(monkeypatch, None)
    (repo / "policies").mkdir()
    git(repo, "mv", "iam/app.json", "policies/app règle.json")
    for report in (
        check(repo),
        check(repo, "policies/app règle.json"),
        check(repo, environ={"PRE_COMMIT": "1"}),
    ):
        file = only(report)
        assert (file.path, file.status, file.old_path) == (
            "policies/app règle.json",
            "renamed",
            "iam/app.json",
        )
        assert report.issues == ()  # same policy: nothing for the engine to do


def test_deleted_policy_needs_nothing(repo: Path) -> None:
    git(repo, "rm", "--quiet", "iam/app.json")
    assert check(repo).files == ()


def test_a_folder_stands_for_its_files_and_a_missing_file_is_an_error(repo: Path) -> None:
    write(repo, "iam/sub/new.json", policy(READ))
    report = check(repo, "iam")
    assert [(f.path, f.status) for f in report.files] == [
        ("iam/app.json", "unchanged"),
        ("iam/sub/new.json", "added"),
    ]
    with pytest.raises(InputError, match="no such file"):
        check(repo, "iam/typo.json")


def test_include_and_exclude_choose_the_files(repo: Path) -> None:
    write(repo, ".policy-guard.yaml", "include: ['iam/**']\nexclude: ['iam/skip/**']\n")
    write(repo, "iam/skip/bad.json", '{"Statement": [\n')
    write(repo, "elsewhere/bad.json", '{"Statement": [\n')
    write(repo, "iam/bad.json", '{"Statement": [\n')
    assert checks_of(check(repo)) == [("parse-error", "iam/bad.json", 2)]


def test_all_checks_every_policy_file_without_a_base(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_engine(monkeypatch, None)  # no-new-access must not run
    write(repo, "iam/app.json", policy(READ, DELETE))
    write(
        repo,
        "untracked/new.yaml",
        "Version: '2012-10-17'\nStatement:\n"
        "  - Effect: Allow\n    Action: s3:GetObject\n    Resource: '*'\n",
    )
    report = check(repo, all_files=True)
    assert [(f.path, f.status) for f in report.files] == [
        ("iam/app.json", "unchanged"),
        ("untracked/new.yaml", "unchanged"),
    ]
    assert report.base is None and report.exit_code == 0
    with pytest.raises(InputError, match="--all"):
        check(repo, "iam/app.json", all_files=True)


def test_outside_a_repository_files_are_new_and_all_walks_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    write(folder, "p.json", policy(READ))
    write(folder, ".hidden/p.json", policy(READ))
    write(folder, "bad.json", '{"Statement": ]}')
    assert [f.path for f in check(folder, all_files=True).files] == ["bad.json", "p.json"]
    assert only(check(folder, "p.json")).status == "added"
    with pytest.raises(InputError, match="not in a git repository"):
        check(folder)


# --- parse errors and validation --------------------------------------------------------------


def test_a_policy_broken_by_the_change_is_a_parse_error_with_its_position(repo: Path) -> None:
    write(repo, "iam/app.json", '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {,}\n]}\n')
    report = check(repo, "iam/app.json")
    issue = report.issues[0]
    assert (issue.check, issue.location.path, issue.location.line) == (
        "parse-error",
        "iam/app.json",
        4,
    )
    assert "invalid JSON" in issue.message and report.exit_code == 1


def test_a_policy_that_stops_being_a_policy_is_reported(repo: Path) -> None:
    write(repo, "iam/app.json", '{"Version": "2012-10-17", "Statements": []}\n')
    issue = only(check(repo)).issues[0]
    assert issue.check == "parse-error"
    assert "was a policy at the base" in issue.message


def test_policies_named_in_the_configuration_must_be_policies(repo: Path) -> None:
    write(repo, ".policy-guard.yaml", "policies: ['named/*.yaml']\n")
    write(repo, "named/p.yaml", "just: text\n")
    write(repo, "other/p.yaml", "just: text\n")
    write(repo, "other/broken.yaml", "a: [\n")
    assert checks_of(check(repo)) == [("parse-error", "named/p.yaml", 1)]


def test_validation_errors_carry_position_and_statement(repo: Path) -> None:
    broken = dict(DELETE, Effect="Alow")
    write(repo, "iam/app.json", policy(READ, broken))
    report = check(repo)
    issue, undecided = report.issues
    assert (issue.check, issue.severity, issue.statement_index, issue.statement_id) == (
        "validation",
        Severity.ERROR,
        1,
        "Delete",
    )
    text = (repo / "iam/app.json").read_text().splitlines()
    assert '"Alow"' in text[issue.location.line - 1]
    # the other checks did not run on a policy IAM would refuse: undecided, never a pass
    assert undecided.check == "undecided" and "`no-new-access` not checked" in undecided.message
    assert f"INVALID_EFFECT at line {issue.location.line}" in undecided.message
    assert report.exit_code == 2


def test_without_validation_an_unloadable_policy_is_still_an_error(repo: Path) -> None:
    write(repo, ".policy-guard.yaml", "checks:\n  validation: off\n")
    write(repo, "iam/app.json", policy(READ, dict(DELETE, Effect="Alow")))
    issue, undecided = check(repo).issues
    assert issue.check == "parse-error" and "cannot be checked" in issue.message
    assert undecided.check == "undecided"


def test_validation_as_warning_does_not_fail_but_the_policy_is_not_passed(repo: Path) -> None:
    write(repo, ".policy-guard.yaml", "checks:\n  validation: warning\n")
    write(repo, "iam/app.json", policy(READ, dict(DELETE, Effect="Alow")))
    report = check(repo)
    assert sorted(i.check for i in report.issues) == ["parse-error", "undecided", "validation"]
    assert report.exit_code == 2


# --- waivers and report-only ------------------------------------------------------------------


def test_waivers_by_path_check_and_statement(repo: Path) -> None:
    write(repo, "iam/app.json", policy(dict(READ, Effect="Alow"), dict(DELETE, Effect="Alow")))
    write(
        repo,
        ".policy-guard.yaml",
        "waivers:\n  - path: 'iam/*.json'\n    check: validation\n    statement: Read\n"
        "    reason: known\n",
    )
    report = check(repo, all_files=True)
    waived = {i.statement_id: i.waived_by for i in report.issues}
    assert waived == {"Read": "known", "Delete": None}
    assert report.counts()["waived"] == 1 and report.exit_code == 1


def test_an_expired_waiver_waives_nothing_and_is_reported_at_its_line(repo: Path) -> None:
    write(repo, "iam/app.json", policy(dict(READ, Effect="Alow")))
    write(
        repo,
        ".policy-guard.yaml",
        "solver: z3\nwaivers:\n  - path: 'iam/*.json'\n    check: validation\n"
        "    reason: known\n    expires: 2025-05-31\n",
    )
    report = check(repo, all_files=True)
    assert sorted(checks_of(report)) == [
        ("expired-waiver", ".policy-guard.yaml", 3),
        ("validation", "iam/app.json", 6),
    ]
    assert all(i.waived_by is None for i in report.issues) and report.exit_code == 1
    on_the_last_day = run(
        RunOptions(all_files=True, jobs=1), cwd=str(repo), environ={}, today=date(2025, 5, 31)
    )
    assert [i.waived_by for i in on_the_last_day.issues] == ["known"]


def test_an_unreadable_file_is_undecided_and_the_others_are_still_checked(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = comparison.read_worktree_file

    def unreadable_app(root: str, path: str) -> bytes | None:
        if path == "iam/app.json":
            raise InputError("cannot read the file: Permission denied", filename=path)
        return real(root, path)

    monkeypatch.setattr(runner, "read_worktree_file", unreadable_app)
    write(repo, "iam/other.json", policy(dict(READ, Effect="Alow")))
    report = check(repo, all_files=True)
    assert [(i.check, i.location.path) for i in report.issues] == [
        ("undecided", "iam/app.json"),
        ("validation", "iam/other.json"),
    ]
    assert "Permission denied" in report.issues[0].message and report.exit_code == 2


def test_report_only_exits_zero_with_findings(repo: Path) -> None:
    write(repo, ".policy-guard.yaml", "report_only: true\n")
    write(repo, "iam/app.json", '{"Statement": [}\n')
    report = check(repo)
    assert report.issues and report.exit_code == 0


# --- the engine's answers, as the runner turns them into issues ---------------------------------


def _no_engine(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the engine must not be needed here")


ENGINE_CHECKS = (
    (no_new_access, "check_no_new_access"),
    (access_not_granted, "check_access_not_granted"),
    (public_access, "check_no_public_access"),
    (external_access, "check_no_external_access"),
)


def use_engine(monkeypatch: pytest.MonkeyPatch, engine: Any) -> None:
    """Every check's engine function answered by `engine` (a fake, or `None` for one that must
    not be called): the workflow imports each check's function when it runs it."""
    for module, name in ENGINE_CHECKS:
        monkeypatch.setattr(module, name, getattr(engine, name, _no_engine))


class FakeEngine:
    """Stands in for the checks' engine functions: a fixed answer, or UndecidedError."""

    def __init__(self, result: CheckResult, undecided_in: str = "") -> None:
        self.result = result
        self.undecided_in = undecided_in
        self.calls: list[tuple[str, str]] = []
        self.EngineOptions = lambda **kwargs: SimpleNamespace(**kwargs)
        self.Access = lambda **kwargs: SimpleNamespace(**kwargs)

    def answer(self, name: str, policy: Policy) -> CheckResult:
        self.calls.append((name, policy.filename))
        if self.undecided_in and self.undecided_in in policy.filename:
            raise UndecidedError("timed out after 1 s")
        return self.result

    def check_no_new_access(self, old: Policy, new: Policy, options: Any) -> CheckResult:
        assert (options.solver, options.timeout) == ("z3", 60.0)
        return self.answer("check_no_new_access", new)

    def check_access_not_granted(self, policy: Policy, access: Any, options: Any) -> CheckResult:
        assert access.actions == ("s3:DeleteBucket",)
        return self.answer("check_access_not_granted", policy)


class FakeResourceEngine(FakeEngine):
    """A stand-in that also has the resource-policy checks."""

    def check_no_public_access(
        self, policy: Policy, resource_type: str, options: Any
    ) -> CheckResult:
        return self.answer(f"check_no_public_access {resource_type}", policy)

    def check_no_external_access(
        self,
        policy: Policy,
        *,
        trusted_accounts: tuple[str, ...],
        trusted_organization: str | None,
        options: Any,
    ) -> CheckResult:
        assert (trusted_accounts, trusted_organization) == (("111122223333",), None)
        return self.answer("check_no_external_access", policy)


NEW_ACCESS = CheckResult(
    "no-new-access",
    Outcome.FAIL,
    "The modified permissions grant new access compared to your existing policy.",
    (
        Reason(
            "New access in the statement with index: 1.",
            1,
            "Delete",
            Request("s3:DeleteBucket", "arn:aws:s3:::data"),
            ("Statement", 1),
        ),
    ),
)


def test_engine_reasons_become_issues_at_the_statement(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeEngine(NEW_ACCESS)
    use_engine(monkeypatch, fake)
    write(repo, "iam/app.json", policy(READ, DELETE))
    report = check(repo, environ={"PRE_COMMIT": "1"})
    assert report.issues == ()  # the hook compares the index: nothing is staged yet
    git(repo, "add", "iam/app.json")
    report = check(repo, environ={"PRE_COMMIT": "1"})
    (issue,) = report.issues
    lines = (repo / "iam/app.json").read_text().splitlines()
    assert issue.check == "no-new-access" and issue.severity is Severity.ERROR
    assert (issue.statement_index, issue.statement_id) == (1, "Delete")
    assert (
        lines[issue.location.line - 1].strip() == "{" and '"Delete"' in lines[issue.location.line]
    )
    assert issue.counterexample == Request("s3:DeleteBucket", "arn:aws:s3:::data")
    assert "`s3:DeleteBucket`" in issue.message and "`arn:aws:s3:::data`" in issue.message
    assert issue.aws_message is not None and "index: 1" in issue.aws_message
    assert report.base == git(repo, "rev-parse", "HEAD").strip() and report.exit_code == 1


def test_an_undecided_check_is_reported_after_everything_else(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeEngine(CheckResult("no-new-access", Outcome.PASS, "ok"), undecided_in="slow")
    use_engine(monkeypatch, fake)
    for name in ("a", "slow", "z"):
        write(repo, f"iam/{name}.json", policy(READ))
    commit(repo)
    for name in ("a", "slow", "z"):
        write(repo, f"iam/{name}.json", policy(READ, DELETE))
    report = check(repo)
    assert [c[1] for c in fake.calls] == ["iam/a.json", "iam/slow.json", "iam/z.json"]
    (issue,) = report.issues
    assert (issue.check, issue.location.path) == ("undecided", "iam/slow.json")
    assert "timed out" in issue.message and report.exit_code == 2


def test_critical_permissions_use_the_configured_entries(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = CheckResult(
        "access-not-granted",
        Outcome.FAIL,
        "The policy grants access.",
        (
            Reason(
                "Access granted in the statement with index: 0.",
                0,
                None,
                Request("s3:DeleteBucket", "*"),
                ("Statement", 0),
            ),
        ),
    )
    fake = FakeEngine(result)
    use_engine(monkeypatch, fake)
    write(
        repo,
        ".policy-guard.yaml",
        "critical_permissions:\n  - id: keep-buckets\n"
        "    description: never delete buckets\n    actions: s3:DeleteBucket\n",
    )
    report = check(repo, all_files=True)
    (issue,) = report.issues
    assert issue.check == "critical-permission" and "`keep-buckets`" in issue.message
    assert fake.calls == [("check_access_not_granted", "iam/app.json")]


RESOURCE_CONFIG = """\
public_access:
  resource_types:
    "buckets/**": AWS::S3::Bucket
trusted_accounts: ["111122223333"]
"""
BUCKET = statement("s3:GetObject", "arn:aws:s3:::data/*", sid="Public", Principal="*")


def test_public_and_external_access_run_on_resource_policies_only(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeResourceEngine(CheckResult("no-public-access", Outcome.PASS, "ok"))
    use_engine(monkeypatch, fake)
    write(repo, ".policy-guard.yaml", RESOURCE_CONFIG)
    write(repo, "buckets/data.json", policy(BUCKET))
    write(repo, "other/queue.json", policy(BUCKET))
    report = check(repo, all_files=True)
    assert report.exit_code == 0
    assert sorted(fake.calls) == [
        ("check_no_external_access", "buckets/data.json"),
        ("check_no_external_access", "other/queue.json"),
        ("check_no_public_access AWS::S3::Bucket", "buckets/data.json"),
    ]


def test_new_files_fail_and_accept(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_engine(monkeypatch, None)
    write(repo, "iam/new.json", policy(DELETE))
    assert check(repo).issues == ()  # accept: only the checks that need no base
    write(repo, ".policy-guard.yaml", "new_files: fail\n")
    (issue,) = check(repo).issues
    assert (issue.check, issue.location.path) == ("no-new-access", "iam/new.json")


def test_the_engine_missing_is_undecided_never_a_pass(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(*args: Any, **kwargs: Any) -> Any:
        raise UndecidedError("the solver engine is not available")

    use_engine(monkeypatch, SimpleNamespace(check_no_new_access=missing))
    write(repo, "iam/app.json", policy(READ, DELETE))
    report = check(repo)
    assert [i.check for i in report.issues] == ["undecided"] and report.exit_code == 2


def test_parallel_sweep_matches_the_serial_one(repo: Path) -> None:
    for i in range(20):
        effect = "Alow" if i % 3 == 0 else "Allow"
        write(repo, f"many/p{i:02}.json", policy(dict(READ, Effect=effect)))
    serial = check(repo, all_files=True)
    parallel = run(RunOptions(all_files=True, jobs=2), cwd=str(repo), environ={}, today=TODAY)
    assert parallel == serial
    assert len(serial.files) == 21 and len(serial.issues) == 7


def _dies_on_p07(task: FileTask, context: CheckContext, limits: RunBudget) -> FileReport | None:
    """A sweep worker's check that ends its process on one file (as the kernel ends a process
    out of memory); module level, so the worker processes can be handed it."""
    if task.path.endswith("p07.json"):
        os.kill(os.getpid(), signal.SIGKILL)
    return budgets.check_within(task, context, limits)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_a_sweep_worker_that_dies_leaves_its_files_undecided_never_passed(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(20):
        write(repo, f"many/p{i:02}.json", policy(READ))
    monkeypatch.setattr(runner, "check_within", _dies_on_p07)
    report = run(RunOptions(all_files=True, jobs=2), cwd=str(repo), environ={}, today=TODAY)
    stopped = {
        i.location.path for i in report.issues if "worker process checking it stopped" in i.message
    }
    assert "many/p07.json" in stopped
    assert {i.check for i in report.issues} == {"undecided"}
    # every policy is reported (files after the crash that hold none are undecided too)
    assert {f"many/p{i:02}.json" for i in range(20)} <= {f.path for f in report.files}
    assert report.exit_code == 2


def test_a_check_out_of_memory_is_undecided(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr(budgets, "check_file", exhausted)
    write(repo, "iam/app.json", policy(READ, DELETE))
    report = check(repo)
    assert [(i.check, i.message) for i in report.issues] == [
        ("undecided", f"not decided: {memory.out_of_memory()}")
    ]
    assert report.exit_code == 2


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is enforced on Linux")
def test_a_sweep_worker_cannot_map_more_than_its_cap() -> None:
    """`cap_this_process` (each sweep worker's start): past MEMORY_CAP_MB more than it mapped
    an allocation fails with MemoryError instead of growing until the machine kills something."""
    code = (
        "from policy_guard.encode.memory import MEMORY_CAP_MB, cap_this_process\n"
        "cap_this_process()\n"
        "bytearray((MEMORY_CAP_MB - 512) * 2**20)  # within the cap\n"
        "try:\n"
        "    bytearray((MEMORY_CAP_MB + 512) * 2**20)\n"
        "except MemoryError:\n"
        "    print('MemoryError')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["MemoryError"]


# --- with the real engine ---------------------------------------------------------------------


def test_engine_a_narrowing_passes_and_a_new_delete_bucket_fails(repo: Path) -> None:
    write(repo, "iam/app.json", policy(statement("s3:GetObject", "arn:aws:s3:::data/*")))
    assert check(repo).exit_code == 0
    write(repo, "iam/app.json", policy(READ, DELETE))
    report = check(repo)
    (issue,) = report.issues
    assert (issue.check, issue.statement_index, issue.statement_id) == (
        "no-new-access",
        1,
        "Delete",
    )
    assert issue.counterexample is not None
    assert issue.counterexample.action.lower() == "s3:deletebucket"
    assert report.exit_code == 1


def test_engine_compare_with_empty_reports_what_a_new_policy_grants(repo: Path) -> None:
    write(repo, ".policy-guard.yaml", "new_files: compare-with-empty\n")
    write(repo, "iam/new.json", policy(DELETE))
    (issue,) = check(repo).issues
    assert (issue.check, issue.location.path, issue.statement_id) == (
        "no-new-access",
        "iam/new.json",
        "Delete",
    )


# --- no way around the hook (issue 9) -----------------------------------------------------------

WIDE = statement("s3:*", "*", sid="Wide")
EVERYTHING = statement("*", "*", sid="Everything")


def head_sha(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture(params=["z3", "cvc5"])
def solver(request: pytest.FixtureRequest, repo: Path) -> str:
    """The repository's configured solver, committed."""
    write(repo, ".policy-guard.yaml", f"solver: {request.param}\n")
    commit(repo, f"solver {request.param}")
    return str(request.param)


def test_engine_a_rename_git_does_not_detect_is_compared_with_nothing(
    repo: Path, solver: str
) -> None:
    """`git mv` plus a rewrite to `s3:*` on `*`: git sees a delete and an add. The added file
    is compared with nothing (everything it grants is new), whatever `new_files` says."""
    first = head_sha(repo)
    git(repo, "mv", "iam/app.json", "iam/app2.json")
    write(repo, "iam/app2.json", policy(WIDE))
    git(repo, "add", "--all")
    hook = {"PRE_COMMIT": "1"}
    for report in (check(repo, environ=hook), check(repo, "iam/app2.json", environ=hook)):
        file = only(report)
        assert (file.path, file.status, file.old_path) == ("iam/app2.json", "added", None)
        (issue,) = report.issues
        assert (issue.check, issue.statement_id) == ("no-new-access", "Wide")
        assert "compared with nothing: the change removes a policy file" in issue.message
        assert report.exit_code == 1
    # still compared, not just flagged
    write(repo, ".policy-guard.yaml", f"solver: {solver}\nnew_files: fail\n")
    commit(repo, "renamed and widened")
    (issue,) = check(repo, base=first).issues
    assert issue.check == "no-new-access" and issue.counterexample is not None


def test_an_added_file_beside_a_removed_non_policy_is_still_new(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_engine(monkeypatch, None)  # `new_files: accept`: nothing to compare
    git(repo, "rm", "--quiet", "package.json")
    write(repo, "iam/new.json", policy(WIDE))
    git(repo, "add", "--all")
    report = check(repo, environ={"PRE_COMMIT": "1"})
    assert [(f.path, f.status) for f in report.files] == [("iam/new.json", "added")]
    assert report.issues == () and report.exit_code == 0


def test_engine_a_base_iam_would_refuse_gives_way_to_the_last_readable_version(
    repo: Path, solver: str
) -> None:
    """The base has an unknown element; the change fixes it and widens to `*` on `*`: it is
    compared with the last version IAM would accept, not passed as new."""
    write(repo, "iam/app.json", policy(dict(READ, Unknown="element")))
    broken = commit(repo, "broken (committed without the hook)")
    write(repo, "iam/app.json", policy(EVERYTHING))
    readable = git(repo, "rev-parse", "HEAD~2").strip()[:12]  # the first commit
    for report in (check(repo), check(repo, "iam/app.json"), check(repo, base=broken)):
        (issue,) = [i for i in report.issues if i.check != "validation"]  # (PassRole on *)
        assert (issue.check, issue.statement_id) == ("no-new-access", "Everything")
        assert f"against {readable}, the last version IAM would accept" in issue.message
        assert report.exit_code == 1
    write(repo, "iam/app.json", policy(READ))  # back to the last readable version: nothing new
    assert check(repo).exit_code == 0


def test_a_base_that_does_not_parse_gives_way_to_the_last_readable_version(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[Policy, Policy]] = []

    def compare(old: Policy, new: Policy, options: Any) -> CheckResult:
        compared.append((old, new))
        return CheckResult("no-new-access", Outcome.PASS, "ok")

    monkeypatch.setattr(no_new_access, "check_no_new_access", compare)
    write(repo, "iam/app.json", '{"Version": "2012-10-17", "Statement": [\n')
    commit(repo, "broken")
    write(repo, "iam/app.json", policy(EVERYTHING))
    assert check(repo).exit_code == 0
    ((old, new),) = compared
    assert [s.sid for s in old.statements] == ["Read"] and [s.sid for s in new.statements] == [
        "Everything"
    ]


def test_a_base_with_no_readable_version_is_undecided_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_engine(monkeypatch, None)
    repo = make_repo(tmp_path / "repo")
    write(
        repo, "iam/app.json", policy(dict(READ, Condition={"StringEqualz": {"aws:username": "a"}}))
    )
    commit(repo, "added broken")
    write(repo, "iam/app.json", policy(EVERYTHING))
    for report in (check(repo), check(repo, "iam/app.json")):
        (issue,) = [i for i in report.issues if i.check != "validation"]  # (PassRole on *)
        assert (
            issue.check == "undecided" and "`no-new-access` could not be decided" in issue.message
        )
        assert "INVALID_CONDITION_OPERATOR" in issue.message
        assert "no earlier version of `iam/app.json`" in issue.message
        assert report.exit_code == 2


def test_a_shallow_clone_without_the_readable_version_says_what_to_fetch(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_engine(monkeypatch, None)
    write(repo, "iam/app.json", policy(dict(READ, Unknown="element")))
    commit(repo, "broken")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{repo}", str(clone))
    write(clone, "iam/app.json", policy(EVERYTHING))
    (issue,) = [i for i in check(clone).issues if i.check != "validation"]  # (PassRole on *)
    assert issue.check == "undecided" and "shallow clone" in issue.message
    assert "fetch-depth: 0" in issue.message and check(clone).exit_code == 2


def test_a_refused_policy_is_a_validation_finding_and_its_other_checks_are_undecided(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown condition operator (ERROR-level, not structural): with validation as a
    warning, the file is still never a pass."""
    use_engine(monkeypatch, None)  # nothing may be checked as if the policy were valid
    write(repo, ".policy-guard.yaml", "checks:\n  validation: warning\n")
    unknown_operator = dict(WIDE, Condition={"StringEqualz": {"aws:username": "a"}})
    write(repo, "iam/app.json", policy(READ, unknown_operator))
    report = check(repo)
    finding, undecided = report.issues
    assert (finding.check, finding.severity) == ("validation", Severity.WARNING)
    assert "INVALID_CONDITION_OPERATOR" in finding.message
    assert undecided.check == "undecided" and "`no-new-access`" in undecided.message
    assert "IAM would refuse" in undecided.message and report.exit_code == 2
