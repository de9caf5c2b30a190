"""The node declaration: one place that says what a node is.

Everything else (graph-file validation, ``thyra nodes``, editor widgets, cache keys) is
derived from a :class:`NodeSpec`. A node is declared with the :func:`node` decorator::

    @node(
        "image.threshold", category="image",
        inputs=[Input("image", Image)],
        params=[Param("value", 128, min=0, max=255, help="grey level that separates the classes")],
        outputs=[Output("mask", Mask)],
    )
    def threshold(image, *, value):
        \"\"\"Split an image into foreground and background at a grey level.\"\"\"
        return image.data.mean(axis=2) > value

The function receives its inputs as port values, its parameters as keyword arguments, and,
if it declares a ``ctx`` parameter, the run :class:`~thyra_graph.engine.context.Context`.
It returns a dict keyed by output name, or the bare value when there is one output.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from thyra_graph.types import PortType, type_by_name

from .param_kinds import ParamKind
from .samples import is_sample_ref, sample_ref_problem

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
PORT_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*$")
PARAM_KINDS = ("int", "float", "bool", "str", "choice", "path", "color", "points", "json")
CACHE_POLICIES = ("disk", "memory", "none")
DEVICES = ("cpu", "gpu")


class DeclarationError(ValueError):
    """A node declaration is malformed (a plugin author's mistake, reported at discovery)."""


class ParamError(ValueError):
    """A parameter value does not fit its declaration. The message names the allowed values."""


class NodeError(RuntimeError):
    """Raised by node code for a failure the user can act on; shown without a traceback."""


@dataclass(frozen=True)
class Destination:
    """A network address a node will send data to, known from its params before it runs.

    ``chosen_by`` says who picked the URL: ``"graph"`` (a param in the graph file, which the
    user must allow) or ``"user"`` (the user's environment or a built-in default); ``secret``
    names the secret sent along, if any (only hosts the user bound it to may receive it).
    """

    url: str
    chosen_by: str = "graph"
    secret: str | None = None
    note: str = ""  # what is sent, e.g. "image crops and prompts"


@dataclass(frozen=True)
class ModelRef:
    """A model a node needs, known from its params before it runs (a ``models`` hook returns these).

    ``name`` is what the user wrote in param ``param``: a Hugging Face id (``source="hub"``), a
    local file or folder (``source="path"``, nothing to fetch), or a checkpoint file name with
    its published ``url`` and ``sha256`` (``source="url"``, e.g. Meta's SAM 2 checkpoints).
    ``files`` are the hub file patterns the loader reads (empty: the whole repository);
    ``gated`` says the hub asks users to accept a licence first; ``repo`` is a hub repository
    holding the same file, used when there is no models folder to put a loose file in.
    """

    name: str
    param: str
    backend: str = "transformers"
    source: str = "hub"
    files: tuple[str, ...] = ()
    revision: str | None = None
    gated: bool = False
    url: str = ""
    sha256: str = ""
    repo: str = ""

    def __post_init__(self) -> None:
        if self.source not in ("hub", "path", "url"):
            raise DeclarationError(f"model {self.name!r}: source must be hub, path or url, got {self.source!r}")
        if self.source == "url" and not self.url:
            raise DeclarationError(f"model {self.name!r}: a url model needs its url")
        object.__setattr__(self, "files", tuple(self.files))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "param": self.param, "backend": self.backend, "source": self.source}
        for key in ("revision", "url", "sha256", "repo"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.files:
            data["files"] = list(self.files)
        if self.gated:
            data["gated"] = True
        return data


def _port_type(value: type[PortType] | str) -> type[PortType]:
    if isinstance(value, str):
        try:
            return type_by_name(value)
        except KeyError as exc:
            raise DeclarationError(exc.args[0]) from None
    if isinstance(value, type) and issubclass(value, PortType):
        return value
    raise DeclarationError(f"port type must be a PortType subclass or its name, got {value!r}")


@dataclass(frozen=True)
class Input:
    """An input port. ``required=False`` inputs may be left unconnected (the node gets None)."""

    name: str
    type: type[PortType] | str
    required: bool = True
    help: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", _port_type(self.type))


@dataclass(frozen=True)
class Output:
    """An output port."""

    name: str
    type: type[PortType] | str
    help: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", _port_type(self.type))


@dataclass(frozen=True)
class Param:
    """A parameter: default, allowed values and a one-line help text.

    ``kind`` is derived from the default when not given (bool, int, float, str; ``choice``
    when ``choices`` is given). Path parameters say whether the node reads or writes the file
    (``io="read"`` files are fingerprinted into the cache key; ``io="write"`` marks a sink).
    ``optional=True`` also allows ``None`` (for "no limit" style values).
    ``affects_result=False`` declares a param that cannot change what the node computes
    (``unload``, ``timeout``, ``retries``, ``concurrency``, ``overwrite``, ``debug_dir``): it is
    left out of the cache key, so toggling it re-runs nothing.
    ``seed=True`` marks the param that seeds a non-deterministic node: ``None`` asks for a
    fresh draw on every run, a number for a repeatable one.
    ``kind`` may also be a plugin's :class:`~thyra_graph.engine.param_kinds.ParamKind`: its
    check, wording and editor widget are used, and ``kind`` then holds its name.
    """

    name: str
    default: Any
    kind: str | ParamKind | None = None
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: Sequence[Any] | None = None
    help: str = ""
    io: str | None = None
    optional: bool = False
    affects_result: bool = True
    seed: bool = False
    #: The plugin kind declaration when ``kind`` names one (None for built-in kinds).
    plugin_kind: ParamKind | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.kind, ParamKind):
            if self.kind.coerce is None:  # a built-in kind's record: Param checks it itself
                object.__setattr__(self, "kind", self.kind.name)
            else:
                object.__setattr__(self, "plugin_kind", self.kind)
                object.__setattr__(self, "kind", self.kind.name)
        kind = self.kind or _kind_of(self.default, self.choices)
        if self.plugin_kind is not None:
            if self.choices is not None or self.min is not None or self.max is not None or self.io is not None:
                raise DeclarationError(f"param {self.name!r}: a {kind!r} param takes no min, max, choices or io; "
                                       "its kind checks the value")
        elif kind not in PARAM_KINDS:
            raise DeclarationError(f"param {self.name!r}: kind must be one of {', '.join(PARAM_KINDS)}, got {kind!r}")
        object.__setattr__(self, "kind", kind)
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))
        if kind == "path" and self.io not in ("read", "write", None):
            raise DeclarationError(f"param {self.name!r}: io must be 'read' or 'write'")
        if kind != "path" and self.io is not None:
            raise DeclarationError(f"param {self.name!r}: io={self.io!r} applies to path parameters only: add kind='path'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise DeclarationError(f"param {self.name!r}: min {_fmt(self.min)} is above max {_fmt(self.max)}")
        if self.step is not None and not self.step > 0:
            raise DeclarationError(f"param {self.name!r}: step must be positive, got {self.step!r}")
        if self.default is None:
            object.__setattr__(self, "optional", True)
        else:
            try:
                object.__setattr__(self, "default", self.coerce(self.default))
            except ParamError as exc:
                raise DeclarationError(f"param {self.name!r}: default does not fit: {exc}") from None

    @property
    def widget(self) -> str:
        """The editor widget family: the kind's own name, or the one a plugin kind chose."""
        return self.plugin_kind.widget if self.plugin_kind is not None else self.kind

    # -- checking values ----------------------------------------------------------------------
    def describe_range(self) -> str:
        """Human wording of the allowed values, used in error messages and help."""
        if self.plugin_kind is not None:
            return self.plugin_kind.describe
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind in ("int", "float"):
            if self.min is not None and self.max is not None:
                return f"{self.kind} from {_fmt(self.min)} to {_fmt(self.max)}"
            if self.min is not None:
                return f"{self.kind} >= {_fmt(self.min)}"
            if self.max is not None:
                return f"{self.kind} <= {_fmt(self.max)}"
            return "an integer" if self.kind == "int" else "a number"
        return {
            "bool": "true or false", "str": "a string", "path": "a file path",
            "color": "a colour '#rrggbb' or [r, g, b]",
            "points": "a list of [x, y] or [x, y, label] (label 1 positive, 0 negative)",
            "json": "a JSON-friendly value (numbers, strings, lists, mappings)",
        }[self.kind]

    def coerce(self, value: Any) -> Any:
        """Return the value in canonical form, or raise :class:`ParamError`."""
        if value is None:
            if self.optional:
                return None
            raise ParamError(f"a value is required ({self.describe_range()})")
        if self.plugin_kind is not None:
            try:
                return self.plugin_kind.check(value)
            except ValueError as exc:
                raise ParamError(str(exc)) from None
        kind = self.kind
        if kind == "bool":
            if isinstance(value, bool):
                return value
            raise ParamError(f"expected true or false, got {value!r}")
        if kind in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ParamError(f"expected {self.describe_range()}, got {value!r}")
            if kind == "int":
                if isinstance(value, float) and not value.is_integer():
                    raise ParamError(f"expected {self.describe_range()}, got {value!r}")
                value = int(value)
            else:
                value = float(value)
                if not math.isfinite(value):
                    bounds = f" ({self.describe_range()})" if self.min is not None or self.max is not None else ""
                    raise ParamError(f"expected a finite number{bounds}, got {value!r}")
            if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
                raise ParamError(f"{value!r} is out of range: expected {self.describe_range()}")
            return value
        if kind == "choice":
            if value in self.choices:
                return value
            raise ParamError(f"{value!r} is not allowed: expected {self.describe_range()}")
        if kind in ("str", "path"):
            if not isinstance(value, str):
                raise ParamError(f"expected {self.describe_range()}, got {value!r}")
            if kind == "path" and not value.strip():
                raise ParamError("the path is empty")
            if kind == "path" and is_sample_ref(value):
                problem = sample_ref_problem(value, writes=self.io != "read")  # io=None may write (trust.py)
                if problem is not None:
                    raise ParamError(problem)
            return value
        if kind == "color":
            return _coerce_color(value)
        if kind == "points":
            return _coerce_points(value)
        try:
            return json.loads(json.dumps(value))
        except (TypeError, ValueError):
            raise ParamError(f"expected {self.describe_range()}, got {value!r}") from None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "kind": self.kind, "default": self.default, "help": self.help}
        for key in ("min", "max", "step", "io"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.choices is not None:
            data["choices"] = list(self.choices)
        if self.optional:
            data["optional"] = True
        if not self.affects_result:
            data["affects_result"] = False
        if self.seed:
            data["seed"] = True
        if self.plugin_kind is not None:
            data["widget"] = self.plugin_kind.widget
        return data


def _kind_of(default: Any, choices: Sequence[Any] | None) -> str:
    if choices is not None:
        return "choice"
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    if isinstance(default, str):
        return "str"
    raise DeclarationError(f"cannot tell the kind of a parameter with default {default!r}: pass kind=")


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _coerce_color(value: Any) -> list[int]:
    if isinstance(value, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        return [int(value[i:i + 2], 16) for i in (1, 3, 5)]
    if (isinstance(value, (list, tuple)) and len(value) == 3
            and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value)):
        return [int(v) for v in value]
    raise ParamError(f"expected a colour '#rrggbb' or [r, g, b] with 0-255 values, got {value!r}")


def _coerce_points(value: Any) -> list[list[float]]:
    if not isinstance(value, (list, tuple)):
        raise ParamError(f"expected a list of [x, y] or [x, y, label], got {value!r}")
    points = []
    for item in value:
        ok = isinstance(item, (list, tuple)) and len(item) in (2, 3) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in item)
        if not ok or (len(item) == 3 and item[2] not in (0, 1)):
            raise ParamError(f"point {item!r} must be [x, y] or [x, y, label] with label 1 (positive) or 0 (negative)")
        x, y = float(item[0]), float(item[1])
        points.append([x, y, int(item[2]) if len(item) == 3 else 1])
    return points


@dataclass(frozen=True, eq=False)
class NodeSpec:
    """Everything Thyra knows about a node type. Build it with :func:`node`."""

    id: str
    version: int
    category: str
    func: Callable[..., Any]
    inputs: tuple[Input, ...] = ()
    outputs: tuple[Output, ...] = ()
    params: tuple[Param, ...] = ()
    title: str = ""
    doc: str = ""
    deterministic: bool = True
    cache: str = "disk"
    device: str = "cpu"
    requires: tuple[str, ...] = ()
    install: str = ""  # how to install ``requires`` when plain ``pip install <module>`` is not the way
    migrations: Mapping[int, Callable[[dict[str, Any]], dict[str, Any]]] = field(default_factory=dict)
    wants_ctx: bool = False
    fingerprint: Callable[[dict[str, Any]], str] | None = None
    #: params → the :class:`Destination` s a node sends data to; listed and checked before a run.
    destinations: Callable[[dict[str, Any]], Sequence[Destination]] | None = None
    #: params → the :class:`ModelRef` s whose weights the node loads; listed by ``thyra models``.
    models: Callable[[dict[str, Any]], Sequence[ModelRef]] | None = None

    # -- lookups -----------------------------------------------------------------------------
    def input(self, name: str) -> Input | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output(self, name: str) -> Output | None:
        return next((p for p in self.outputs if p.name == name), None)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def summary(self) -> str:
        """The first line of the docstring: what a user sees in lists and tooltips."""
        return self.doc.strip().splitlines()[0] if self.doc.strip() else ""

    @property
    def code_version(self) -> str:
        """A hash of the node's source and the project modules it uses (see code_version.py)."""
        from .code_version import code_version

        return code_version(self.func)

    def draws_afresh(self, params: Mapping[str, Any]) -> bool:
        """Whether a run with these params is a new random draw (a seed param left at None)."""
        return not self.deterministic and any(p.seed and params.get(p.name) is None for p in self.params)

    @property
    def is_sink(self) -> bool:
        return any(p.kind == "path" and p.io == "write" for p in self.params)

    def needed_models(self, params: Mapping[str, Any] | None = None) -> list[ModelRef]:
        """The models a node with these params (defaults filled in) loads when it runs."""
        if self.models is None:
            return []
        values = {p.name: p.default for p in self.params}
        values.update(params or {})
        return list(self.models(values))

    def missing_requirements(self) -> list[str]:
        """Optional modules this node needs that are not installed (checked without importing)."""
        missing = []
        for module in self.requires:
            try:
                if importlib.util.find_spec(module) is None:
                    missing.append(module)
            except (ImportError, ValueError):
                missing.append(module)
        return missing

    def install_hint(self) -> str:
        """What to run to install this node's missing requirements (``install``, or pip install <modules>)."""
        return self.install or f"pip install {' '.join(self.missing_requirements() or self.requires)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "version": self.version, "category": self.category,
            "title": self.title, "summary": self.summary, "doc": self.doc.strip(),
            "inputs": [{"name": p.name, "type": p.type.type_name, "required": p.required, "help": p.help} for p in self.inputs],
            "outputs": [{"name": p.name, "type": p.type.type_name, "help": p.help} for p in self.outputs],
            "params": [p.to_json() for p in self.params],
            "deterministic": self.deterministic, "cache": self.cache, "device": self.device,
            "requires": list(self.requires), "install": self.install_hint(),
            "models": [ref.to_json() for ref in self.needed_models()],
        }

    # -- direct use --------------------------------------------------------------------------
    def __call__(self, *args: Any, ctx: Any = None, **kwargs: Any) -> Any:
        """Call the node function directly (notebooks, tests): defaults filled, no caching."""
        values = {p.name: p.default for p in self.params}
        for name, value in kwargs.items():
            param = self.param(name)
            # Same checks and conversions as in a graph (e.g. '#00ff00' → [0, 255, 0]).
            values[name] = param.coerce(value) if param is not None else value
        if self.wants_ctx:
            if ctx is None:
                from .context import Context

                ctx = Context.standalone(self.id)
            values["ctx"] = ctx
        return self.func(*args, **values)


def node(
    id: str,
    *,
    category: str | None = None,
    version: int = 1,
    inputs: Iterable[Input] = (),
    outputs: Iterable[Output] = (),
    params: Iterable[Param] = (),
    title: str | None = None,
    deterministic: bool = True,
    cache: str = "disk",
    device: str = "cpu",
    requires: Iterable[str] = (),
    install: str = "",
    migrations: Mapping[int, Callable[[dict[str, Any]], dict[str, Any]]] | None = None,
    fingerprint: Callable[[dict[str, Any]], str] | None = None,
    destinations: Callable[[dict[str, Any]], Sequence[Destination]] | None = None,
    models: Callable[[dict[str, Any]], Sequence[ModelRef]] | None = None,
) -> Callable[[Callable[..., Any]], NodeSpec]:
    """Declare a node type. See the module docstring for an example.

    ``deterministic=False`` says the result is one draw (a model's sampled answer, a random
    scene): it is cached like any result, so its descendants cache normally, and a new draw
    comes from a changed input or param, or from a param declared ``seed=True`` left at None.
    ``fingerprint`` declares external state the result depends on (like ComfyUI's
    ``IS_CHANGED``): called with the node's params when a run is planned, its string enters the
    cache key (e.g. the model a server reports, a sensor's serial number).

    ``migrations`` maps an old version ``v`` to a function turning a params dict of version
    ``v`` into one of version ``v + 1``; graph files saved with older versions are upgraded
    through them, or refused with a clear message when a step is missing.

    A node that talks to a server declares ``destinations``: a function of its params that
    returns every :class:`Destination` it will send data to, so a graph's network use is listed
    and allowed by the user before anything runs.

    A node that loads weights declares ``models``: a function of its params returning the
    :class:`ModelRef` s it needs, so ``thyra models`` and the editor can list, fetch and check
    them before anything runs.
    """

    def decorate(func: Callable[..., Any]) -> NodeSpec:
        spec = NodeSpec(
            id=id, version=version, category=category or id.split(".")[0], func=func,
            inputs=tuple(inputs), outputs=tuple(outputs), params=tuple(params),
            title=title or id.split(".")[-1].replace("_", " ").capitalize(),
            doc=inspect.getdoc(func) or "", deterministic=deterministic, cache=cache,
            device=device, requires=(requires,) if isinstance(requires, str) else tuple(requires), install=install,
            migrations=dict(migrations or {}),
            wants_ctx="ctx" in inspect.signature(func).parameters,
            fingerprint=fingerprint,
            destinations=destinations,
            models=models,
        )
        check_spec(spec)
        return spec

    return decorate


def check_spec(spec: NodeSpec) -> None:
    """Raise :class:`DeclarationError` naming every mistake in a declaration."""
    problems = []
    if not ID_PATTERN.match(spec.id):
        problems.append(f"id {spec.id!r} must be dotted lowercase like 'family.name'")
    if not isinstance(spec.version, int) or isinstance(spec.version, bool) or spec.version < 1:
        problems.append(f"version must be an int >= 1, got {spec.version!r}")
    if spec.cache not in CACHE_POLICIES:
        problems.append(f"cache must be one of {CACHE_POLICIES}, got {spec.cache!r}")
    if spec.device not in DEVICES:
        problems.append(f"device must be one of {DEVICES}, got {spec.device!r}")
    if not spec.outputs:
        problems.append("a node needs at least one output")
    if spec.models is not None and not callable(spec.models):
        problems.append("models must be a function of the params returning ModelRefs")
    if spec.fingerprint is not None and not callable(spec.fingerprint):
        problems.append("fingerprint must be a function of the params returning a string")
    seeds = [p.name for p in spec.params if p.seed]
    if seeds and spec.deterministic:
        problems.append(f"param {seeds[0]!r} is declared seed=True but the node is deterministic: add deterministic=False")
    if len(seeds) > 1:
        problems.append(f"only one param can be the seed, got {', '.join(seeds)}")
    names: dict[str, str] = {}
    for group, items in (("input", spec.inputs), ("output", spec.outputs), ("param", spec.params)):
        for item in items:
            if not PORT_PATTERN.match(item.name) or item.name == "ctx":
                problems.append(f"{group} name {item.name!r} must be lowercase_with_underscores (and not 'ctx')")
            if group != "output":
                if item.name in names:
                    problems.append(f"{group} {item.name!r} clashes with the {names[item.name]} of the same name")
                names[item.name] = group
    stale = [v for v in spec.migrations if not (isinstance(v, int) and 1 <= v < spec.version and callable(spec.migrations[v]))]
    if stale:
        problems.append(f"migrations must map older versions (1 to {spec.version - 1}) to functions; "
                        f"wrong: {', '.join(repr(v) for v in stale)}")
    seen_outputs = [o.name for o in spec.outputs]
    if len(set(seen_outputs)) != len(seen_outputs):
        problems.append("output names must be unique")
    try:
        signature = inspect.signature(spec.func)
        accepts_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
        expected = set(names) | ({"ctx"} if spec.wants_ctx else set())
        declared = {n for n, p in signature.parameters.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        missing = sorted(set(names) - declared) if not accepts_any else []
        extra = sorted(n for n in declared - expected if signature.parameters[n].default is inspect.Parameter.empty)
        if missing:
            problems.append(f"function {spec.func.__name__}() lacks arguments for {', '.join(missing)}")
        if extra:
            problems.append(f"function {spec.func.__name__}() has arguments {', '.join(extra)} that are not declared inputs or params")
    except (TypeError, ValueError):
        problems.append("the node function's signature cannot be inspected")
    if problems:
        raise DeclarationError(f"node {spec.id!r}: " + "; ".join(problems))
