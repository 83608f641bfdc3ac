"""The one place where reports touch files: the chosen format, the SARIF copy, GitHub's files.

Renderers are pure (report in, text out) and chosen from `RENDERERS`; `emit` decides where
their text goes. It never prints: text meant for standard output is returned to the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from policy_guard.errors import InputError
from policy_guard.report.github import github_outputs, render_github, render_step_summary
from policy_guard.report.json_report import render_json
from policy_guard.report.sarif import render_sarif
from policy_guard.report.text import render_text
from policy_guard.run_results import RunReport

Renderer = Callable[[RunReport, bool], str]

RENDERERS: Mapping[str, Renderer] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
}
FORMATS: tuple[str, ...] = tuple(RENDERERS)


def emit(
    report: RunReport,
    *,
    fmt: str,
    output: str | None,
    sarif: str | None,
    color: bool,
    environ: Mapping[str, str],
) -> str | None:
    """Render `report` as `fmt`; write it to `output`, or return it for standard output.

    The returned text ends in a newline: write it as it is (`sys.stdout.write`). Colour applies
    only to returned text, never to a file. With `sarif`, SARIF is also written there. With
    `fmt` "github", a Markdown summary is appended to the file named by GITHUB_STEP_SUMMARY and
    `errors=N`, `warnings=N`, `undecided=N`, `files=N` to GITHUB_OUTPUT, each when set.
    Raises InputError when a file cannot be written or the format is unknown.
    """
    renderer = RENDERERS.get(fmt)
    if renderer is None:
        raise InputError(f"unknown format `{fmt}`; choose one of: {', '.join(FORMATS)}")
    if sarif:
        _write(sarif, render_sarif(report, False))
    if fmt == "github":
        summary_file = environ.get("GITHUB_STEP_SUMMARY")
        if summary_file:
            _write(summary_file, render_step_summary(report), append=True)
        outputs_file = environ.get("GITHUB_OUTPUT")
        if outputs_file:
            lines = "".join(f"{k}={v}\n" for k, v in github_outputs(report).items())
            _write(outputs_file, lines, append=True)
    if output:
        _write(output, renderer(report, False))
        return None
    return renderer(report, color)


def _write(path: str, text: str, *, append: bool = False) -> None:
    """Write (or append) UTF-8 text, creating missing parent folders."""
    target = Path(path)
    try:
        if not append:
            target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a" if append else "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
    except OSError as error:
        raise InputError(f"cannot write: {error.strerror or error}", filename=path) from None
