"""Reading a configuration YAML file: values fast, line numbers only for errors.

ruamel.yaml's safe loader (YAML 1.2, libyaml's C parser) gives the values; a second,
round-trip parse, which records line numbers, runs only when an error must name a line.
Parsed values may come from a cache keyed by the file's content (the workspace passes
one: `tracker.store.yamlcache`); nothing here writes files.
"""

from __future__ import annotations

import types
import typing
from datetime import date
from pathlib import Path
from typing import Any, Callable, Protocol, Union

from pydantic import BaseModel, ValidationError

from tracker.errors import ConfigError

Remember = Callable[[], None]


class ValueCache(Protocol):
    """Parsed values of a file per content: (values, a function that stores them, or None
    when they came from the cache)."""

    def load(
        self, path: Path, raw: bytes, parse: Callable[[], Any]
    ) -> tuple[Any, Remember | None]: ...


class YamlDoc:
    """One configuration file: its values, and (on demand) its round-trip tree for lines."""

    def __init__(self, path: Path, cache: ValueCache | None = None) -> None:
        self.path = path
        raw = read_bytes(path)
        if cache is None:
            self.data, self.remember = read_yaml(path, "safe", raw), None
        else:
            self.data, self.remember = cache.load(path, raw, lambda: read_yaml(path, "safe", raw))
        self._tree: Any = None
        blame = expansion_blame(self.data)
        if blame is not None:
            where, why = blame
            raise error_at(why, self, where)

    @property
    def tree(self) -> Any:
        if self._tree is None:
            self._tree = read_yaml(self.path, "rt")
        return self._tree

    def line(self, loc: tuple[Any, ...]) -> int | None:
        return line_of(self, loc)


# A YAML alias stands for its anchor's whole value: nine aliases of nine aliases of … (the
# "billion laughs") are a small file whose values, once walked, are billions of nodes —
# every later step (validation, the value cache) would walk them. Sharing that multiplies
# the values far beyond the file's own size is refused before anything walks them.
MAX_EXPANDED = 200_000  # nodes the values may hold when they share (aliases)
MAX_FACTOR = 10  # … and no more than this many times the distinct nodes


def expansion_blame(data: Any) -> tuple[tuple[Any, ...], str] | None:
    """(where, why) when aliases make `data` expand far beyond what the file holds, or
    refer to themselves; None for ordinary data. Linear in the distinct nodes."""
    sizes: dict[int, int] = {}
    refs: dict[int, int] = {}
    cycle = _expanded_sizes(data, sizes, refs)
    if cycle is not None:
        return cycle, "an alias refers to the value that holds it (a recursive YAML alias)"
    total, distinct = sizes.get(id(data), 1), len(sizes)
    if total <= max(MAX_EXPANDED, MAX_FACTOR * distinct):
        return None
    return (
        _largest_path(data, sizes, refs),
        f"YAML aliases expand this file to {total:,} values (from {distinct:,} written): "
        "refused as an alias bomb; write the values out instead",
    )


def _children(node: Any) -> list[tuple[Any, Any]]:
    if isinstance(node, dict):
        return list(node.items())
    if isinstance(node, list):
        return list(enumerate(node))
    return []


def _expanded_sizes(
    root: Any, sizes: dict[int, int], refs: dict[int, int]
) -> tuple[Any, ...] | None:
    """Fill `sizes` (id → nodes the value expands to) and `refs` (id → how many places
    hold it: more than one is an alias); the path of a cycle, if any."""
    on_path: dict[int, tuple[Any, ...]] = {}
    stack: list[tuple[Any, tuple[Any, ...], bool]] = [(root, (), False)]
    while stack:
        node, path, done = stack.pop()
        key = id(node)
        if done:
            on_path.pop(key, None)
            sizes[key] = 1 + sum(sizes.get(id(child), 1) for _, child in _children(node))
            continue
        if key in sizes or not isinstance(node, (dict, list)):
            continue
        if key in on_path:
            return path
        on_path[key] = path
        stack.append((node, path, True))
        for name, child in _children(node):
            if isinstance(child, (dict, list)):
                refs[id(child)] = refs.get(id(child), 0) + 1
                stack.append((child, path + (name,), False))
    return None


def _largest_path(data: Any, sizes: dict[int, int], refs: dict[int, int]) -> tuple[Any, ...]:
    """Where the expansion happens: down the largest child while it alone is over the
    limit, up to the first alias on the way."""
    path: tuple[Any, ...] = ()
    node = data
    while True:
        big = [
            (name, child)
            for name, child in _children(node)
            if sizes.get(id(child), 1) > MAX_EXPANDED
        ]
        if not big:
            return path
        name, node = max(big, key=lambda item: sizes.get(id(item[1]), 1))
        path += (name,)
        if refs.get(id(node), 0) > 1:
            return path


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=str(path)) from None


def read_yaml(path: Path, typ: str, raw: bytes | None = None) -> Any:
    # ruamel is imported here: with the values cached a run needs no parser
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ=typ)  # C parser for "safe" (pure=False is the default)
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load((path.read_bytes() if raw is None else raw).decode("utf-8"))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = (exc.problem or str(exc)).strip()
        if "duplicate" in str(exc).lower():
            problem = f"duplicate key: {problem}"
        raise ConfigError(f"invalid YAML: {problem}", file=str(path), line=line) from None
    except (YAMLError, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=str(path)) from None


def validate(
    model: type[BaseModel], data: Any, path: Path, prefix: tuple[Any, ...], doc: YamlDoc
) -> Any:
    try:
        return model.model_validate(plain(data))
    except ValidationError as exc:
        raise config_error(exc, model, doc, path, prefix) from None


def config_error(
    exc: ValidationError, model: type[BaseModel], doc: YamlDoc, path: Path, prefix: tuple[Any, ...]
) -> ConfigError:
    messages = []
    first: tuple[int | None, str] | None = None
    for err in exc.errors():
        loc = prefix + tuple(err["loc"])
        line, key = line_of(doc, loc), dotted(loc)
        if err["type"] == "extra_forbidden":
            allowed = ", ".join(_allowed_keys(model, tuple(err["loc"])[:-1]))
            text = f"unknown key {loc[-1]!r}; allowed: {allowed}"
        elif err["type"] == "missing":
            text = "required key is missing"
        else:
            text = f"{err['msg']} (got {err.get('input')!r})"
            text = text.replace("Value error, ", "")
        messages.append(f"{path}:{line or '?'}: {key}: {text}")
        first = first or (line, key)
    assert first is not None
    error = ConfigError(messages[0], file=str(path), line=first[0], key=first[1])
    error.args = ("\n".join(messages),)
    return error


def error_at(message: str, doc: YamlDoc, loc: tuple[Any, ...]) -> ConfigError:
    """A ConfigError naming the file, the line of `loc` and its dotted key."""
    return ConfigError(message, file=str(doc.path), line=line_of(doc, loc), key=dotted(loc))


def _allowed_keys(model: Any, loc: tuple[Any, ...]) -> list[str]:
    for part in loc:
        if isinstance(part, int) or not _is_model(model):
            model = _inner_model(model)
            if isinstance(part, int):
                continue
        if _is_model(model) and part in model.model_fields:
            model = _inner_model(model.model_fields[part].annotation)
        else:
            model = _inner_model(model)
    if not _is_model(model):
        return []
    return sorted(f.alias or name for name, f in model.model_fields.items())


def _is_model(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseModel)


def _inner_model(annotation: Any) -> Any:
    if _is_model(annotation):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, dict, Union, types.UnionType) or origin is not None:
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if _is_model(found):
                return found
    return annotation


def line_of(doc: YamlDoc, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest key along `loc` that ruamel recorded."""
    line, node = None, doc.tree
    for part in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, dict) and part in node:
                line = lc.key(part)[0] + 1 if lc else line
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                line = lc.item(part)[0] + 1 if lc else line
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


def dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def plain(node: Any) -> Any:
    """ruamel nodes → plain dict/list/scalars (keeps dates as dates)."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, (int, float)) else k: plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, date):
        return date(node.year, node.month, node.day) if not hasattr(node, "hour") else node
    return node
