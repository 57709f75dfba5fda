"""The typed models follow the protocol's JSON Schemas (docs/schemas, generated from the hub's zod
schemas by `pnpm gen:schemas`): a field the hub adds, drops or makes required shows up here."""
import json
import pathlib
import typing

import pytest

from agent_hub import models

SCHEMAS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "schemas"

# Models that describe a schema of the same name; the rest (e.g. PendingWrite) are client-side.
MODELS = [
    name
    for name, value in vars(models).items()
    if not name.startswith("_") and typing.is_typeddict(value) and (SCHEMAS / f"{name}.json").exists()
]


def schema_of(name: str) -> dict:
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    # A schema may be a $ref into its $defs (zod's registry output); follow one level.
    if "$ref" in schema and "properties" not in schema:
        ref = schema["$ref"].split("/")[-1]
        schema = schema.get("$defs", {}).get(ref, schema)
    return schema


def test_covers_the_payloads_the_client_reads():
    assert {"HubEvent", "PublishResult", "SubscribeResult", "DeadLetter", "Session", "AppendResult"} <= set(MODELS)


@pytest.mark.parametrize("name", MODELS)
def test_model_has_the_schemas_fields(name: str):
    model = getattr(models, name)
    schema = schema_of(name)
    # A union (anyOf) of objects: any branch's field may appear; required is what every branch requires.
    branches = schema.get("anyOf", [schema])
    properties = set().union(*(b.get("properties", {}) for b in branches))
    required = set.intersection(*(set(b.get("required", [])) for b in branches))
    fields = set(model.__required_keys__) | set(model.__optional_keys__)
    assert fields == properties, f"{name}: models.py and docs/schemas/{name}.json disagree"
    assert set(model.__required_keys__) == required, f"{name}: required fields differ"
