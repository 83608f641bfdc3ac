"""The one place where reports touch files: the chosen format, the SARIF copy, GitHub's files.

Renderers are pure (report in, text out) and chosen from `RENDERERS`; `emit` decides where
their text goes. It never prints: text meant for standard output is returned to the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from policy_guard.errors import InputError
from policy_guard.workflow.results import RunReport

Renderer = Callable[[RunReport, bool], str]


def _text() -> Renderer:
    from policy_guard.report.text import render_text

    return render_text


def _json() -> Renderer:
    from policy_guard.report.json_report import render_json

    return render_json


def _sarif() -> Renderer:
    from policy_guard.report.sarif import render_sarif

    return render_sarif


def _github() -> Renderer:
    from policy_guard.report.github import render_github

    return render_github


RENDERERS: Mapping[str, Callable[[], Renderer]] = {
    "text": _text,
    "json": _json,
    "sarif": _sarif,
    "github": _github,
}
"""Each format's formatter, imported when that format is asked for (a hook prints text; it need
not load the SARIF and JSON formatters to do so)."""
FORMATS: tuple[str, ...] = tuple(RENDERERS)


def renderer(fmt: str) -> Renderer:
    """The formatter of `fmt`; InputError for an unknown format."""
    if fmt not in RENDERERS:
        raise InputError(f"unknown format `{fmt}`; choose one of: {', '.join(FORMATS)}")
    return RENDERERS[fmt]()


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
    render = renderer(fmt)
    if sarif:
        _write(sarif, renderer("sarif")(report, False))
    if fmt == "github":
        from policy_guard.report.github import github_outputs, render_step_summary

        summary_file = environ.get("GITHUB_STEP_SUMMARY")
        if summary_file:
            _write(summary_file, render_step_summary(report), append=True)
        outputs_file = environ.get("GITHUB_OUTPUT")
        if outputs_file:
            lines = "".join(f"{k}={v}\n" for k, v in github_outputs(report).items())
            _write(outputs_file, lines, append=True)
    if output:
        _write(output, render(report, False))
        return None
    return render(report, color)


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
