"""Coarse, role-level permissions on root fields (deny by default; rows are scoped in repositories).

``allow(Role.ADMIN)`` gives the field extension to put on a root field. A test walks the schema
and fails on any root field that has none.
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission, PermissionExtension

from app.auth import Role
from app.errors import Forbidden, Unauthenticated

ANY_ROLE = tuple(Role)


class RoleIn(BasePermission):
    """Authenticated, and with one of the given roles."""

    def __init__(self, roles: tuple[Role, ...]):
        self.roles = roles

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal is None:
            raise Unauthenticated("missing or unknown API key: send Authorization: Bearer <key>")
        if principal.role in self.roles:
            return True
        allowed = ", ".join(self.roles)
        raise Forbidden(f"{info.field_name} is for {allowed}; this key's role is {principal.role}")


def allow(*roles: Role) -> PermissionExtension:
    return PermissionExtension(permissions=[RoleIn(roles or ANY_ROLE)], use_directives=False)


def roles_of(extension: object) -> tuple[Role, ...] | None:
    """The roles a root field allows, for the deny-by-default test; None if not ours."""
    if isinstance(extension, PermissionExtension):
        for permission in extension.permissions:
            if isinstance(permission, RoleIn):
                return permission.roles
    return None
