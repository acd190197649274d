"""``$validate`` (http://hl7.org/fhir/R4/resource-operation-validate.html).

``POST [base]/[type]/$validate`` with the resource as the body, or a ``Parameters`` body with
``resource``, ``mode`` and ``profile``; ``GET|POST [base]/[type]/[id]/$validate`` validates the
stored resource (or the one given, for ``mode=update``).

* Structure and the base spec's required bindings, as on every write (:mod:`fhir_server.validation`);
* then the profile named by ``profile`` (an EMC profile, or the base definition of the type),
  else the EMC profiles the resource claims in ``meta.profile``;
* ``mode``: ``create`` (any id is ignored), ``update`` (the resource needs an id, at instance
  level the instance's), ``delete`` (the instance must exist; whether the caller may delete it),
  ``profile`` (only the profile).

The answer is 200 with an OperationOutcome listing every issue, or one ``information`` issue
when there is none: a 4xx means the validation itself could not run (unknown type, profile or
mode, a body that is not a resource, an absent instance).
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import BadRequest, FhirError, InvalidResource, Issue, operation_outcome
from fhir_server.interactions.read import load_visible
from fhir_server.profiles import claimed_profiles, profile_issues
from fhir_server.profiles.registry import FHIR_BASE_SD, emc_registry, unversioned
from fhir_server.rest import Context, FhirRequest, FhirResponse
from fhir_server.spec.resource_types import check_type
from fhir_server.validation import validate_structure
from fhir_server.validation.resource_body import check_storable

from .params import Params, collect

NAME = "$validate"
MODES = ("create", "update", "delete", "profile")


def handle_type(ctx: Context, req: FhirRequest) -> FhirResponse:
    rtype = check_type(req.path[0])
    params = collect(req, NAME, frozenset({"resource", "mode", "profile"}))
    mode = _mode(params)
    if mode == "delete":
        raise BadRequest(f"{NAME}: mode=delete needs an instance: [type]/[id]/$validate", expression=["mode"])
    resource = _given(req, params)
    if resource is None:
        raise BadRequest(f"{NAME}: send the resource to validate as the body or the 'resource' parameter")
    issues = _check(resource, rtype, _profile(params, rtype), mode)
    return _answer(issues)


def handle_instance(ctx: Context, req: FhirRequest) -> FhirResponse:
    rtype, rid = check_type(req.path[0]), req.path[1]
    params = collect(req, NAME, frozenset({"resource", "mode", "profile"}))
    mode = _mode(params)
    profile = _profile(params, rtype)
    stored = load_visible(ctx, rtype, rid, req)
    if mode == "delete":
        return _answer(_deletable(ctx, rtype, stored))
    resource = _given(req, params) or stored["res"]
    issues = _check(resource, rtype, profile, mode)
    if mode == "update" and resource.get("id") != rid:
        issues.append(Issue("invalid", f"For an update of {rtype}/{rid} the resource id must be '{rid}'",
                            expression=[f"{rtype}.id"]))
    return _answer(issues)


def _mode(params: Params) -> str | None:
    mode = params.one("mode")
    if mode is not None and mode not in MODES:
        raise BadRequest(f"{NAME}: mode must be one of {', '.join(MODES)}, got {mode!r}", expression=["mode"])
    return mode


def _profile(params: Params, rtype: str) -> str | None:
    url = params.one("profile")
    if url is None:
        return None
    if unversioned(url) == f"{FHIR_BASE_SD}{rtype}":
        return url
    definition = emc_registry().structure_definition(url)
    if definition is None or definition.get("kind") != "resource":
        raise BadRequest(f"{NAME}: unknown profile {url}", expression=["profile"])
    if definition.get("type") != rtype:
        raise BadRequest(f"{NAME}: the profile {url} is for {definition.get('type')}, not {rtype}",
                         expression=["profile"])
    return url


def _given(req: FhirRequest, params: Params) -> dict[str, Any] | None:
    if "resource" in params.resources:
        return params.resources["resource"]
    body = req.body
    if body is None or (isinstance(body, dict) and body.get("resourceType") == "Parameters"):
        return None
    if not isinstance(body, dict):
        raise BadRequest(f"{NAME}: the body must be a FHIR resource (a JSON object)")
    return body


def _check(resource: dict[str, Any], rtype: str, profile: str | None, mode: str | None) -> list[Issue]:
    if not isinstance(resource, dict):
        raise BadRequest(f"{NAME}: the resource must be a JSON object")
    if resource.get("resourceType") != rtype:
        raise BadRequest(f"{NAME}: resourceType '{resource.get('resourceType')}' does not match '{rtype}'",
                         expression=["resourceType"])
    try:
        check_storable(resource)  # what a create or update would refuse before validating
    except InvalidResource as exc:
        return exc.issues
    issues = validate_structure(resource)
    if mode == "update" and "id" not in resource:
        issues.append(Issue("required", "An update needs the resource id", expression=[f"{rtype}.id"]))
    if issues:
        return issues  # a profile walk over a malformed resource would only repeat these
    urls = [profile] if profile else claimed_profiles(resource)
    urls = [u for u in urls if not unversioned(u).startswith(FHIR_BASE_SD)]
    return profile_issues(resource, urls) if urls else []


def _deletable(ctx: Context, rtype: str, stored: dict[str, Any]) -> list[Issue]:
    try:
        ctx.policy.check_write(rtype, None, stored)
    except FhirError as exc:
        return [Issue("forbidden", f"The resource could not be deleted: {exc}")]
    return []


def _answer(issues: list[Issue]) -> FhirResponse:
    if not issues:
        issues = [Issue("informational", "Validation successful: no issues found", severity="information")]
    return FhirResponse(200, operation_outcome(issues))
