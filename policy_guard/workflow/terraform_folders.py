"""The other Terraform files of a `.tf` file's folder, read on both sides for its task.

A policy's unknown values (`var.bucket`) are one value at the base and in the new version only
when what they depend on is unchanged — and a module declares its variables in `variables.tf`,
sets them in `terraform.tfvars`. So each `.tf` task carries its folder's `.tf` and `.tfvars`
files as they are on each side (`FileTask.related`); the source takes their definitions into
its fingerprints. Nothing is read when no `.tf` file is checked.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from dataclasses import replace

from policy_guard.errors import InputError
from policy_guard.sources.terraform_resources import is_terraform
from policy_guard.workflow.file_checks import FileTask

Reader = Callable[[str], "bytes | None"]
_FOLDER_FILES = (".tf", ".tfvars")


def is_folder_file(path: str) -> bool:
    """A file whose change can change the policies of its folder's `.tf` files."""
    return path.lower().endswith(_FOLDER_FILES)


def with_folders(
    tasks: list[FileTask],
    paths: Callable[[], Iterable[str]],
    new: Reader,
    old: Reader | None,
    changed: Iterable[str] = (),
    selects: Callable[[str], bool] = lambda _: True,
) -> list[FileTask]:
    """`tasks` with each `.tf` task's folder files attached (path, new bytes, old bytes); and,
    when `old` is given, a task for each other selected `.tf` file of a folder where a `.tf` or
    `.tfvars` file `changed` (a new default in variables.tf can widen a policy in main.tf:
    its policies whose values changed are checked; it is not reported when nothing is found)."""
    touched = {posixpath.dirname(p) for p in changed if is_folder_file(p)} if old else set()
    if not touched and not any(is_terraform(task.path) for task in tasks):
        return tasks
    by_folder: dict[str, list[str]] = {}
    for path in paths():
        if is_folder_file(path):
            by_folder.setdefault(posixpath.dirname(path), []).append(path)
    read: dict[str, tuple[bytes | None, bytes | None]] = {}
    known = {task.path for task in tasks}
    for folder in sorted(touched):
        for path in sorted(by_folder.get(folder, ())):
            if path in known or not is_terraform(path) or not selects(path):
                continue
            assert old is not None
            read[path] = (_quietly(new, path), _quietly(old, path))
            new_data, old_data = read[path]
            if new_data is not None and old_data is not None:
                tasks = [*tasks, FileTask(path, "unchanged", new_data, path, old_data, quiet=True)]
    result = []
    for task in tasks:
        if not is_terraform(task.path) or task.unreadable is not None:
            result.append(task)
            continue
        related = []
        for path in sorted(by_folder.get(posixpath.dirname(task.path), ())):
            if path == task.path:
                continue
            if path not in read:
                read[path] = (_quietly(new, path), _quietly(old, path) if old else None)
            related.append((path, *read[path]))
        result.append(replace(task, related=tuple(related)))
    return result


def _quietly(reader: Reader, path: str) -> bytes | None:
    """A folder file's bytes; None when it cannot be read (what depends on it is then not
    known to be unchanged)."""
    try:
        return reader(path)
    except InputError:
        return None
