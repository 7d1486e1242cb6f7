"""Read a registry YAML file (format: docs/registry-format.md) with line numbers for every error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError as PydanticValidationError

from ecosentinel.errors import ValidationError
from ecosentinel.registry import messages
from ecosentinel.registry.schemas import RegistryIn
from ecosentinel.registry.service import duplicate_problems

Loc = tuple[str | int, ...]


class RegistryFileError(ValidationError):
    """A registry file is invalid; ``errors`` lists every problem found, each with file:line:column."""

    def __init__(self, errors: list[ValidationError]) -> None:
        self.errors = errors
        lines = [messages.IMPORT_FAILED.format(count=len(errors)), *(str(e) for e in errors)]
        super().__init__("\n".join(lines), location=None)


MAX_YAML_CHARS = 20_000_000
"""A registry of a whole province is a few MB; anything larger is refused before parsing."""
MAX_YAML_DEPTH = 32
"""The registry format nests at most a few levels."""
ALLOWED_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")
)


def _refuse(name: str, mark: Any, text: str) -> RegistryFileError:
    where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else name
    return RegistryFileError([ValidationError(text, location=where)])


def compose_yaml(text: str, name: str) -> yaml.Node | None:
    """Compose a registry YAML document safely: size and nesting limited, aliases, anchors and every
    non-standard tag refused (a registry needs none of them, and aliases are how a few hundred bytes expand
    into gigabytes). Errors name file:line:column."""
    if len(text) > MAX_YAML_CHARS:
        raise _refuse(name, None, messages.YAML_TOO_LARGE.format(limit=MAX_YAML_CHARS // 1_000_000))
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise _refuse(name, event.start_mark, messages.YAML_ALIAS.format(anchor=event.anchor))
            if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
                raise _refuse(name, event.start_mark, messages.YAML_ALIAS.format(anchor=event.anchor))
            tag = getattr(event, "tag", None)
            if tag is not None and tag != "!" and tag not in ALLOWED_TAGS:
                raise _refuse(name, event.start_mark, messages.YAML_TAG.format(tag=tag))
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise _refuse(name, event.start_mark, messages.YAML_TOO_DEEP.format(limit=MAX_YAML_DEPTH))
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise _refuse(name, mark, messages.UNREADABLE_YAML.format(error=exc)) from exc


def _to_python(node: yaml.Node, loc: Loc, marks: dict[Loc, yaml.Mark]) -> Any:
    """Build plain Python data from a composed YAML node, remembering where each path starts."""
    marks[loc] = node.start_mark
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.SafeLoader("").construct_object(key_node)
            marks[(*loc, str(key))] = value_node.start_mark
            result[key] = _to_python(value_node, (*loc, str(key)), marks)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*loc, i), marks) for i, item in enumerate(node.value)]
    loader = yaml.SafeLoader("")
    return loader.construct_object(node)


def _mark_for(loc: Loc, marks: dict[Loc, yaml.Mark]) -> yaml.Mark | None:
    for end in range(len(loc), -1, -1):
        mark = marks.get(loc[:end])
        if mark is not None:
            return mark
    return None


def _path_text(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"


def load_registry_file(path: Path) -> RegistryIn:
    """Parse and validate a registry YAML file; raise RegistryFileError naming file:line:column."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryFileError(
            [ValidationError(messages.UNREADABLE_YAML.format(error=exc), location=name)]
        ) from exc
    node = compose_yaml(text, name)
    marks: dict[Loc, yaml.Mark] = {}
    data = _to_python(node, (), marks) if node is not None else None
    if not isinstance(data, dict):
        raise RegistryFileError([ValidationError(messages.NOT_A_MAPPING, location=f"{name}:1:1")])
    try:
        registry = RegistryIn.model_validate(data)
    except PydanticValidationError as exc:
        problems = [(tuple(error["loc"]), str(error["msg"])) for error in exc.errors()]
        raise RegistryFileError(_located(name, problems, marks)) from exc
    duplicates = duplicate_problems(registry)
    if duplicates:
        raise RegistryFileError(_located(name, duplicates, marks))
    return registry


def _located(
    name: str, problems: list[tuple[Loc, str]], marks: dict[Loc, yaml.Mark]
) -> list[ValidationError]:
    errors = []
    for loc, message in problems:
        mark = _mark_for(loc, marks)
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else name
        errors.append(
            ValidationError(
                messages.REGISTRY_INVALID.format(path=_path_text(loc), error=message), location=where
            )
        )
    return errors


def registry_marks(path: Path) -> dict[Loc, yaml.Mark]:
    """Positions of every path in a registry file (for errors found after validation)."""
    node = compose_yaml(path.read_text(encoding="utf-8"), str(path))
    marks: dict[Loc, yaml.Mark] = {}
    if node is not None:
        _to_python(node, (), marks)
    return marks
