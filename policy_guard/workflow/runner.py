"""The workflow: which files, against which base, checked serially or in worker processes.

`run` is the library entry point of `policy-guard [FILES] [--all]`: it chooses the files (the
ones given, the ones changed since the base, or every file for `--all`), reads both versions of
each through `gitbase`, checks each file with `file_checks.check_file`, and returns a RunReport.
It never prints; progress goes to an optional callback.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from policy_guard.errors import InputError
from policy_guard.workflow.base_versions import holds_policy, unreadable_base
from policy_guard.workflow.baseline import BASELINE_FILE, Baseline, apply_baseline, load_baseline
from policy_guard.workflow.budgets import RunBudget, check_within, undecided_file
from policy_guard.workflow.comparison import (
    Change,
    ChangeStatus,
    ComparedSides,
    NewSide,
    read_worktree_file,
)
from policy_guard.workflow.config import CONFIG_FILE, Config, load_config
from policy_guard.workflow.file_checks import CheckContext, FileTask
from policy_guard.workflow.results import FileReport, RunReport
from policy_guard.workflow.staged import Staged, staged_paths, toplevel
from policy_guard.workflow.terraform_folders import is_folder_file, with_folders
from policy_guard.workflow.waivers import expired_waiver_issues, unused_waiver_issues

if TYPE_CHECKING:
    from policy_guard.workflow.gitbase import GitRepository

PARALLEL_MIN_FILES = 16  # below this, starting worker processes costs more than it saves
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RunOptions:
    files: tuple[str, ...] = ()
    all_files: bool = False
    base: str | None = None
    config: str | None = None  # default: `.policy-guard.yaml` at the repository root
    jobs: int = 1
    report_only: bool = False  # findings do not fail the run (adds to the config's setting)
    base_dir: str | None = None  # compare folders with the same paths under this folder
    baseline: str | None = None  # default: `.policy-guard-baseline.json` at the root, if any
    file_timeout: float | None = None  # default: the configuration's `file_timeout`
    run_timeout: float | None = None  # default: the configuration's `run_timeout`


def run(
    options: RunOptions,
    *,
    cwd: str,
    environ: Mapping[str, str],
    today: date,
    progress: Progress | None = None,
) -> RunReport:
    """Check the policy files that `options` selects; see the module docstring."""
    started = time.time()
    if options.all_files and (options.files or options.base):
        raise InputError(
            "`--all` checks every policy file without a base: give no FILES and no `--base` with it"
        )
    comparison: ComparedSides | None
    tasks: list[FileTask]
    if options.base_dir is not None:
        return _run_folders(options, cwd, today, progress)
    staged = _staged_for_hook(options, cwd, environ)
    config = _config(options.config, staged.root, cwd) if staged is not None else None
    quiet = _config_if_none_selected(options, cwd) if staged is None else None
    root = staged.root if staged is not None else os.path.abspath(cwd)
    if (
        staged is not None
        and config is not None
        and not any(map(config.selects, staged.paths))
        and not any(map(is_folder_file, staged.paths))
    ):
        comparison, tasks = ComparedSides(staged.head, NewSide.INDEX, origin="HEAD"), []
    elif quiet is not None:
        comparison, tasks, config = None, [], quiet
    else:
        from policy_guard.workflow.gitbase import GitRepository  # GitPython: only when git is read

        repo = GitRepository.discover(cwd)
        root = repo.root if repo is not None else root
        try:
            comparison, tasks, config = _plan(options, repo, cwd, environ, config)
            changed = _changed_paths(options, repo, comparison, staged, cwd)
            tasks = _with_terraform_folders(tasks, repo, comparison, cwd, config, changed)
        finally:
            if repo is not None:
                repo.close()
    context = CheckContext(config, compare=not options.all_files, today=today)
    reports = _check(tasks, context, options.jobs, progress, _budget(options, config, started))
    about_waivers = expired_waiver_issues(config, today)
    if options.all_files:
        found = (issue for report in reports for issue in report.issues)
        about_waivers += unused_waiver_issues(config, found, today)
    if about_waivers:
        path = about_waivers[0].location.path
        reports.append(FileReport(path, "unchanged", None, (), about_waivers))
    base = comparison.base if comparison else None
    report_only = config.report_only or options.report_only
    report = RunReport(tuple(reports), base, report_only=report_only)
    baseline = _baseline(options.baseline, root, cwd) if tasks else None
    if baseline is not None:
        report = apply_baseline(
            report,
            baseline,
            every_file=options.all_files,
            exists=lambda path: os.path.lexists(os.path.join(root, path)),
        )
    return report


def _baseline(explicit: str | None, root: str, cwd: str) -> Baseline | None:
    """The baseline the run applies: `--baseline FILE` (which must exist), else the root's
    `.policy-guard-baseline.json` when there is one."""
    if explicit is None:
        return load_baseline(os.path.join(root, BASELINE_FILE), BASELINE_FILE)
    path = os.path.join(cwd, explicit)
    if not os.path.exists(path):
        raise InputError("no such baseline file", filename=explicit)
    return load_baseline(path, _display(root, path))


def _run_folders(
    options: RunOptions, cwd: str, today: date, progress: Progress | None
) -> RunReport:
    """`--base-dir`: each file below the folders FILES against the file at the same path
    below the base folder (the CI recipe for generated templates: synthesise at the base and
    at the head, then compare the two folders)."""
    if options.all_files or options.base or not options.files:
        raise InputError(
            "`--base-dir DIR` compares the folders FILES: give them, without `--all` or `--base`"
        )
    base = os.path.join(cwd, options.base_dir or "")
    if not os.path.isdir(base):
        raise InputError("`--base-dir` must be a folder", filename=options.base_dir)
    config = _config(options.config, cwd, cwd)
    base_name = (options.base_dir or "").rstrip("/")
    tasks = []
    for name in options.files:
        top = os.path.join(cwd, name)
        if not os.path.isdir(top):
            raise InputError("with `--base-dir`, FILES are folders", filename=name)
        for relative in sorted(_walk(top)):
            if not config.selects(relative):
                continue
            shown = f"{name.rstrip('/')}/{relative}"
            new, problem = _read(partial(read_worktree_file, top, relative))
            if problem is not None or new is None:
                why = problem or "it is not a regular file"
                tasks.append(FileTask(shown, "modified", b"", unreadable=why))
                continue
            old, _ = _read(partial(read_worktree_file, base, relative))
            status = "added" if old is None else "unchanged" if old == new else "modified"
            old_shown = f"{base_name}/{relative}" if old is not None else None
            tasks.append(FileTask(shown, status, new, old_shown, old))
    context = CheckContext(config, compare=True, today=today)
    limits = _budget(options, config, time.time())
    reports = _check(tasks, context, options.jobs, progress, limits)
    return RunReport(tuple(reports), None, report_only=config.report_only or options.report_only)


def _staged_for_hook(options: RunOptions, cwd: str, environ: Mapping[str, str]) -> Staged | None:
    """What a hook run compares, read with plain git (`staged`), when the run compares the
    index with HEAD (the same conditions as `GitRepository.compare` choosing them); None
    otherwise. A commit that stages no candidate policy file then needs nothing more."""
    if (
        options.files
        or options.all_files
        or options.base
        or environ.get("PRE_COMMIT") != "1"
        or environ.get("PRE_COMMIT_FROM_REF")
        or environ.get("GITHUB_ACTIONS") == "true"
    ):
        return None
    return staged_paths(cwd)


def _config_if_none_selected(options: RunOptions, cwd: str) -> Config | None:
    """The configuration, when FILES are given (pre-commit passes every staged text file, as
    templates and AWS CLI output may have any extension) and none of them is selected: the run
    then reads nothing more. None otherwise (also outside a work tree)."""
    if not options.files or options.all_files:
        return None
    root = toplevel(cwd)
    if root is None:
        return None
    config = _config(options.config, root, cwd)
    for name in options.files:
        path = _relative(root, cwd, name)
        full = os.path.join(root, path)
        if not os.path.lexists(full) or os.path.isdir(full) or config.selects(path):
            return None  # (a FILE that does not exist is an error: the full path says so)
        if is_folder_file(path):  # a `.tfvars` change can widen its folder's policies
            return None
    return config


def _plan(
    options: RunOptions,
    repo: GitRepository | None,
    cwd: str,
    environ: Mapping[str, str],
    config: Config | None = None,
) -> tuple[ComparedSides | None, list[FileTask], Config]:
    """What to compare with, the files to check (contents read), and the configuration (loaded
    here unless the hook's quick look already did)."""
    root = repo.root if repo is not None else os.path.abspath(cwd)
    if config is None:
        config = _config(options.config, root, cwd)
    if options.all_files:
        return None, list(_all_tasks(repo, root, config)), config
    if repo is None:
        if not options.files:
            raise InputError("not in a git repository: give the FILES to check, or `--all`")
        return None, list(_plain_tasks(root, cwd, options.files, config)), config
    comparison = repo.compare(options.base, environ)
    if not options.files:
        return comparison, list(_changed_tasks(repo, comparison, config)), config
    if comparison.new_side is NewSide.INDEX:  # given files are read as they are on disk
        comparison = replace(comparison, new_side=NewSide.WORKTREE)
    return comparison, list(_given_tasks(repo, comparison, cwd, options.files, config)), config


def _changed_paths(
    options: RunOptions,
    repo: GitRepository | None,
    comparison: ComparedSides | None,
    staged: Staged | None,
    cwd: str,
) -> tuple[str, ...]:
    """The paths a comparison changes (whatever their kind), for the Terraform folders."""
    if repo is None or comparison is None:
        return ()
    if options.files:
        return tuple(_relative(repo.root, cwd, name) for name in options.files)
    if staged is not None:
        return staged.paths
    return tuple(c.path for c in repo.changes(comparison, untracked=comparison.untracked))


def _with_terraform_folders(
    tasks: list[FileTask],
    repo: GitRepository | None,
    comparison: ComparedSides | None,
    cwd: str,
    config: Config,
    changed: tuple[str, ...],
) -> list[FileTask]:
    """Each `.tf` task with its folder's Terraform files on both sides, and the other `.tf`
    files of a folder whose Terraform files changed (`terraform_folders`)."""
    if not any(map(is_folder_file, changed)) and not any(t.path.endswith(".tf") for t in tasks):
        return tasks
    if repo is None:
        root = os.path.abspath(cwd)
        return with_folders(tasks, lambda: _walk(root), partial(read_worktree_file, root), None)
    if comparison is None:
        return with_folders(tasks, repo.all_paths, partial(read_worktree_file, repo.root), None)
    return with_folders(
        tasks,
        repo.all_paths,
        partial(repo.new_bytes, comparison),
        partial(repo.base_bytes, comparison),
        changed,
        config.selects,
    )


def _config(explicit: str | None, root: str, cwd: str) -> Config:
    if explicit is None:
        return load_config(os.path.join(root, CONFIG_FILE), CONFIG_FILE, required=False)
    path = os.path.join(cwd, explicit)
    return load_config(path, _display(root, path), required=True)


def _display(root: str, path: str) -> str:
    """`path` relative to the root when it is inside it, POSIX style."""
    relative = os.path.relpath(os.path.abspath(path), root)
    if relative.startswith(os.pardir):
        return path
    return relative.replace(os.sep, "/")


def _relative(root: str, cwd: str, name: str) -> str:
    relative = _display(root, os.path.join(cwd, name))
    if relative.startswith(os.pardir) or os.path.isabs(relative):
        raise InputError("the file is outside the repository", filename=name)
    return relative


# --- which files -----------------------------------------------------------------------------


def _all_tasks(repo: GitRepository | None, root: str, config: Config) -> Iterator[FileTask]:
    paths = repo.all_paths() if repo is not None else _walk(root)
    for path in sorted(paths):
        if config.selects(path):
            data, problem = _read(partial(read_worktree_file, root, path))
            if problem is not None:
                yield FileTask(path, "unchanged", b"", unreadable=problem)
            elif data is not None:
                yield FileTask(path, "unchanged", data)


def _walk(root: str) -> Iterator[str]:
    """Every file below `root` outside a repository (hidden folders skipped)."""
    for folder, folders, names in os.walk(root):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in names:
            yield _display(root, os.path.join(folder, name))


def _plain_tasks(root: str, cwd: str, names: tuple[str, ...], config: Config) -> Iterator[FileTask]:
    """FILES outside a repository: checked as new files."""
    for path in _expand(root, cwd, names, lambda: _walk(root)):
        if not os.path.lexists(os.path.join(root, path)):
            raise InputError("no such file", filename=path)  # whatever its name selects
        if config.selects(path):
            data, problem = _read(partial(read_worktree_file, root, path))
            if problem is not None:
                yield FileTask(path, "added", b"", unreadable=problem)
            elif data is None:
                raise InputError("no such file", filename=path)
            else:
                yield FileTask(path, "added", data)


def _read(read: Callable[[], bytes | None]) -> tuple[bytes | None, str | None]:
    """The content `read` returns, or the problem when the file cannot be read (that file is
    then undecided; the others are still checked)."""
    try:
        return read(), None
    except InputError as error:
        return None, error.problem


def _expand(
    root: str, cwd: str, names: tuple[str, ...], every: Callable[[], Iterable[str]]
) -> list[str]:
    """FILES relative to the root; a folder stands for the files below it."""
    paths = [_relative(root, cwd, name) for name in names]
    folders = [p for p in paths if os.path.isdir(os.path.join(root, p))]
    if not folders:
        return paths
    below = [p for p in every() if any(f == "." or p.startswith(f + "/") for f in folders)]
    return sorted(dict.fromkeys([p for p in paths if p not in folders] + below))


def _nowhere(repo: GitRepository, comparison: ComparedSides, path: str) -> bool:
    """A FILE given on the command line that is neither on the new side nor at the base."""
    if comparison.new_side is NewSide.COMMIT:
        return False  # names from a commit range are git's own
    return repo.new_bytes(comparison, path) is None and repo.base_bytes(comparison, path) is None


def _given_tasks(
    repo: GitRepository, comparison: ComparedSides, cwd: str, names: tuple[str, ...], config: Config
) -> Iterator[FileTask]:
    """FILES (what pre-commit passes): each against its version at the base, or at its old
    path when git sees a rename."""
    changes = _Changes(repo, comparison, config)
    for path in _expand(repo.root, cwd, names, repo.all_paths):
        if not os.path.lexists(os.path.join(repo.root, path)) and _nowhere(repo, comparison, path):
            raise InputError("no such file", filename=path)  # a typo, whatever its name selects
        if not config.selects(path):
            continue
        new, problem = _read(partial(repo.new_bytes, comparison, path))
        if problem is not None:
            yield FileTask(path, "modified", b"", unreadable=problem)
            continue
        old = repo.base_bytes(comparison, path)
        if new is None:
            missing = not os.path.lexists(os.path.join(repo.root, path))
            if old is None and missing and comparison.new_side is not NewSide.COMMIT:
                raise InputError("no such file", filename=path)
            continue  # deleted (nothing can grant access any more), or not a regular file
        old_path: str | None = path
        if old is None:
            old_path = changes.renamed().get(path)
            old = repo.base_bytes(comparison, old_path) if old_path else None
        status = (
            "added"
            if old is None
            else "renamed"
            if old_path != path
            else "unchanged"
            if old == new
            else "modified"
        )
        task = FileTask(path, status, new, old_path if old is not None else None, old)
        yield _against_base(repo, comparison, task, changes)


def _changed_tasks(
    repo: GitRepository, comparison: ComparedSides, config: Config
) -> Iterator[FileTask]:
    """No FILES: the files changed between the base and the new side."""
    changes = repo.changes(comparison, untracked=comparison.untracked)
    known = _Changes(repo, comparison, config, changes)
    for change in sorted(changes, key=lambda c: c.path):
        if change.status is ChangeStatus.DELETED or not config.selects(change.path):
            continue
        new, problem = _read(partial(repo.new_bytes, comparison, change.path))
        if problem is not None:
            yield FileTask(change.path, change.status.value, b"", unreadable=problem)
            continue
        if new is None:
            continue
        old = repo.base_bytes(comparison, change.old_path) if change.old_path else None
        old_path = change.old_path if old is not None else None
        task = FileTask(change.path, change.status.value, new, old_path, old)
        yield _against_base(repo, comparison, task, known)


class _Changes:
    """The change's files as git pairs them, read once and only when asked."""

    def __init__(
        self,
        repo: GitRepository,
        comparison: ComparedSides,
        config: Config,
        changes: tuple[Change, ...] | None = None,
    ) -> None:
        self.repo, self.comparison, self.config = repo, comparison, config
        self._changes = changes
        self._renamed: dict[str, str] | None = None
        self._removes_policy_files: bool | None = None

    def all(self) -> tuple[Change, ...]:
        if self._changes is None:
            self._changes = self.repo.changes(self.comparison)
        return self._changes

    def renamed(self) -> dict[str, str]:
        """New path -> old path, for the renames git detects."""
        if self._renamed is None:
            self._renamed = {
                c.path: str(c.old_path) for c in self.all() if c.status is ChangeStatus.RENAMED
            }
        return self._renamed

    def removes_policy_files(self) -> bool:
        """Does the change delete a file that was a policy at the base (a delete, or a rename
        git does not detect)?"""
        if self._removes_policy_files is None:
            self._removes_policy_files = any(
                holds_policy(
                    self.repo.base_bytes(self.comparison, c.path),
                    c.path,
                    self.config.names(c.path),
                )
                for c in self.all()
                if c.status is ChangeStatus.DELETED and self.config.selects(c.path)
            )
        return self._removes_policy_files


def _against_base(
    repo: GitRepository, comparison: ComparedSides, task: FileTask, changes: _Changes
) -> FileTask:
    """The task with what its base alone would let past (see `base_versions`): an added file
    beside a removed policy file is compared with nothing; a base IAM would refuse gives way
    to the last readable version in the base's history."""
    if task.old_data is None:
        if task.status == ChangeStatus.ADDED.value and changes.removes_policy_files():
            return replace(task, compare_with_empty=True)
        return task
    if task.old_data == task.new_data or comparison.base is None:
        return task
    path = task.old_path or task.path
    history = repo.earlier_versions(comparison.base, path)
    unreadable = unreadable_base(task.old_data, path, history, repo.shallow_hint())
    return task if unreadable is None else replace(task, unreadable_base=unreadable)


# --- checking --------------------------------------------------------------------------------


def _budget(options: RunOptions, config: Config, started: float) -> RunBudget:
    """The run's budgets: the flags', else the configuration's; the run's counted from its
    start (reading git included)."""
    per_file = options.file_timeout or config.file_timeout
    per_run = options.run_timeout or config.run_timeout
    return RunBudget(per_file, per_run, started + per_run)


def _check(
    tasks: list[FileTask],
    context: CheckContext,
    jobs: int,
    progress: Progress | None,
    limits: RunBudget,
) -> list[FileReport]:
    """Serial for a few files; worker processes (in file order) for a sweep."""
    if jobs > 1 and len(tasks) >= PARALLEL_MIN_FILES:
        from concurrent.futures import ProcessPoolExecutor  # only a sweep pays for the import

        from policy_guard.encode.memory import cap_this_process

        with ProcessPoolExecutor(max_workers=jobs, initializer=cap_this_process) as pool:
            results = pool.map(
                check_within,
                tasks,
                [context] * len(tasks),
                [limits] * len(tasks),
                chunksize=max(1, min(16, len(tasks) // (jobs * 8))),
            )
            return _collect(results, tasks, progress)
    return _collect((check_within(t, context, limits) for t in tasks), tasks, progress)


def _collect(
    results: Iterator[FileReport | None], tasks: list[FileTask], progress: Progress | None
) -> list[FileReport]:
    """The reports in file order. A worker process that dies (killed for memory, say) leaves
    the files it had not answered undecided, with the reason; never passed."""
    from concurrent.futures.process import BrokenProcessPool

    reports = []
    done = 0
    try:
        for report in results:
            done += 1
            if report is not None:
                reports.append(report)
            if progress is not None:
                progress(done, len(tasks))
    except BrokenProcessPool:
        why = (
            "not decided: the worker process checking it stopped (killed for memory or by a "
            "signal); check it alone, or with more memory"
        )
        reports += [undecided_file(task, why) for task in tasks[done:]]
    return reports
