"""EMC profiles: the conformance resources in ``profiles/`` and validation against them.

A resource that claims an EMC profile in ``meta.profile`` is validated against it on every
write (http://hl7.org/fhir/R4/validation.html#profile); a violation is a 422 OperationOutcome
listing every problem with its FHIRPath location. Profiles of other publishers in
``meta.profile`` are not enforced (the server does not hold them).
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import Issue, UnprocessableEntity

from .registry import EMC_PROFILE_BASE, Registry, emc_registry, is_emc_profile
from .validator import validate

__all__ = ["EMC_PROFILE_BASE", "check_claimed_profiles", "claimed_profiles", "profile_issues", "validate"]


def claimed_profiles(resource: dict[str, Any]) -> list[str]:
    """The EMC profiles the resource claims in ``meta.profile``."""
    meta = resource.get("meta")
    profiles = meta.get("profile") if isinstance(meta, dict) else None
    if not isinstance(profiles, list):
        return []
    return [p for p in profiles if isinstance(p, str) and is_emc_profile(p)]


def profile_issues(resource: dict[str, Any], urls: list[str], registry: Registry | None = None) -> list[Issue]:
    """Every issue of ``resource`` against each profile in ``urls``, each located by FHIRPath."""
    registry = registry or emc_registry()
    issues: list[Issue] = []
    for url in urls:
        found = validate(resource, url, registry)
        if len(urls) > 1:
            for issue in found:
                issue.diagnostics = f"{issue.diagnostics} [profile {url}]"
        issues.extend(found)
    return issues


def check_claimed_profiles(resource: dict[str, Any]) -> None:
    """Raise 422 with every issue if the resource breaks an EMC profile it claims."""
    urls = claimed_profiles(resource)
    if not urls:
        return
    issues = profile_issues(resource, urls)
    if issues:
        first = issues[0]
        more = f" (and {len(issues) - 1} more issues)" if len(issues) > 1 else ""
        where = f"{first.expression[0]}: " if first.expression else ""
        raise UnprocessableEntity(f"The resource does not conform to its profile: {where}{first.diagnostics}{more}",
                                  issues=issues)
