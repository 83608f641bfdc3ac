"""Bytes or text (JSON or YAML) -> a decoded document; the one place that reads and decodes a file.

YAML is read with PyYAML's *safe* composer (`yaml_decode`), loaded only when a YAML file is
read; nothing in a file is ever executed."""

from __future__ import annotations

from policy_guard.document.json_decode import decode_json
from policy_guard.document.values import Decoded
from policy_guard.errors import InputError


def decode_yaml(text: str, filename: str) -> Decoded:
    """Decode one YAML document safely; raise InputError naming the file and line. (PyYAML
    is loaded only when a YAML file is read: a hook that sees only JSON never pays for it.)"""
    from policy_guard.document.yaml_decode import decode_yaml as decode

    return decode(text, filename)


def looks_like_json(text: str, filename: str) -> bool:
    """JSON by extension, or by content when the extension says nothing."""
    lower = filename.lower()
    if lower.endswith((".yaml", ".yml")):
        return False
    if lower.endswith(".json"):
        return True
    return text.lstrip("\ufeff \t\r\n").startswith(("{", "["))


def decode_text(text: str, filename: str) -> Decoded:
    """Decode a document written in JSON or YAML (chosen by extension, then by content)."""
    if looks_like_json(text, filename):
        return decode_json(text, filename)
    return decode_yaml(text, filename)


def decode_file(data: bytes, filename: str) -> Decoded:
    """A file's bytes (UTF-8) as a decoded document; InputError naming the file (and the byte
    or line) when they cannot be."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            f"the file is not UTF-8 text (byte {error.start})", filename=filename
        ) from None
    return decode_text(text, filename)


def read_document(path: str, display_name: str | None = None) -> Decoded:
    """Read and decode a file; every failure is an InputError that names the file."""
    name = display_name or path
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", filename=name) from None
    return decode_file(raw, name)
