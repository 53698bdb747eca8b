"""Who may do what. The tenant and role come only from the verified token."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from billing.domain.errors import Forbidden


class Role(StrEnum):
    ADMIN = "admin"
    BILLING = "billing"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ = "read"
    WRITE = "write"  # create and change customers, catalog, billing records
    ADMINISTER = "administer"  # tenant settings, irreversible deletes


_GRANTS = {
    Role.ADMIN: {Permission.READ, Permission.WRITE, Permission.ADMINISTER},
    Role.BILLING: {Permission.READ, Permission.WRITE},
    Role.VIEWER: {Permission.READ},
}


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    user_id: str
    role: Role
    sandbox: bool = False  # a test tenant (a claim of its token): it may use the test clock

    def require_sandbox(self) -> None:
        if not self.sandbox:
            raise Forbidden("this is a live tenant; the test clock is for sandbox tenants only")

    @property
    def permissions(self) -> list[Permission]:
        return sorted(_GRANTS[self.role])

    def require(self, permission: Permission) -> None:
        if permission not in _GRANTS[self.role]:
            raise Forbidden(f"role {self.role.value!r} may not {permission.value}")
