"""Etsy's OpenAPI 3.0 document for tests: find it, turn its schemas into JSON Schema, validate.

    spec = load_spec()                      # None when the document is not available
    spec.validate_response("getShopReceipt", 200, body)          -> [error, ...]
    spec.validate_request("updateListingInventory", query={...}, body={...},
                          content_type="application/json")       -> [error, ...]

The document is looked up in env `ETSY_OPENAPI_SPEC`, else `<repo>/../shared/etsy/
etsy-openapi-v3_*.json` (never copied into the repo). OpenAPI 3.0 differs from JSON Schema in
`nullable` (converted to a `null` type or an `anyOf` with null) and in keywords JSON Schema does
not know (dropped). `closed=True` adds `additionalProperties: false` to every object, so a
response with a field the spec does not define fails (the spec itself leaves objects open).
"""

import copy
import json
import os
import re
from functools import lru_cache
from pathlib import Path

import jsonschema

SPEC_GLOB = "etsy-openapi-v3_*.json"
REPO = Path(__file__).resolve().parents[2]
DROPPED = frozenset(
    (
        "nullable",
        "example",
        "examples",
        "description",
        "x-resource-id",
        "discriminator",
        "readOnly",
        "writeOnly",
        "xml",
        "externalDocs",
        "deprecated",
        "x-nullable",
    )
)
_INT_RE = re.compile(r"-?\d+\Z")
_NUMBER_RE = re.compile(r"-?(\d+(\.\d*)?|\.\d+)\Z")


def find_spec():
    """Path of the spec, or None."""
    configured = os.environ.get("ETSY_OPENAPI_SPEC")
    if configured:
        path = Path(configured)
        return path if path.is_file() else None
    candidates = sorted((REPO.parent / "shared" / "etsy").glob(SPEC_GLOB))
    return candidates[-1] if candidates else None


@lru_cache(maxsize=1)
def load_spec():
    """The parsed spec wrapped in `OpenApi`, or None when it cannot be found."""
    path = find_spec()
    return OpenApi(json.loads(path.read_text(encoding="utf-8")), path) if path else None


def to_json_schema(node, closed=False):
    """Convert one OpenAPI 3.0 schema (and everything under it) to JSON Schema draft 4."""
    if isinstance(node, list):
        return [to_json_schema(item, closed) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in DROPPED:
            continue
        if key == "properties":
            out[key] = {name: to_json_schema(sub, closed) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = to_json_schema(value, closed)
        elif key in ("oneOf", "anyOf", "allOf"):
            out[key] = [to_json_schema(sub, closed) for sub in value]
        else:
            out[key] = copy.deepcopy(value)
    if closed and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if node.get("nullable"):
        out = _nullable(out)
    return out


def _nullable(schema):
    if "type" in schema and not any(k in schema for k in ("oneOf", "anyOf", "allOf", "$ref")):
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        schema = dict(schema, type=types + ["null"])
        if "enum" in schema:
            schema["enum"] = list(schema["enum"]) + [None]
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


class OpenApi:
    """Operations and converted schemas of one spec document."""

    def __init__(self, document, path=None):
        self.document = document
        self.path = path
        self.operations = {}
        for route, item in document["paths"].items():
            shared = item.get("parameters", [])
            for method, operation in item.items():
                if method in ("get", "put", "post", "delete", "patch"):
                    self.operations[operation["operationId"]] = (
                        method.upper(),
                        route,
                        operation,
                        shared,
                    )
        self._components = {}

    def operation(self, operation_id):
        """(METHOD, path, operation object, path-level parameters)."""
        return self.operations[operation_id]

    def scopes(self, operation_id):
        """The OAuth scopes the operation's `security` requires (empty for key-only ones)."""
        security = self.operation(operation_id)[2].get("security") or self.document.get(
            "security", []
        )
        return tuple(scope for requirement in security for scope in requirement.get("oauth2", []))

    def schema_properties(self, name):
        """Property names of a component schema, in spec order."""
        return list(self.document["components"]["schemas"][name].get("properties", {}))

    def _root(self, closed):
        if closed not in self._components:
            schemas = self.document["components"]["schemas"]
            self._components[closed] = {
                name: to_json_schema(schema, closed) for name, schema in schemas.items()
            }
        return {"components": {"schemas": self._components[closed]}}

    def _validator(self, schema, closed):
        root = dict(self._root(closed), **to_json_schema(schema, closed))
        return jsonschema.Draft4Validator(root)

    def response_schema(self, operation_id, status):
        """The raw OpenAPI schema of a response (None if the status is not documented)."""
        responses = self.operation(operation_id)[2]["responses"]
        response = responses.get(str(status))
        if response is None:
            return None
        return response.get("content", {}).get("application/json", {}).get("schema")

    def component_errors(self, name, instance, closed=False):
        """Errors of `instance` against components/schemas/<name>."""
        return _errors(self._validator({"$ref": f"#/components/schemas/{name}"}, closed), instance)

    def validate_response(self, operation_id, status, body, closed=False):
        """Errors of a response body against the operation's schema for that status."""
        schema = self.response_schema(operation_id, status)
        if schema is None:
            return [f"{operation_id} does not document status {status}"]
        return _errors(self._validator(schema, closed), body)

    def validate_request(
        self, operation_id, query=None, body=None, content_type=None, path_params=None
    ):
        """Errors of a request: path and query parameters, then the body for its content type.

        Query values are the strings sent; booleans must be `true`/`false`, arrays comma
        separated. JSON and form bodies are checked closed (no keys beyond the spec's).
        """
        _method, _route, operation, shared = self.operation(operation_id)
        parameters = shared + operation.get("parameters", [])
        errors = []
        for location, values in (("path", path_params), ("query", query)):
            errors += self._parameter_errors(
                parameters, location, values or {}, check=values is not None or location == "query"
            )
        errors += self._body_errors(operation, body, content_type)
        return errors

    def _parameter_errors(self, parameters, location, values, check):
        errors = []
        declared = {p["name"]: p for p in parameters if p["in"] == location}
        if not check:
            return errors
        for name in values:
            if name not in declared:
                errors.append(f"{location} parameter {name!r} is not in the spec")
        for name, parameter in declared.items():
            if name not in values:
                if parameter.get("required"):
                    errors.append(f"required {location} parameter {name!r} is missing")
                continue
            value, problem = _coerce(str(values[name]), parameter["schema"])
            if problem:
                errors.append(f"{location} parameter {name!r}: {problem}")
                continue
            errors += [
                f"{location} parameter {name!r}: {e}"
                for e in _errors(self._validator(parameter["schema"], False), value)
            ]
        return errors

    def _body_errors(self, operation, body, content_type):
        request_body = operation.get("requestBody")
        if request_body is None:
            return [] if body in (None, {}, "") else ["the operation takes no request body"]
        if body is None:
            return ["a request body is required"] if request_body.get("required") else []
        content = request_body["content"]
        if content_type not in content:
            return [f"content type {content_type!r} is not one of {sorted(content)}"]
        schema = content[content_type]["schema"]
        # A multipart body's fields are strings too (its files arrive as placeholders).
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            properties = schema.get("properties", {})
            unknown = [f"form field {k!r} is not in the spec" for k in body if k not in properties]
            coerced = {}
            for key, raw in body.items():
                if key in properties:
                    value, problem = _coerce(str(raw), properties[key])
                    if problem:
                        unknown.append(f"form field {key!r}: {problem}")
                    coerced[key] = value
            return unknown + _errors(self._validator(schema, True), coerced)
        return _errors(self._validator(schema, True), body)


def _coerce(raw, schema):
    """(value, problem): a query/form string turned into the schema's type."""
    kind = schema.get("type")
    if kind == "integer":
        return (int(raw), None) if _INT_RE.match(raw) else (raw, f"{raw!r} is not an integer")
    if kind == "number":
        return (float(raw), None) if _NUMBER_RE.match(raw) else (raw, f"{raw!r} is not a number")
    if kind == "boolean":
        if raw in ("true", "false"):
            return raw == "true", None
        return raw, f"{raw!r} is not true/false"
    if kind == "array":
        items = [item for item in raw.split(",") if item != ""]
        values = []
        for item in items:
            value, problem = _coerce(item, schema.get("items", {}))
            if problem:
                return raw, problem
            values.append(value)
        return values, None
    return raw, None


def _errors(validator, instance):
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]
