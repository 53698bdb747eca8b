"""Read template.yaml as CloudFormation does: the local stack takes its tables, buckets, routes
and environment from here, so nothing is defined twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
DEFAULT_ROUTE = "$default"  # HTTP API's catch-all route


class _CfnLoader(yaml.SafeLoader):
    """Turns short-form intrinsics (``!Ref X``, ``!GetAtt A.B``, ``!Sub ...``) into their long form."""


def _intrinsic(loader: _CfnLoader, tag_suffix: str, node: yaml.Node):
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str  # logical id
    authorized: bool


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_uri: Path
    handler: str
    environment: dict = field(default_factory=dict)

    @property
    def handler_file(self) -> Path:
        """The module file its Handler names (``app.lambda_handler``: ``<CodeUri>/app.py``)."""
        return self.code_uri / f"{self.handler.rsplit('.', 1)[0]}.py"

    @property
    def handler_name(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@cache
def load() -> dict:
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)


def resources(resource_type: str) -> dict[str, dict]:
    return {name: r for name, r in load()["Resources"].items() if r["Type"] == resource_type}


def physical_name(logical_id: str) -> str:
    """Locally every resource is named after its logical id (buckets lower-cased, as S3 demands)."""
    resource = load()["Resources"][logical_id]
    return logical_id.lower() if resource["Type"] == "AWS::S3::Bucket" else logical_id


def resolve(value, parameters: dict[str, str]):
    if isinstance(value, dict) and set(value) == {"Ref"}:
        ref = value["Ref"]
        return parameters[ref] if ref in parameters else physical_name(ref)
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        condition, when_true, when_false = value["Fn::If"]
        return resolve(when_true if holds(condition, parameters) else when_false, parameters)
    return value


def holds(condition: str, parameters: dict[str, str]) -> bool:
    """A template condition of the forms the template uses: Fn::Equals of two values, Fn::Not of one."""
    return _evaluate(load()["Conditions"][condition], parameters)


def _evaluate(expression: dict, parameters: dict[str, str]) -> bool:
    if "Fn::Equals" in expression:
        left, right = (str(resolve(v, parameters)) for v in expression["Fn::Equals"])
        return left == right
    if "Fn::Not" in expression:
        return not _evaluate(expression["Fn::Not"][0], parameters)
    raise ValueError(f"the local stack cannot evaluate the condition {expression}")


def functions() -> dict[str, Function]:
    shared_env = load().get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    result = {}
    for name, resource in resources("AWS::Serverless::Function").items():
        props = resource["Properties"]
        env = {**shared_env, **props.get("Environment", {}).get("Variables", {})}
        result[name] = Function(name, ROOT / props["CodeUri"], props["Handler"], env)
    return result


def api_functions() -> dict[str, Function]:
    """The functions the HTTP API invokes (the others are started by a schedule or a queue)."""
    with_routes = {r.function for r in routes()}
    return {name: f for name, f in functions().items() if name in with_routes}


def routes() -> list[Route]:
    found = []
    for name, resource in resources("AWS::Serverless::Function").items():
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] != "HttpApi":
                continue
            props = event["Properties"]
            auth = props.get("Auth", {}).get("Authorizer")
            method = "ANY" if props["Path"] == DEFAULT_ROUTE else props["Method"].upper()
            found.append(Route(method, props["Path"], name, authorized=auth != "NONE"))
    return found


def operation_routes() -> list[Route]:
    """The routes that name an operation (all but the $default catch-all)."""
    return [r for r in routes() if r.path != DEFAULT_ROUTE]


def parameter_defaults() -> dict[str, str]:
    return {k: str(v["Default"]) for k, v in load().get("Parameters", {}).items() if "Default" in v}
