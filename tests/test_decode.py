"""Decoding keeps positions and reports syntax errors with the file and line."""

from __future__ import annotations

import pytest

from policy_guard.document.json_decode import decode_json
from policy_guard.document.read import decode_yaml
from policy_guard.document.values import Span
from policy_guard.errors import InputError


def test_json_positions_of_values_and_keys() -> None:
    doc = decode_json('{\n  "Statement": [\n    {"Effect": "Allow"}\n  ]\n}\n', "p.json")
    assert doc.value == {"Statement": [{"Effect": "Allow"}]}
    assert doc.span_of(("Statement", 0, "Effect")) == Span(3, 15, 3, 22)
    assert doc.key_span_of(("Statement", 0, "Effect")).column == 5


def test_json_duplicate_keys_are_recorded() -> None:
    doc = decode_json('{"a": 1, "a": 2}', "p.json")
    assert doc.duplicate_keys == (("a",),)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [('{\n  "a": [1,, 2]\n}', 2, 11), ('{"a": 1', 1, 8), ("", 1, 1), ('{\n\n"a": tru}', 3, 6)],
)
def test_json_syntax_errors_name_file_line_and_column(text: str, line: int, column: int) -> None:
    with pytest.raises(InputError) as raised:
        decode_json(text, "bad.json")
    assert raised.value.filename == "bad.json"
    assert (raised.value.line, raised.value.column) == (line, column)  # columns from 1
    assert str(raised.value).startswith(f"bad.json:{line}:{column}: invalid JSON")
    assert "(column" not in str(raised.value)  # one position, in one place


def test_yaml_short_tags_become_long_form_and_keep_positions() -> None:
    doc = decode_yaml("a:\n  - !Ref X\n  - !GetAtt R.Arn\n", "t.yaml")
    assert doc.value == {"a": [{"Ref": "X"}, {"Fn::GetAtt": ["R", "Arn"]}]}
    assert doc.span_of(("a", 1)).line == 3


def test_yaml_error_names_line() -> None:
    with pytest.raises(InputError) as raised:
        decode_yaml("a: [1\nb: 2\n", "t.yaml")
    assert raised.value.line == 2
