"""Role-level permissions on root fields, read from the one access policy (app/domain/policy.py;
deny by default: a field missing from it is nobody's). Rows are scoped in repositories.

``guard()`` gives the field extension every root field carries; a test fails on a root field
without one, and on a root field the policy does not list.
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission, PermissionExtension

from app.domain.policy import describe, roles_for
from app.errors import Forbidden, Unauthenticated


class Policed(BasePermission):
    """Authenticated, and with a role the policy gives this field ("Type.field")."""

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal is None:
            raise Unauthenticated("missing or unknown API key: send Authorization: Bearer <key>")
        roles = roles_for(f"{info.path.typename}.{info.field_name}")
        if principal.role in roles:
            return True
        raise Forbidden(f"{info.field_name} is for {describe(roles) or 'no role'}; this key's role is {principal.role}")


def guard() -> PermissionExtension:
    return PermissionExtension(permissions=[Policed()], use_directives=False)


def guarded(extension: object) -> bool:
    """Whether a field extension is the policy's guard (for the deny-by-default test)."""
    return isinstance(extension, PermissionExtension) and any(
        isinstance(permission, Policed) for permission in extension.permissions)
