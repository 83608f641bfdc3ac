"""The workflow: which files, against which base, checked serially or in worker processes.

`run` is the library entry point of `policy-guard [FILES] [--all]`: it chooses the files (the
ones given, the ones changed since the base, or every file for `--all`), reads both versions of
each through `gitbase`, checks each file with `file_checks.check_file`, and returns a RunReport.
It never prints; progress goes to an optional callback.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from policy_guard.errors import InputError
from policy_guard.workflow.comparison import ChangeStatus, Comparison, NewSide, read_worktree_file
from policy_guard.workflow.config import CONFIG_FILE, Config, load_config
from policy_guard.workflow.file_checks import CheckContext, FileTask, check_file
from policy_guard.workflow.results import FileReport, RunReport
from policy_guard.workflow.staged import Staged, staged_paths
from policy_guard.workflow.terraform_folders import is_folder_file, with_folders
from policy_guard.workflow.waivers import expired_waiver_issues

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


def run(
    options: RunOptions,
    *,
    cwd: str,
    environ: Mapping[str, str],
    today: date,
    progress: Progress | None = None,
) -> RunReport:
    """Check the policy files that `options` selects; see the module docstring."""
    if options.all_files and (options.files or options.base):
        raise InputError(
            "`--all` checks every policy file without a base: give no FILES and no `--base` with it"
        )
    comparison: Comparison | None
    tasks: list[FileTask]
    staged = _staged_for_hook(options, cwd, environ)
    config = _config(options.config, staged.root, cwd) if staged is not None else None
    if (
        staged is not None
        and config is not None
        and not any(map(config.selects, staged.paths))
        and not any(map(is_folder_file, staged.paths))
    ):
        comparison, tasks = Comparison(staged.head, NewSide.INDEX, origin="HEAD"), []
    else:
        from policy_guard.workflow.gitbase import GitRepository  # GitPython: only when git is read

        repo = GitRepository.discover(cwd)
        try:
            comparison, tasks, config = _plan(options, repo, cwd, environ, config)
            changed = _changed_paths(options, repo, comparison, staged, cwd)
            tasks = _with_terraform_folders(tasks, repo, comparison, cwd, config, changed)
        finally:
            if repo is not None:
                repo.close()
    context = CheckContext(config, compare=not options.all_files, today=today)
    reports = _check(tasks, context, options.jobs, progress)
    expired = expired_waiver_issues(config, today)
    if expired:
        reports.append(FileReport(expired[0].location.path, "unchanged", None, (), expired))
    base = comparison.base if comparison else None
    report_only = config.report_only or options.report_only
    return RunReport(tuple(reports), base, report_only=report_only)


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


def _plan(
    options: RunOptions,
    repo: GitRepository | None,
    cwd: str,
    environ: Mapping[str, str],
    config: Config | None = None,
) -> tuple[Comparison | None, list[FileTask], Config]:
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
    comparison: Comparison | None,
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
    comparison: Comparison | None,
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


def _given_tasks(
    repo: GitRepository, comparison: Comparison, cwd: str, names: tuple[str, ...], config: Config
) -> Iterator[FileTask]:
    """FILES (what pre-commit passes): each against its version at the base, or at its old
    path when git sees a rename."""
    renamed: dict[str, str] | None = None
    for path in _expand(repo.root, cwd, names, repo.all_paths):
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
            if renamed is None:
                renamed = {
                    c.path: str(c.old_path)
                    for c in repo.changes(comparison)
                    if c.status is ChangeStatus.RENAMED
                }
            old_path = renamed.get(path)
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
        yield FileTask(path, status, new, old_path if old is not None else None, old)


def _changed_tasks(
    repo: GitRepository, comparison: Comparison, config: Config
) -> Iterator[FileTask]:
    """No FILES: the files changed between the base and the new side."""
    changes = repo.changes(comparison, untracked=comparison.untracked)
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
        yield FileTask(
            change.path, change.status.value, new, change.old_path if old is not None else None, old
        )


# --- checking --------------------------------------------------------------------------------


def _check(
    tasks: list[FileTask], context: CheckContext, jobs: int, progress: Progress | None
) -> list[FileReport]:
    """Serial for a few files; worker processes (in file order) for a sweep."""
    if jobs > 1 and len(tasks) >= PARALLEL_MIN_FILES:
        from concurrent.futures import ProcessPoolExecutor  # only a sweep pays for the import

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = pool.map(
                check_file,
                tasks,
                [context] * len(tasks),
                chunksize=max(1, min(16, len(tasks) // (jobs * 8))),
            )
            return _collect(results, len(tasks), progress)
    return _collect((check_file(task, context) for task in tasks), len(tasks), progress)


def _collect(
    results: Iterator[FileReport | None], total: int, progress: Progress | None
) -> list[FileReport]:
    reports = []
    for done, report in enumerate(results, 1):
        if report is not None:
            reports.append(report)
        if progress is not None:
            progress(done, total)
    return reports
