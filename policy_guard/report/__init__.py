"""Formatters: pure functions from results to text, one module per format; `print` only at the edge.

Workflow runs (`RunReport`): `text`, `json_report`, `sarif` and `github` render them; `writer.emit`
(re-exported here as `policy_guard.report.emit`) sends the chosen format to stdout or a file,
and writes the SARIF copy and GitHub's step summary and outputs.
"""

from policy_guard.report.writer import FORMATS, emit

__all__ = ["FORMATS", "emit"]
