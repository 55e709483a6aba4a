"""NHS.UK component macros, remembered: each macro's output is kept for the parameters it was given.

An NHS.UK macro (nhsuk-frontend-jinja) is a pure function of its parameters: it is imported
without context, reads nothing but `params`, and nests several more macros (a search box is a
label, an input, an icon and a button, each filling in a dozen defaults and escaping every
attribute). Rendering one search box took about 4 ms, a third of a search page's own time; the
header and footer, the same on every page for a patient, another 2 ms. Here every macro that an
NHS.UK component or macro file exports is wrapped so that a second call with equal parameters
returns the first call's output.

Equal means the same structure of plain values: dicts (in their order), lists, `str` and `Markup`
(kept apart: one is escaped, the other is not), numbers (a float by its text: -0.0 is not 0.0),
booleans (kept apart from 1 and 0), None and Jinja's Undefined. A call with anything else in it
(an object, a `caller` block) is rendered as before, and so is one whose parameters or output are
large, so nothing big is kept.

A text box's value (`input`, `searchInput`) is one more case: most calls differ only in what
the person typed. Its output is kept once for a stand-in value, and the typed value, escaped,
is put where the stand-in was. The value reaches only the `value` attribute, where it is
escaped, so this gives the same HTML, except that the macros indent their output, which puts
spaces after any line break in the value: a value with a line break, or one that is not plain
`str`, is rendered as before. `tests/web/test_nhsuk_macros.py` holds both equal to the macros.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from flask.templating import Environment as FlaskEnvironment
from jinja2 import Template, Undefined
from jinja2.environment import TemplateModule
from jinja2.runtime import Macro
from markupsafe import Markup, escape

# Which templates' macros are remembered: the NHS.UK components and their shared macros.
_REMEMBERED_PREFIXES = ("nhsuk/components/", "nhsuk/macros/")
# Macros whose `value` parameter is only ever the `value` attribute of an <input>.
_VALUE_SLOT_MACROS = frozenset({"input", "searchInput"})
# A stand-in nobody types: private-use characters, which the macros pass through unchanged.
_VALUE_STAND_IN = "\ue000nhsuk-value\ue001"
KEPT_PER_MACRO = 256  # outputs kept for each macro before it starts afresh
MAX_KEY_CHARACTERS = 4_096  # parameters longer than this (all text together) are not remembered
MAX_OUTPUT_CHARACTERS = 16_384  # nor an output longer than this

_UNCACHEABLE = object()


def _key(value: Any, budget: list[int]) -> Any:
    """A hashable stand-in for `value` that two calls share only when the macro renders them alike,
    or _UNCACHEABLE. `budget` counts down the characters of text allowed. Exact types only: a
    subclass (a MultiDict, a lazy string) may answer the macro differently from what it holds."""
    kind = type(value)
    if kind is str or kind is Markup:
        budget[0] -= len(value)
        if budget[0] < 0:
            return _UNCACHEABLE
        return ("M" if kind is Markup else "S", str(value))
    if value is None or kind is bool:
        return value
    if kind is int:
        return ("N", "int", value)
    if kind is float:  # by its text: -0.0 equals 0.0 but is shown "-0.0", and NaN equals nothing
        return ("N", "float", repr(value))
    if isinstance(value, Undefined):
        return ("U",)
    if kind is dict:
        items = []
        for name, item in value.items():
            if type(name) is not str:
                return _UNCACHEABLE
            found = _key(item, budget)
            if found is _UNCACHEABLE:
                return _UNCACHEABLE
            items.append((name, found))
        return ("D", tuple(items))
    if kind is list or kind is tuple:
        members = []
        for item in value:
            found = _key(item, budget)
            if found is _UNCACHEABLE:
                return _UNCACHEABLE
            members.append(found)
        return ("L", kind.__name__, tuple(members))
    return _UNCACHEABLE


class RememberedMacro:
    """Calls `macro`, keeping its output per parameters (see the module's docstring)."""

    def __init__(self, macro: Macro) -> None:
        self.macro = macro
        self.name = macro.name
        self._kept: dict[Any, Markup] = {}
        self._lock = threading.Lock()
        self._value_slot = macro.name in _VALUE_SLOT_MACROS

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs or len(args) != 1:  # a `caller` block, or a form this does not know: as before
            return self.macro(*args, **kwargs)
        params = args[0]
        typed = self._typed_value(params)
        if typed is not None:
            params = {**params, "value": _VALUE_STAND_IN}
        key = _key(params, [MAX_KEY_CHARACTERS])
        if key is _UNCACHEABLE:
            return self.macro(*args)
        output = self._kept.get(key)
        if output is None:
            rendered = self.macro(params)
            if not isinstance(rendered, Markup) or len(rendered) > MAX_OUTPUT_CHARACTERS:
                return self.macro(*args) if typed is not None else rendered
            output = rendered
            if typed is not None and output.count(_VALUE_STAND_IN) != 1:
                return self.macro(*args)
            with self._lock:
                if len(self._kept) >= KEPT_PER_MACRO:
                    self._kept.clear()
                self._kept[key] = output
        if typed is None:
            return output
        before, _, after = output.partition(_VALUE_STAND_IN)  # Markup's: each part stays Markup
        return before + escape(typed) + after

    def _typed_value(self, params: Any) -> str | None:
        """The text box's value when it can be put in place of the stand-in, else None."""
        if not self._value_slot or not isinstance(params, dict):
            return None
        value = params.get("value")
        if type(value) is not str or not value or "\n" in value or "\r" in value:
            return None
        if _VALUE_STAND_IN in value:
            return None
        return value


class RememberingTemplate(Template):
    """A template whose module, when it is an NHS.UK component's or macros' file, remembers the
    outputs of the macros it exports."""

    def make_module(
        self,
        vars: dict[str, Any] | None = None,
        shared: bool = False,
        locals: Mapping[str, Any] | None = None,
    ) -> TemplateModule:
        module = super().make_module(vars, shared, locals)
        # Only the module made without a caller's variables: it cannot depend on a request.
        if vars or shared or locals or not (self.name or "").startswith(_REMEMBERED_PREFIXES):
            return module
        for name, value in list(module.__dict__.items()):
            if isinstance(value, Macro) and not name.startswith("_"):
                setattr(module, name, RememberedMacro(value))
        return module


class Environment(FlaskEnvironment):
    """Flask's template environment, with NHS.UK macros remembered."""

    template_class = RememberingTemplate


def unwrapped(macro: Callable[..., Any]) -> Callable[..., Any]:
    """The macro itself, not remembered (for tests that compare the two)."""
    return macro.macro if isinstance(macro, RememberedMacro) else macro
