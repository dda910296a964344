"""The API's documentation page, rendered on the server from the OpenAPI document."""

from __future__ import annotations

import json

from flask import Blueprint, render_template

from casework.api.openapi import document
from casework.workflow import describe

bp = Blueprint("api_docs", __name__)


def _schema_name(schema: dict | None) -> str:
    ref = (schema or {}).get("$ref", "")
    return ref.removeprefix("#/components/schemas/")


@bp.get("/api/docs")
def docs():
    spec = document()
    endpoints = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            responses = []
            for status, response in op["responses"].items():
                content = response.get("content", {})
                schema = content.get("application/json", {}).get("schema")
                responses.append((status, response["description"], _schema_name(schema)))
            endpoints.append({
                "method": method.upper(), "path": "/api/v1" + path, "summary": op["summary"],
                "tag": op["tags"][0], "parameters": op.get("parameters", []),
                "who": op.get("description", "").removeprefix("**Who:** ").rstrip("."),
                "body": _schema_name(body.get("schema")), "responses": responses,
                "anchor": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
            })
    schemas = {name: json.dumps(schema, indent=2, ensure_ascii=False)
               for name, schema in spec["components"]["schemas"].items()}
    return render_template("api/docs.html", info=spec["info"], endpoints=endpoints,
                           schemas=schemas, workflow=describe())
