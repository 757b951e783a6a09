"""Reading the settings from the environment, where a bad one becomes one line for a person: the variable, what it
holds and what it accepts, instead of pydantic's traceback. Every mode words it so: the stdio server, `serve --http`
and each command. The HTTP-only settings matter only to `serve --http` and `ui`: elsewhere a bad one is left unread."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from .settings import Settings

logger = logging.getLogger(__name__)
PREFIX = "EXPIRING_MEMORY_"
HTTP_ONLY = ("http_tokens", "allowed_hosts", "allowed_origins")  # read by `serve --http` and `ui` alone
_SHOWN = 60  # at most this much of a bad value is repeated back


class BadSetting(Exception):
    """A setting in the environment that cannot be used; its message is the one line to show."""


def read_settings(*, http: bool = False) -> Settings:
    """Settings from the environment; a bad one raises BadSetting. Without `http`, bad HTTP-only settings are
    ignored (left at their defaults), since nothing else reads them."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = exc.errors()
    relevant = [p for p in problems if http or _field(p) not in HTTP_ONLY]
    if relevant:
        raise BadSetting(" ".join(dict.fromkeys(worded(p) for p in relevant)))
    logger.debug("ignoring the HTTP-only settings, which only `serve --http` and `ui` read: %s", _names(problems))
    try:
        return Settings(
            **{name: Settings.model_fields[name].get_default(call_default_factory=True) for name in HTTP_ONLY}
        )
    except ValidationError as exc:  # not expected: the same environment, with the HTTP-only settings left out
        raise BadSetting(" ".join(worded(p) for p in exc.errors())) from None


def worded(problem: ErrorDetails) -> str:
    """One problem as sentences: `EXPIRING_MEMORY_TTL_SESSION_DAYS='abc' is not accepted (not a number). It holds:
    how long a `session` memory lives, in days. It accepts: a number above 0 and at most 36500.`"""
    name = _field(problem)
    field = Settings.model_fields.get(name)
    schema = _schema(name)
    given = f"={_shown(problem['input'])}" if _repeatable(problem, schema) else ""
    reason = _reason(problem)
    text = f"{_variable(problem)}{given} is not accepted{f' ({reason})' if reason else ''}."
    if field is not None and field.description:
        text += f" It holds: {field.description.rstrip('.')}."
    if accepts := _accepts(schema):
        text += f" It accepts: {accepts}."
    return text


def _field(problem: ErrorDetails) -> str:
    """The Settings field a problem is about: its name, or the field an alias (such as MEM0_API_KEY) belongs to."""
    given = str(problem["loc"][0]) if problem["loc"] else ""
    if given in Settings.model_fields:
        return given
    for name, field in Settings.model_fields.items():
        choices = getattr(field.validation_alias, "choices", ())
        if given in choices or given == field.validation_alias:
            return name
    return given


def _variable(problem: ErrorDetails) -> str:
    """The environment variable: the prefixed field name, or the alias it was read from (MEM0_API_KEY)."""
    given = str(problem["loc"][0]) if problem["loc"] else ""
    return PREFIX + given.upper() if given in Settings.model_fields else given.upper()


def _names(problems: list[ErrorDetails]) -> str:
    return ", ".join(dict.fromkeys(_variable(p) for p in problems))


def _schema(name: str) -> dict[str, Any]:
    properties: dict[str, dict[str, Any]] = Settings.model_json_schema(by_alias=False)["properties"]
    schema = properties.get(name, {})
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]  # unset is always accepted
    return {**schema, **options[0]} if len(options) == 1 else schema


def _repeatable(problem: ErrorDetails, schema: dict[str, Any]) -> bool:
    """A bad value is repeated back only when it is one plain value and no secret: never a token or a key."""
    secret = schema.get("format") == "password" or schema.get("writeOnly") or schema.get("type") == "object"
    return len(problem["loc"]) == 1 and isinstance(problem["input"], str) and not secret


def _shown(value: str) -> str:
    return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "...")


def _reason(problem: ErrorDetails) -> str:
    """What is wrong, when the accepted values alone would not say it: a check's own words, or the kind of value."""
    kind = problem["type"]
    if kind == "value_error":  # our validators' words (settings.py)
        return str(problem["ctx"]["error"]) if "ctx" in problem else problem["msg"]
    if kind in ("float_parsing", "float_type"):
        return "not a number"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "not a whole number"
    if kind in ("bool_parsing", "bool_type"):
        return "not true or false"
    if kind == "dict_type" and len(problem["loc"]) == 1:
        return "not a JSON object"
    if kind == "list_type" and len(problem["loc"]) == 1:
        return "not a JSON list"
    if len(problem["loc"]) > 1:  # inside a JSON value: which entry, not what it holds (a token is a secret)
        return f"an entry {problem['msg'].removeprefix('Input ')}"
    return ""


def _accepts(schema: dict[str, Any]) -> str | None:
    """What a field accepts, from its JSON schema: choices, a number's bounds, a text's length, JSON's shape."""
    if "enum" in schema:
        *head, last = [str(v) for v in schema["enum"]]
        return f"one of {', '.join(head)} or {last}" if head else last
    kind = schema.get("type")
    if kind in ("number", "integer"):
        noun = "a number" if kind == "number" else "a whole number"
        return f"{noun} {_range(schema)}".rstrip()
    if kind == "boolean":
        return "true or false"
    if kind == "object":
        values = schema.get("additionalProperties", {})
        if values.get("type") in ("number", "integer"):
            return f'a JSON object of numbers {_range(values)}, such as {{"session": 3}}'.replace("  ", " ")
        return 'a JSON object of text values, such as {"key": "value"}'
    if kind == "array":
        return 'a JSON list of text, such as ["one", "two"]'
    if kind == "string" and "minLength" in schema and "maxLength" in schema:
        return f"text of {schema['minLength']} to {schema['maxLength']} characters"
    if kind == "string" and schema.get("format") == "path":
        return "a path to a folder or file; ~ is your home folder"
    return None


def _range(schema: dict[str, Any]) -> str:
    """A number's bounds in words: 'from 1 to 100000', 'above 0 and at most 36500', '0 or more'."""
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f"from {low:g} to {high:g}"
    words = [f"above {schema['exclusiveMinimum']:g}"] if "exclusiveMinimum" in schema else []
    words += [f"{low:g} or more"] if low is not None else []
    words += [f"below {schema['exclusiveMaximum']:g}"] if "exclusiveMaximum" in schema else []
    words += [f"at most {high:g}"] if high is not None else []
    return " and ".join(words)
