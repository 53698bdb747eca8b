"""A tenant's team: the people who sign in to its console, each with one role. The team always
keeps an admin: the last admin can neither leave nor be made something else."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from billing.domain.access import Role
from billing.domain.errors import Conflict, NotFound

MAX_TEAM_SIZE = 50  # the team is one record; 50 people is far beyond a small business's staff


class MemberStatus(StrEnum):
    INVITED = "invited"  # has not yet signed in and chosen a password
    ACTIVE = "active"


class LastAdmin(Conflict):
    code = "last_admin"

    def __init__(self) -> None:
        super().__init__("the team needs an admin: make someone else an admin first")


class AlreadyMember(Conflict):
    code = "already_member"

    def __init__(self, email: str) -> None:
        super().__init__(f"{email} is already on the team")


class TeamFull(Conflict):
    code = "team_full"

    def __init__(self) -> None:
        super().__init__(f"a team has at most {MAX_TEAM_SIZE} people")


@dataclass(frozen=True)
class Member:
    user_id: str  # the user pool's id of the person (the token's "sub")
    email: str
    role: Role
    status: MemberStatus
    invited_at: datetime
    invited_by: str = ""  # the inviting admin's user id; empty for the business's founder


@dataclass(frozen=True)
class Team:
    tenant_id: str
    members: tuple[Member, ...] = ()
    version: int = 0  # 0: not saved yet

    def member(self, user_id: str) -> Member:
        for member in self.members:
            if member.user_id == user_id:
                return member
        raise NotFound(f"no team member {user_id}")

    def with_member(self, member: Member) -> Team:
        """The team with a new person; an email is on a team once."""
        if any(m.email.lower() == member.email.lower() for m in self.members):
            raise AlreadyMember(member.email)
        if len(self.members) >= MAX_TEAM_SIZE:
            raise TeamFull()
        return replace(self, members=(*self.members, member))

    def with_role(self, user_id: str, role: Role) -> Team:
        current = self.member(user_id)
        if current.role == role:
            return self
        changed = tuple(replace(m, role=role) if m.user_id == user_id else m for m in self.members)
        return self._keeping_an_admin(changed)

    def without(self, user_id: str) -> Team:
        self.member(user_id)
        return self._keeping_an_admin(tuple(m for m in self.members if m.user_id != user_id))

    def activated(self, user_ids: set[str]) -> Team:
        """The team with these invited people marked as having signed in."""
        if not user_ids:
            return self
        members = tuple(replace(m, status=MemberStatus.ACTIVE) if m.user_id in user_ids else m for m in self.members)
        return replace(self, members=members)

    def _keeping_an_admin(self, members: tuple[Member, ...]) -> Team:
        if not any(m.role == Role.ADMIN for m in members):
            raise LastAdmin()
        return replace(self, members=members)
