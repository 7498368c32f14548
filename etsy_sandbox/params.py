"""Strict parsing of query strings and form bodies, the way Etsy's typed parameters behave.

Etsy's PHP front end types every parameter: an integer must be digits, a boolean must be
`true`/`false` or `1`/`0` (API-NOTES §4; Python's `True` is refused), arrays are comma
separated without brackets, and when a key repeats the last value wins (so a client that sends
`listing_ids=1&listing_ids=2` silently loses ids, as it would on Etsy).
"""

import re
from dataclasses import dataclass

from .constants import MAX_LIMIT
from .errors import bad_request

_INT_RE = re.compile(r"-?\d+\Z")
_FLOAT_RE = re.compile(r"-?(\d+(\.\d*)?|\.\d+)\Z")
_TRUE = ("true", "1")
_FALSE = ("false", "0")


@dataclass(frozen=True)
class Param:
    """One typed parameter: int, float, bool, str, enum, int_list, str_list or enum_list."""

    name: str
    kind: str
    default: object = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple = ()
    required: bool = False


def parse_params(source, params):
    """Parse `source` (a MultiDict or a dict) against `params`; unknown keys are ignored."""
    values = {}
    for param in params:
        raw = _last(source, param.name)
        if raw is None:
            if param.required:
                raise bad_request(f"Missing input parameter: [{param.name}]")
            values[param.name] = param.default
            continue
        values[param.name] = parse_value(param, raw)
    return values


def parse_value(param, raw):
    """Convert one raw string to the parameter's type, raising Etsy-style 400s."""
    parser = _PARSERS[param.kind]
    return parser(param, raw)


def _last(source, name):
    if hasattr(source, "getlist"):
        found = source.getlist(name)
        return found[-1] if found else None
    return source.get(name)


def _parse_int(param, raw):
    if not _INT_RE.match(raw):
        raise bad_request(f"Expected int value for '{param.name}' (got '{raw}').")
    return _check_range(param, int(raw))


def _parse_float(param, raw):
    if not _FLOAT_RE.match(raw):
        raise bad_request(f"Expected float value for '{param.name}' (got '{raw}').")
    return _check_range(param, float(raw))


def _check_range(param, value):
    if param.minimum is not None and value < param.minimum:
        raise bad_request(
            f"The value for '{param.name}' must be greater than or equal to {param.minimum}."
        )
    if param.maximum is not None and value > param.maximum:
        raise bad_request(
            f"The value for '{param.name}' must be less than or equal to {param.maximum}."
        )
    return value


def _parse_bool(param, raw):
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise bad_request(f"Expected bool value for '{param.name}' (got '{raw}').")


def _parse_str(param, raw):
    return raw


def _parse_enum(param, raw):
    if raw not in param.choices:
        choices = ", ".join(param.choices)
        raise bad_request(f"Invalid value '{raw}' for '{param.name}'. Expected one of: {choices}.")
    return raw


def _split(raw):
    return [item.strip() for item in raw.split(",") if item.strip()]


def _parse_str_list(param, raw):
    return _split(raw)


def _parse_int_list(param, raw):
    items = _split(raw)
    if not items and param.required:
        raise bad_request(f"Missing input parameter: [{param.name}]")
    return [_parse_int(Param(param.name, "int", minimum=1), item) for item in items]


def _parse_enum_list(param, raw):
    return [_parse_enum(param, item) for item in _split(raw)]


_PARSERS = {
    "int": _parse_int,
    "float": _parse_float,
    "bool": _parse_bool,
    "str": _parse_str,
    "enum": _parse_enum,
    "int_list": _parse_int_list,
    "str_list": _parse_str_list,
    "enum_list": _parse_enum_list,
}

SORT_ORDERS = ("asc", "ascending", "desc", "descending", "up", "down")
ASCENDING = frozenset(("asc", "ascending", "up"))
LIMIT = Param("limit", "int", default=25, minimum=1, maximum=MAX_LIMIT)
OFFSET = Param("offset", "int", default=0, minimum=0)
LEGACY = Param("legacy", "bool")
