"""Who works in a tenant's console: a business signs up (its first person becomes the admin of a
new tenant), and its admins invite people with a role, change roles and remove people. The user
pool holds the sign-ins and the roles tokens name; the team record lists the people per tenant
and keeps the last-admin rule atomic."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, replace

from billing.domain.access import Caller, Permission, Role
from billing.domain.errors import Conflict, Forbidden
from billing.domain.team import Member, MemberStatus, Team
from billing.ports import Clock, Directory, Mailer, SettingsRepository, TeamRepository
from billing.services.notifications import business_of, letter, send_as_tenant
from billing.services.optimistic import change_with_retry
from billing.texts import texts

INVITATION_DAYS = 7  # the pool's TemporaryPasswordValidityDays


class SignUpClosed(Forbidden):
    code = "sign_up_closed"

    def __init__(self) -> None:
        super().__init__("self-service sign-up is turned off for this deployment; ask its operator for an account")


class TeamManagedElsewhere(Conflict):
    code = "team_managed_elsewhere"

    def __init__(self) -> None:
        super().__init__("this deployment trusts an outside sign-in service: its people are managed there")


@dataclass(frozen=True)
class SignUp:
    business_name: str
    email: str
    password: str
    locale: str


def new_tenant_id() -> str:
    return "t_" + secrets.token_hex(8)


def temporary_password() -> str:
    """Meets the pool's policy (12+ characters, upper and lower case, a digit) with room to spare."""
    letters = string.ascii_letters + string.digits
    body = "".join(secrets.choice(letters) for _ in range(16))
    return f"{body}Aa1-"


class TeamService:
    def __init__(
        self,
        teams: TeamRepository,
        directory: Directory | None,
        settings: SettingsRepository,
        mailer: Mailer,
        clock: Clock,
        *,
        sign_up_open: bool,
        console_url: str,
    ):
        self._teams = teams
        self._own_directory = directory
        self._settings = settings
        self._mailer = mailer
        self._clock = clock
        self.sign_up_open = sign_up_open
        self._console_url = console_url

    @property
    def _directory(self) -> Directory:
        if self._own_directory is None:
            raise TeamManagedElsewhere()
        return self._own_directory

    @property
    def manages_sign_ins(self) -> bool:
        return self._own_directory is not None

    def sign_up(self, request: SignUp) -> tuple[Team, Member]:
        """A new tenant with its business's name and locale, and its first person as its admin."""
        if not (self.sign_up_open and self.manages_sign_ins):
            raise SignUpClosed()
        tenant_id = new_tenant_id()
        user_id = self._directory.add_person(
            request.email, tenant_id, Role.ADMIN, sandbox=False, password=request.password, permanent=True
        )
        founder = Member(
            user_id=user_id,
            email=request.email,
            role=Role.ADMIN,
            status=MemberStatus.ACTIVE,
            invited_at=self._clock.now(),
        )
        try:
            team = self._teams.save(Team(tenant_id).with_member(founder))
            settings = self._settings.get(tenant_id)
            self._settings.save(replace(settings, business_name=request.business_name, locale=request.locale))
        except Exception:
            self._directory.remove_person(user_id)  # no sign-in into a tenant that was not made
            raise
        return team, founder

    def team(self, caller: Caller) -> Team:
        """The team; people who signed in since their invitation are marked active."""
        caller.require(Permission.READ)

        def change(team: Team) -> tuple[Team]:
            invited = [m.user_id for m in team.members if m.status == MemberStatus.INVITED]
            if not invited:
                return (team,)
            return (team.activated({user_id for user_id in invited if self._directory.has_signed_in(user_id)}),)

        return change_with_retry(lambda: self._teams.get(caller.tenant_id), change, self._teams.save, "team")

    def invite(self, caller: Caller, email: str, role: Role) -> Member:
        """A sign-in with a temporary password, emailed to the person with the console's address."""
        caller.require(Permission.ADMINISTER)
        self._teams.get(caller.tenant_id).with_member(self._invited(caller, "", email, role))  # refuse early
        password = temporary_password()
        user_id = self._directory.add_person(
            email, caller.tenant_id, role, sandbox=caller.sandbox, password=password, permanent=False
        )
        member = self._invited(caller, user_id, email, role)
        try:
            change_with_retry(
                lambda: self._teams.get(caller.tenant_id),
                lambda team: (team.with_member(member),),
                self._teams.save,
                "team",
            )
        except Exception:
            self._directory.remove_person(user_id)
            raise
        self._send_invitation(caller, member, password)
        return member

    def resend_invitation(self, caller: Caller, user_id: str) -> Member:
        """A new temporary password for someone who has not signed in yet, emailed again."""
        caller.require(Permission.ADMINISTER)
        member = self.team(caller).member(user_id)
        if member.status != MemberStatus.INVITED:
            raise Conflict(f"{member.email} has already signed in")
        password = temporary_password()
        self._directory.reset_invitation(user_id, password)
        self._send_invitation(caller, member, password)
        return member

    def change_role(self, caller: Caller, user_id: str, role: Role) -> Member:
        caller.require(Permission.ADMINISTER)
        before = self._teams.get(caller.tenant_id).member(user_id)

        def change(team: Team) -> tuple[Team]:
            return (team.with_role(user_id, role),)

        team = change_with_retry(lambda: self._teams.get(caller.tenant_id), change, self._teams.save, "team")
        if before.role != role:
            self._directory.set_role(user_id, role)
        return team.member(user_id)

    def remove(self, caller: Caller, user_id: str) -> None:
        """Off the team and unable to sign in (the pool deletes the sign-in and its sessions)."""
        caller.require(Permission.ADMINISTER)
        self._teams.get(caller.tenant_id).without(user_id)  # refuse the last admin before anything changes
        self._directory.remove_person(user_id)
        change_with_retry(
            lambda: self._teams.get(caller.tenant_id),
            lambda team: (team.without(user_id) if any(m.user_id == user_id for m in team.members) else team,),
            self._teams.save,
            "team",
        )

    def _invited(self, caller: Caller, user_id: str, email: str, role: Role) -> Member:
        return Member(
            user_id=user_id,
            email=email,
            role=role,
            status=MemberStatus.INVITED,
            invited_at=self._clock.now(),
            invited_by=caller.user_id,
        )

    def _send_invitation(self, caller: Caller, member: Member, password: str) -> None:
        settings = self._settings.get(caller.tenant_id)
        words = texts(settings.locale, "mail")
        business = business_of(settings, words)
        where = (
            words("invitation_link", url=self._console_url + "/") if self._console_url else words["invitation_no_link"]
        )
        body = letter(
            words,
            business,
            words("invitation", business=business, role=words[f"role_{member.role.value}"]),
            where,
            words("invitation_password", email=member.email, password=password, days=INVITATION_DAYS),
        )
        send_as_tenant(
            self._mailer,
            settings,
            to=[member.email],
            subject=words("invitation_subject", business=business),
            text=body,
        )
