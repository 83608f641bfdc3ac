"""Terraform HCL (`.tf`): the policies of `data "aws_iam_policy_document"` blocks and of every
argument the table in `terraform_resources` names, each with its address as identity
(`data.aws_iam_policy_document.app`, `aws_iam_role.app.assume_role_policy`).

Read with python-hcl2's parser (imported only when a `.tf` file is read: a hook that sees none
never loads it), from its parse tree (`hcl_values`), so a finding points at the line of the
statement or element. A policy document data source is converted as the AWS provider does
(statement / principals / condition blocks, `&{...}` for IAM variables, `source_policy_documents`
and `override_policy_documents` merged by Sid when they name data sources of the same file).
What the file does not fix is an unknown (`unknowns`), with a fingerprint of the blocks it
depends on in this file: a `dynamic "statement"`, `for` expression or reference to another file
cannot be assumed unchanged. A construct that cannot be read is a policy with a `problem`
(undecided, with its line), never skipped. A policy read with `file(...)` is a file of the
repository and is checked as that file; one built by `templatefile(...)` is unknown.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from lark import Token, Tree

from policy_guard.document.json_decode import decode_json
from policy_guard.document.values import Decoded, LineIndex, OffsetSpans, Path
from policy_guard.errors import InputError
from policy_guard.policy.guardrails import organizations_policy_type
from policy_guard.policy.model import VARIABLES_VERSION, PolicyType
from policy_guard.sources.base import BOUNDARY_PREFIX, FoundPolicy, attachment_type
from policy_guard.sources.hcl_values import (
    DocumentReference,
    Evaluator,
    Unreadable,
    attributes,
    blocks,
    end_of,
    start_of,
    subtrees,
    unknown_name,
)
from policy_guard.sources.terraform_resources import (
    ATTACHMENTS,
    BOUNDARIES,
    BOUNDARY_ARGUMENT,
    LAMBDA_PERMISSIONS,
    ORGANIZATIONS_POLICY,
    POLICY_ARGUMENTS,
    PolicyArgument,
)
from policy_guard.sources.terraform_unknowns import MARK, Shape, Unknown, marked_names, marker

_REFERENCE = re.compile(
    r"\b(?:var|local|module|data\.[A-Za-z_][\w-]*|[A-Za-z_][\w-]*)\.[A-Za-z_][\w-]*"
)
_FILE_CALL = re.compile(r"file\s*\(")
_VARIABLE_VALUE = frozenset({"default", "type", "nullable"})
_STATEMENT_KEYS = (
    ("sid", "Sid"),
    ("effect", "Effect"),
    ("actions", "Action"),
    ("not_actions", "NotAction"),
    ("resources", "Resource"),
    ("not_resources", "NotResource"),
)


def read_terraform(
    text: str,
    filename: str,
    siblings: Mapping[str, str] | None = None,
    lines: LineIndex | None = None,
) -> tuple[FoundPolicy, ...]:
    """The policies of a `.tf` file; InputError (with the line) when it does not parse.
    `siblings`: the other `.tf` and `.tfvars` files of its folder (by path), whose definitions
    the fingerprints of unknown values take in (a variable declared in `variables.tf`).
    `lines`: where an offset of `text` is in the file (when `text` was written out from
    another syntax: `terraform_json`)."""
    tree = _parse(text, filename)
    file = _File(text, filename, tree, lines)
    moves = list(_moves(file))
    for path, sibling in sorted((siblings or {}).items()):
        if path.lower().endswith(".tfvars"):
            file.tfvars.append(path + "\0" + sibling)
        else:
            definitions, sibling_moves = _definitions(sibling, path)
            file.index.update({k: v for k, v in definitions.items() if k not in file.index})
            moves.extend(sibling_moves)
    return tuple(_renamed(found, moves) for found in file.policies())


def _moves(file: _File) -> Iterator[tuple[str, str]]:
    """The file's `moved` blocks: (from, to) addresses, as written."""
    for labels, _, body in blocks(file.body):
        if labels == ["moved"]:
            ends = {name: file.source(expression) for name, _, expression in attributes(body)}
            if "from" in ends and "to" in ends:
                yield ends["from"].strip(), ends["to"].strip()


def _renamed(found: FoundPolicy, moves: list[tuple[str, str]]) -> FoundPolicy:
    """The policy with the identity it had before a `moved` block renamed its resource or
    module (Terraform treats the object as the same one)."""
    for before, after in moves:
        if found.policy_id.startswith(after + "."):
            return replace(found, renamed_from=before + found.policy_id[len(after) :])
    return found


@lru_cache(maxsize=256)
def _definitions(text: str, filename: str) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    """The definitions of a sibling file (address -> source text) and its `moved` blocks; none
    when it does not parse (whatever refers to them is then not known to be unchanged)."""
    try:
        tree = _parse(text, filename)
    except InputError:
        return {}, ()
    file = _File(text, filename, tree)
    return dict(file.index), tuple(_moves(file))


def _parse(text: str, filename: str) -> Tree[Token]:
    import hcl2
    from lark.exceptions import LarkError, UnexpectedInput

    try:
        return hcl2.parses_to_tree(text)
    except UnexpectedInput as error:
        raise InputError(
            f"invalid HCL: unexpected `{_excerpt(text, error.pos_in_stream)}`",
            filename=filename,
            line=error.line if isinstance(error.line, int) and error.line > 0 else None,
        ) from None
    except LarkError as error:
        raise InputError(f"invalid HCL: {error}", filename=filename) from None


def _excerpt(text: str, offset: int | None) -> str:
    if offset is None:
        return "?"
    return text[offset : offset + 20].split("\n")[0] or "end of line"


@dataclass
class _Document:
    """A policy value and its offsets (by path), with the unknowns met building it."""

    value: Any
    offsets: dict[Path, tuple[int, int]]
    found: list[tuple[str, Shape, int]] = field(default_factory=list)
    problem: tuple[str, int] | None = None


class _File:
    def __init__(
        self, text: str, filename: str, tree: Tree[Token], lines: LineIndex | None = None
    ) -> None:
        self.text = text
        self.filename = filename
        self.lines = lines or LineIndex(text)
        self.body = subtrees(tree)[0]
        self.index: dict[str, str] = {}  # address -> its source text (for fingerprints)
        self.documents: dict[str, _Document] = {}  # aws_iam_policy_document name -> document
        self.converting: set[str] = set()
        self.data_blocks: dict[str, Tree[Token]] = {}
        self.consumers: dict[str, list[PolicyArgument]] = {}
        self.tfvars: list[str] = []  # the folder's `.tfvars` files: a variable's value
        self.iterators: set[str] = set()  # `dynamic` blocks' iterator names (their values)
        self._index()

    # --- what the file defines ---------------------------------------------------------------

    def _index(self) -> None:
        for labels, node, body in blocks(self.body):
            kind = labels[0]
            if kind == "resource" and len(labels) == 3:
                self.index[f"{labels[1]}.{labels[2]}"] = self.source(node)
            elif kind == "data" and len(labels) == 3:
                self.index[f"data.{labels[1]}.{labels[2]}"] = self.source(node)
                if labels[1] == "aws_iam_policy_document":
                    self.data_blocks[labels[2]] = body
            elif kind == "variable" and len(labels) == 2:
                # what decides its value: a new description is not a new value
                self.index[f"var.{labels[1]}"] = "\n".join(
                    self.source(attribute)
                    for name, attribute, _ in attributes(body)
                    if name in _VARIABLE_VALUE
                )
            elif kind in ("module", "output") and len(labels) == 2:
                self.index[f"{kind}.{labels[1]}"] = self.source(node)
            elif kind == "locals":
                for name, attribute, _ in attributes(body):
                    self.index[f"local.{name}"] = self.source(attribute)

    def source(self, node: Tree[Token] | Token) -> str:
        return self.text[start_of(node) : end_of(node)]

    def fingerprint(self, name: str) -> str | None:
        """A digest of the definitions `name` depends on in this file (transitively); None when
        one of them is not here (a variable of another file, a module's output)."""
        digest = hashlib.sha256()
        seen: set[str] = set()
        pending = [name]
        while pending:
            reference = pending.pop()
            address = _address(reference)
            if address is None or address.split(".")[0] in self.iterators:
                continue
            if address in seen:
                continue
            seen.add(address)
            definition = self.index.get(address)
            if definition is None:
                return None
            digest.update(address.encode() + b"\0" + definition.encode() + b"\0")
            if address.startswith("var."):
                for tfvars in self.tfvars:
                    digest.update(tfvars.encode() + b"\0")
            pending.extend(m.group(0) for m in _REFERENCE.finditer(definition))
        return digest.hexdigest()[:16]

    # --- the policies ------------------------------------------------------------------------

    def policies(self) -> tuple[FoundPolicy, ...]:
        found: list[FoundPolicy] = []
        for labels, node, body in blocks(self.body):
            kind = labels[0]
            if kind == "resource" and len(labels) == 3:
                found.extend(self._resource(labels[1], labels[2], node, body))
            elif kind == "module" and len(labels) == 2:
                found.extend(self._module(labels[1], body))
        for labels, node, _ in blocks(self.body):
            if labels[0] == "data" and len(labels) == 3 and labels[1] == "aws_iam_policy_document":
                found.append(self._data_policy(labels[2], node))
        return tuple(sorted(found, key=lambda f: (f.line, f.policy_id)))

    def _data_policy(self, name: str, node: Tree[Token]) -> FoundPolicy:
        address = f"data.aws_iam_policy_document.{name}"
        document = self.document(name)
        kinds = {(a.policy_type, a.resource_type) for a in self.consumers.get(name, ())}
        policy_type, resource_type = kinds.pop() if len(kinds) == 1 else (None, None)
        return self.found(address, document, node, policy_type, resource_type)

    def found(
        self,
        policy_id: str,
        document: _Document,
        node: Tree[Token] | Token,
        policy_type: PolicyType | None,
        resource_type: str | None,
        attaches: str | None = None,
    ) -> FoundPolicy:
        offsets = OffsetSpans(self.lines)
        offsets.offsets.update(document.offsets)
        offsets.offsets.setdefault((), (start_of(node), end_of(node)))
        unknowns = {
            name: Unknown(
                name,
                shape,
                "deployment" if shape.literal else self.fingerprint(name),
                self.lines.position(offset)[0],
            )
            for name, shape, offset in document.found
        }
        if document.problem is not None:
            problem, offset = document.problem
            offsets.offsets[()] = (offset, offset)
            return FoundPolicy(
                policy_id,
                Decoded({}, self.filename, offsets),
                policy_type,
                resource_type,
                terraform_unknowns=unknowns,
                problem=problem,
                attaches=attaches,
            )
        return FoundPolicy(
            policy_id,
            Decoded(document.value, self.filename, offsets),
            policy_type,
            resource_type,
            terraform_unknowns=unknowns,
            attaches=attaches,
        )

    def _resource(
        self, kind: str, name: str, node: Tree[Token], body: Tree[Token]
    ) -> list[FoundPolicy]:
        address = f"{kind}.{name}"
        found: list[FoundPolicy] = []
        for argument in POLICY_ARGUMENTS.get(kind, ()):
            for policy_id, expression in self._arguments(address, body, argument.argument):
                document = self.policy_value(expression, consumer=argument)
                if document is None:
                    continue
                found.append(
                    self.found(
                        policy_id,
                        document,
                        expression,
                        argument.policy_type,
                        argument.resource_type,
                    )
                )
        if kind == ORGANIZATIONS_POLICY:
            found = self._organizations_typed(body, found)
        if kind in LAMBDA_PERMISSIONS:
            found.append(self._lambda_permission(address, node, body))
        for argument_name in ATTACHMENTS.get(kind, ()):
            for policy_id, expression in self._arguments(address, body, argument_name):
                found.extend(self._attachments(policy_id, expression))
        if kind in BOUNDARIES:
            found.append(self._boundary(address, node, body))
        if kind not in POLICY_ARGUMENTS:
            found.extend(self._policy_like(address, body))
        return found

    def _arguments(
        self, address: str, body: Tree[Token], argument: str
    ) -> list[tuple[str, Tree[Token]]]:
        """(policy id, expression) of `argument` (`block.attribute` for a nested block's)."""
        if "." not in argument:
            return [
                (f"{address}.{argument}", expression)
                for name, _, expression in attributes(body)
                if name == argument
            ]
        block_name, attribute = argument.split(".", 1)
        result = []
        nested = [inner for labels, _, inner in blocks(body) if labels == [block_name]]
        for i, inner in enumerate(nested):
            for name, _, expression in attributes(inner):
                if name == attribute:
                    result.append((f"{address}.{block_name}[{i}].{attribute}", expression))
        return result

    def _module(self, name: str, body: Tree[Token]) -> list[FoundPolicy]:
        return self._policy_like(f"module.{name}", body)

    def _policy_like(self, address: str, body: Tree[Token]) -> list[FoundPolicy]:
        """Arguments of modules and of resource types the table does not list that hold a
        policy document written in place (`jsonencode({Statement = ...})`, a heredoc): the
        policy's type is inferred from its statements."""
        found = []
        for name, _, expression in attributes(body):
            if "policy" not in name.lower() and not _writes_statement(self.source(expression)):
                continue
            document = self.policy_value(expression, written_only=True)
            if document is not None:
                found.append(self.found(f"{address}.{name}", document, expression, None, None))
        return found

    # --- a policy argument's value -----------------------------------------------------------

    def policy_value(
        self,
        expression: Tree[Token],
        *,
        written_only: bool = False,
        consumer: PolicyArgument | None = None,
    ) -> _Document | None:
        """The document an argument holds; None when it names a policy document data source
        (checked as that data source) or, `written_only`, when it is not a document written in
        place."""
        if _FILE_CALL.match(self.source(expression)):
            return None  # a policy file of the repository: checked as that file
        evaluator = Evaluator(self.text)
        start = start_of(expression)
        try:
            value = evaluator.evaluate(expression, ())
        except Unreadable as error:
            return _Document({}, {}, problem=(error.problem, error.offset))
        found = [(f.name, f.shape, f.offset) for f in evaluator.found]
        if isinstance(value, DocumentReference):
            if value.name in self.data_blocks and consumer is not None:
                self.consumers.setdefault(value.name, []).append(consumer)
            return None
        if isinstance(value, dict):
            if written_only and "Statement" not in value:
                return None
            return _Document(value, evaluator.offsets, found)
        if isinstance(value, str):
            whole = marked_names(value)
            if len(whole) == 1 and value == marker(whole[0]):
                if written_only:
                    return None
                problem = (
                    f"the policy is `${{{whole[0]}}}`, known only when Terraform runs "
                    "(a plan shows it)"
                )
                return _Document({}, {}, found, (problem, start))
            return self.json_text(value, expression, found, written_only)
        if written_only:
            return None
        return _Document({}, {}, found, ("the policy is not a JSON document", start))

    def json_text(
        self,
        text: str,
        expression: Tree[Token],
        found: list[tuple[str, Shape, int]],
        written_only: bool,
    ) -> _Document | None:
        """A policy written as JSON text (a heredoc, a string)."""
        place = self._text_place(expression)
        try:
            decoded = decode_json(text, self.filename)
        except InputError as error:
            if written_only and "Statement" not in text:
                return None
            problem = f"the policy is not valid JSON: {error.problem}"
            if MARK in text:
                problem += " (an interpolation outside a JSON string?)"
            return _Document({}, {}, found, (problem, start_of(expression)))
        if written_only and not (isinstance(decoded.value, dict) and "Statement" in decoded.value):
            return None
        offsets: dict[Path, tuple[int, int]] = {}
        spans = decoded.spans
        if isinstance(spans, OffsetSpans):
            text_lines = LineIndex(text)
            for path, (start, end) in spans.offsets.items():
                offsets[path] = (place(text_lines, start), place(text_lines, end))
        return _Document(decoded.value, offsets, found)

    def _text_place(self, expression: Tree[Token]) -> Callable[[LineIndex, int], int]:
        """Where an offset in the text of a heredoc or string is in the file: by line and
        column, a trimmed heredoc's indentation added back (an unknown's marker is as long as
        the `${...}` it stands for, so nothing else moves)."""
        source = self.source(expression)
        start = start_of(expression)
        if not source.startswith("<<"):
            first = start + 1 if source.startswith('"') else start
            return lambda _, offset: first + offset
        body_start = start + source.index("\n") + 1
        cut = 0
        if source.startswith("<<-"):
            body = source[source.index("\n") + 1 :]
            lines = body.split("\n")[:-1]
            indents = [len(x) - len(x.lstrip(" \t")) for x in lines[:-1] if x.strip()]
            cut = min(indents, default=0)
        file_starts = [body_start]
        for _ in range(source.count("\n")):
            file_starts.append(self.text.index("\n", file_starts[-1]) + 1)

        def place(text_lines: LineIndex, offset: int) -> int:
            line, column = text_lines.position(offset)
            index = min(line - 1, len(file_starts) - 1)
            return file_starts[index] + column + cut

        return place

    # --- aws_iam_policy_document -------------------------------------------------------------

    def document(self, name: str) -> _Document:
        """The data source's policy, as the AWS provider renders it (cached)."""
        if name in self.documents:
            return self.documents[name]
        if name in self.converting:
            return _Document({}, {}, problem=("the policy documents refer to each other", 0))
        self.converting.add(name)
        try:
            document = self._convert(self.data_blocks[name])
        except Unreadable as error:
            document = _Document({}, {}, problem=(error.problem, error.offset))
        self.converting.discard(name)
        self.documents[name] = document
        return document

    def _convert(self, body: Tree[Token]) -> _Document:
        evaluator = Evaluator(self.text, ampersand_variables=True)
        value: dict[str, Any] = {"Version": VARIABLES_VERSION}
        statements: list[Any] = []
        offsets = evaluator.offsets
        sources: list[_Document] = []
        overrides: list[_Document] = []
        for attribute, _, expression in attributes(body):
            if attribute == "version":
                value["Version"] = evaluator.evaluate(expression, ("Version",))
            elif attribute == "policy_id":
                value["Id"] = evaluator.evaluate(expression, ("Id",))
            elif attribute in ("source_policy_documents", "override_policy_documents"):
                target = sources if attribute.startswith("source") else overrides
                target.extend(self._referenced(expression, evaluator))
            elif attribute == "source_json" or attribute == "override_json":
                target = sources if attribute == "source_json" else overrides
                target.extend(self._referenced_one(expression, evaluator))
        for labels, node, block_body in blocks(body):
            path: Path = ("Statement", len(statements))
            if labels == ["statement"]:
                offsets[path] = (start_of(node), end_of(node))
                statements.append(self._statement(block_body, evaluator, path))
            elif labels[:1] == ["dynamic"]:
                offsets[path] = (start_of(node), end_of(node))
                name = "dynamic_" + "_".join(labels[1:]) + "_" + _for_each_name(block_body, self)
                self.iterators.update(labels[1:])
                self.iterators.update(_iterator_names(block_body))
                evaluator.found.append(_found(name, Shape.STRUCTURE, start_of(node)))
                self.index[name] = self.source(node)
                statements.append(marker(name))
        value["Statement"] = statements
        merged = _merge(value, offsets, sources, overrides)
        found = [(f.name, f.shape, f.offset) for f in evaluator.found]
        for other in (*sources, *overrides):
            found.extend(other.found)
            if other.problem is not None:
                return _Document({}, {}, found, other.problem)
        return _Document(merged[0], merged[1], found)

    def _referenced(self, expression: Tree[Token], evaluator: Evaluator) -> list[_Document]:
        value = evaluator.evaluate(expression, ("<sources>",))
        items = value if isinstance(value, list) else [value]
        documents: list[_Document] = []
        for item in items:
            documents.extend(self._one_reference(item, expression, evaluator))
        return documents

    def _referenced_one(self, expression: Tree[Token], evaluator: Evaluator) -> list[_Document]:
        return self._one_reference(
            evaluator.evaluate(expression, ("<source>",)), expression, evaluator
        )

    def _one_reference(
        self, item: Any, expression: Tree[Token], evaluator: Evaluator
    ) -> list[_Document]:
        if isinstance(item, DocumentReference) and item.name in self.data_blocks:
            return [self.document(item.name)]
        name = "documents_" + unknown_name(self.source(expression))
        evaluator.found.append(_found(name, Shape.STRUCTURE, start_of(expression)))
        return [_Document({"Statement": [marker(name)]}, {})]

    def _statement(self, body: Tree[Token], evaluator: Evaluator, path: Path) -> dict[str, Any]:
        statement: dict[str, Any] = {}
        for attribute, _, expression in attributes(body):
            for hcl_name, iam_name in _STATEMENT_KEYS:
                if attribute == hcl_name:
                    statement[iam_name] = evaluator.evaluate(expression, (*path, iam_name))
        statement.setdefault("Effect", "Allow")
        for labels, node, inner in blocks(body):
            if labels == ["principals"] or labels == ["not_principals"]:
                key = "Principal" if labels == ["principals"] else "NotPrincipal"
                self._principals(statement, key, inner, evaluator, (*path, key), node)
            elif labels == ["condition"]:
                self._condition(statement, inner, evaluator, (*path, "Condition"), node)
            elif labels[:1] == ["dynamic"]:
                name = "dynamic_" + "_".join(labels[1:]) + "_" + _for_each_name(inner, self)
                self.iterators.update(labels[1:])
                self.iterators.update(_iterator_names(inner))
                evaluator.found.append(_found(name, Shape.STRUCTURE, start_of(node)))
                self.index[name] = self.source(node)
                statement.setdefault("Condition", {})[marker(name)] = {}
        return statement

    def _principals(
        self,
        statement: dict[str, Any],
        key: str,
        body: Tree[Token],
        evaluator: Evaluator,
        path: Path,
        node: Tree[Token],
    ) -> None:
        arguments = {name: expression for name, _, expression in attributes(body)}
        kind = (
            evaluator.evaluate(arguments["type"], (*path, "<type>")) if "type" in arguments else ""
        )
        if not isinstance(kind, str) or MARK in kind:
            raise Unreadable("a principal type that is not known cannot be read", start_of(node))
        target = statement.setdefault(key, {})
        if kind == "*":
            statement[key] = "*"
            evaluator.offsets[path] = (start_of(node), end_of(node))
            return
        if not isinstance(target, dict):
            return
        existing = target.get(kind, [])
        identifiers = (
            evaluator.evaluate(
                arguments["identifiers"],
                (*path, kind, len(existing) if isinstance(existing, list) else 0),
            )
            if "identifiers" in arguments
            else []
        )
        if isinstance(identifiers, list) and isinstance(existing, list):
            base = len(existing)
            for i in range(len(identifiers)):
                written: Path = (*path, kind, base, i)
                moved: Path = (*path, kind, base + i)
                start_end = evaluator.offsets.get(written)
                if start_end is not None:
                    evaluator.offsets[moved] = start_end
            target[kind] = existing + identifiers
        else:
            target[kind] = identifiers
        evaluator.offsets.setdefault(path, (start_of(node), end_of(node)))

    def _condition(
        self,
        statement: dict[str, Any],
        body: Tree[Token],
        evaluator: Evaluator,
        path: Path,
        node: Tree[Token],
    ) -> None:
        arguments = {name: expression for name, _, expression in attributes(body)}
        test = (
            evaluator.evaluate(arguments["test"], (*path, "<test>"))
            if "test" in arguments
            else None
        )
        variable = (
            evaluator.evaluate(arguments["variable"], (*path, "<variable>"))
            if "variable" in arguments
            else None
        )
        if not isinstance(test, str) or not isinstance(variable, str):
            raise Unreadable("a condition without a known `test` and `variable`", start_of(node))
        values = (
            evaluator.evaluate(arguments["values"], (*path, test, variable))
            if "values" in arguments
            else []
        )
        conditions = statement.setdefault("Condition", {})
        block = conditions.setdefault(test, {})
        if variable in block and isinstance(block[variable], list) and isinstance(values, list):
            block[variable] = block[variable] + values
        else:
            block[variable] = values
        evaluator.offsets.setdefault(path, (start_of(node), end_of(node)))
        evaluator.offsets.setdefault((*path, test), (start_of(node), end_of(node)))

    # --- lambda permissions and attachments --------------------------------------------------

    def _lambda_permission(self, address: str, node: Tree[Token], body: Tree[Token]) -> FoundPolicy:
        """`aws_lambda_permission` as the one statement it adds to the function's policy (its
        Resource is `*`: the policy applies to that function only)."""
        evaluator = Evaluator(self.text)
        arguments = {name: expression for name, _, expression in attributes(body)}
        statement: dict[str, Any] = {"Effect": "Allow", "Resource": "*"}
        path: Path = ("Statement", 0)
        evaluator.offsets[path] = (start_of(node), end_of(node))
        try:
            if "action" in arguments:
                statement["Action"] = evaluator.evaluate(arguments["action"], (*path, "Action"))
            if "principal" in arguments:
                principal = evaluator.evaluate(arguments["principal"], (*path, "Principal"))
                statement["Principal"] = _lambda_principal(principal)
            conditions: dict[str, Any] = {}
            for argument, operator, key in (
                ("source_arn", "ArnLike", "AWS:SourceArn"),
                ("source_account", "StringEquals", "AWS:SourceAccount"),
                ("principal_org_id", "StringEquals", "aws:PrincipalOrgID"),
                ("event_source_token", "StringEquals", "lambda:EventSourceToken"),
                ("function_url_auth_type", "StringEquals", "lambda:FunctionUrlAuthType"),
            ):
                if argument in arguments:
                    conditions.setdefault(operator, {})[key] = evaluator.evaluate(
                        arguments[argument], (*path, "Condition", operator, key)
                    )
            if conditions:
                statement["Condition"] = conditions
        except Unreadable as error:
            document = _Document({}, {}, problem=(error.problem, error.offset))
            return self.found(address, document, node, PolicyType.RESOURCE, "AWS::Lambda::Function")
        found = [(f.name, f.shape, f.offset) for f in evaluator.found]
        value = {"Version": VARIABLES_VERSION, "Statement": [statement]}
        document = _Document(value, evaluator.offsets, found)
        return self.found(address, document, node, PolicyType.RESOURCE, "AWS::Lambda::Function")

    def _organizations_typed(
        self, body: Tree[Token], found: list[FoundPolicy]
    ) -> list[FoundPolicy]:
        """An `aws_organizations_policy`'s content as its `type` says (an SCP when it has
        none, as Terraform reads it); a tag, backup or other policy holds no IAM policy; a
        `type` this file does not fix leaves the content unreadable (never guessed)."""
        written: object = PolicyType.SERVICE_CONTROL.value
        for name, _, expression in attributes(body):
            if name == "type":
                try:
                    written = Evaluator(self.text).evaluate(expression, ())
                except Unreadable:
                    written = None
                if not isinstance(written, str) or "${" in written:
                    problem = "its `type` is not fixed in this file: an SCP or an RCP?"
                    return [replace(f, problem=problem) for f in found]
        kind = organizations_policy_type(written)
        if kind is None:
            return []  # not an IAM policy (TAG_POLICY, BACKUP_POLICY, ...)
        return [replace(f, policy_type=kind) for f in found]

    def _boundary(self, address: str, node: Tree[Token], body: Tree[Token]) -> FoundPolicy:
        """The role's or user's permissions boundary as written ("" when it has none), to be
        compared with the base's: removing or replacing one may grant more. When it names a
        policy this file defines (`aws_iam_policy.limit.arn`), its document is read here as a
        PERMISSIONS_BOUNDARY (as CloudFormation reads a `PermissionsBoundary` naming a
        template's managed policy); the policy's own definition stays an identity policy."""
        arn = ""
        place: Tree[Token] = node
        named: _Document | None = None
        for name, _, expression in attributes(body):
            if name == BOUNDARY_ARGUMENT:
                arn = self.source(expression)
                place = expression
                named = self._named_policy(expression)
        return self.found(
            f"{address}.{BOUNDARY_ARGUMENT}",
            named or _Document({}, {}),
            place,
            attachment_type(boundary=True) if named is not None else PolicyType.IDENTITY,
            None,
            attaches=BOUNDARY_PREFIX + arn,
        )

    def _named_policy(self, expression: Tree[Token]) -> _Document | None:
        """The document of the policy a boundary argument names, when this file defines it."""
        try:
            value = Evaluator(self.text).evaluate(expression, ())
        except Unreadable:
            return None
        return self._attached_document(value) if isinstance(value, str) else None

    def _attached_document(self, arn: str) -> _Document | None:
        """The document of `aws_iam_policy.NAME.arn` when this file defines that policy."""
        target = re.fullmatch(MARK + r"\{aws_iam_policy\.([\w-]+)\.arn\}", arn)
        return None if target is None else self._defined_policy(target.group(1))

    def _attachments(self, policy_id: str, expression: Tree[Token]) -> list[FoundPolicy]:
        """Each policy an attachment argument attaches: the attached document when this file
        defines it (`aws_iam_policy.p.arn`), else the ARN alone (unknown access)."""
        evaluator = Evaluator(self.text)
        try:
            value = evaluator.evaluate(expression, ())
        except Unreadable as error:
            document = _Document({}, {}, problem=(error.problem, error.offset))
            return [self.found(policy_id, document, expression, PolicyType.IDENTITY, None)]
        items = value if isinstance(value, list) else [value]
        found = []
        for i, item in enumerate(items):
            item_id = policy_id if len(items) == 1 else f"{policy_id}[{i}]"
            arn = item if isinstance(item, str) else self.source(expression)
            shown = arn.replace(MARK, "$")
            document = self._attached_document(arn) or _Document({}, {})
            kind = attachment_type(boundary=False)
            found.append(self.found(item_id, document, expression, kind, None, attaches=shown))
        return found

    def _defined_policy(self, name: str) -> _Document | None:
        for labels, _, body in blocks(self.body):
            if labels == ["resource", "aws_iam_policy", name]:
                for attribute, _, expression in attributes(body):
                    if attribute == "policy":
                        value = self.policy_value(expression)
                        if value is None:
                            reference = re.search(
                                r"data\.aws_iam_policy_document\.([\w-]+)", self.source(expression)
                            )
                            if reference and reference.group(1) in self.data_blocks:
                                return self.document(reference.group(1))
                        return value
        return None


def _found(name: str, shape: Shape, offset: int) -> Any:
    from policy_guard.sources.hcl_values import Found

    return Found(name, shape, offset)


def _iterator_names(body: Tree[Token]) -> list[str]:
    """A `dynamic` block's `iterator = name`, when it renames its iterator."""
    names = []
    for name, _, expression in attributes(body):
        if name == "iterator":
            names.append(" ".join(str(t) for t in expression.scan_values(lambda v: True)))
    return names


def _for_each_name(body: Tree[Token], file: _File) -> str:
    for name, _, expression in attributes(body):
        if name == "for_each":
            return unknown_name(file.source(expression))
    return "value"


def _address(reference: str) -> str | None:
    """The definition a reference names: `var.x`, `local.y`, `data.t.n`, `t.n`, `module.m`."""
    parts = reference.split(".")
    if parts[0] == "data":
        return ".".join(parts[:3]) if len(parts) >= 3 else None
    if parts[0] in ("each", "count", "self", "path", "terraform"):
        return None
    if len(parts) >= 2:
        head = parts[1].split("[")[0]
        return f"{parts[0]}.{head}"
    if reference.startswith(("dynamic_", "documents_")):
        return reference
    return None


def _lambda_principal(principal: Any) -> Any:
    if principal == "*":
        return "*"
    if isinstance(principal, str) and principal.endswith(".amazonaws.com"):
        return {"Service": principal}
    return {"AWS": principal}


def _writes_statement(source: str) -> bool:
    return "Statement" in source


def _merge(
    value: dict[str, Any],
    offsets: dict[Path, tuple[int, int]],
    sources: list[_Document],
    overrides: list[_Document],
) -> tuple[dict[str, Any], dict[Path, tuple[int, int]]]:
    """The AWS provider's merge: source documents' statements first, replaced by this
    document's statements of the same Sid; then override documents' statements replace those
    of the same Sid or are appended."""
    if not sources and not overrides:
        return value, offsets
    entries: list[tuple[Any, Mapping[Path, tuple[int, int]], Path]] = []

    def add(
        statement: Any, owner: Mapping[Path, tuple[int, int]], path: Path, replace: bool
    ) -> None:
        sid = statement.get("Sid") if isinstance(statement, dict) else None
        if replace and isinstance(sid, str) and sid:
            for i, (existing, _, _) in enumerate(entries):
                if isinstance(existing, dict) and existing.get("Sid") == sid:
                    entries[i] = (statement, owner, path)
                    return
        entries.append((statement, owner, path))

    for document in sources:
        for i, statement in enumerate(_statements(document.value)):
            add(statement, document.offsets, ("Statement", i), False)
    for i, statement in enumerate(_statements(value)):
        add(statement, offsets, ("Statement", i), True)
    for document in overrides:
        for i, statement in enumerate(_statements(document.value)):
            add(statement, document.offsets, ("Statement", i), True)
    merged_offsets: dict[Path, tuple[int, int]] = {
        p: o for p, o in offsets.items() if not (p and p[0] == "Statement")
    }
    for index, (_, owner, old_path) in enumerate(entries):
        n = len(old_path)
        for path, span in owner.items():
            if path[:n] == old_path:
                merged: Path = ("Statement", index, *path[n:])
                merged_offsets[merged] = span
    return {**value, "Statement": [e[0] for e in entries]}, merged_offsets


def _statements(value: Any) -> list[Any]:
    statements = value.get("Statement") if isinstance(value, dict) else None
    if isinstance(statements, dict):
        return [statements]
    return statements if isinstance(statements, list) else []
