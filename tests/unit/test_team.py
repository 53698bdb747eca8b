"""A business signs up and its admins manage the team: invitations with a temporary password in
the tenant's language, role changes that end sessions, removals, and the team never without an admin."""

from __future__ import annotations

import pytest

from billing.adapters.cognito import EmailTaken
from billing.domain.access import Caller, Role
from billing.domain.errors import Forbidden, NotFound, ValidationFailed
from billing.domain.team import MAX_TEAM_SIZE, LastAdmin, MemberStatus, TeamFull
from billing.services.team import SignUp, SignUpClosed, TeamManagedElsewhere, TeamService
from tests.unit.fakes import FixedClock, InMemoryDirectory, InMemorySettings, InMemoryTeams, RecordingMailer

PASSWORD = "Billow-test-2026"


class World:
    def __init__(self, *, sign_up_open: bool = True, own_directory: bool = True):
        self.teams = InMemoryTeams()
        self.directory = InMemoryDirectory()
        self.settings = InMemorySettings()
        self.mailer = RecordingMailer()
        self.service = TeamService(
            self.teams,
            self.directory if own_directory else None,
            self.settings,
            self.mailer,
            FixedClock(),
            sign_up_open=sign_up_open,
            console_url="https://billing.example.com",
        )

    def founder(self, locale: str = "de_DE") -> Caller:
        team, member = self.service.sign_up(SignUp("Muster GmbH", "erika@muster.de", PASSWORD, locale))
        return Caller(team.tenant_id, member.user_id, Role.ADMIN)


def test_sign_up_makes_a_tenant_whose_first_person_is_its_admin():
    world = World()
    team, founder = world.service.sign_up(SignUp("Muster GmbH", "erika@muster.de", PASSWORD, "de_DE"))
    assert team.tenant_id.startswith("t_") and len(team.tenant_id) == 18
    assert (founder.role, founder.status, founder.invited_by) == (Role.ADMIN, MemberStatus.ACTIVE, "")
    person = world.directory.people[founder.user_id]
    assert (person["tenant_id"], person["role"], person["temporary"]) == (team.tenant_id, Role.ADMIN, False)
    settings = world.settings.get(team.tenant_id)
    assert (settings.business_name, settings.locale) == ("Muster GmbH", "de_DE")
    assert world.teams.get(team.tenant_id).members == (founder,)


def test_two_sign_ups_make_two_tenants_and_one_email_signs_up_once():
    world = World()
    first, _ = world.service.sign_up(SignUp("A GmbH", "a@a.de", PASSWORD, "de_DE"))
    second, _ = world.service.sign_up(SignUp("B GmbH", "b@b.de", PASSWORD, "en_US"))
    assert first.tenant_id != second.tenant_id
    with pytest.raises(EmailTaken):
        world.service.sign_up(SignUp("C GmbH", "A@a.de", PASSWORD, "de_DE"))


def test_a_refused_password_leaves_no_tenant_and_no_sign_in():
    world = World()
    with pytest.raises(ValidationFailed) as refused:
        world.service.sign_up(SignUp("Muster GmbH", "erika@muster.de", "short", "de_DE"))
    assert refused.value.errors[0].field == "password"
    assert world.directory.people == {} and world.teams.saved == {}


def test_sign_up_can_be_turned_off_and_is_off_with_an_outside_issuer():
    for world in (World(sign_up_open=False), World(own_directory=False)):
        with pytest.raises(SignUpClosed):
            world.service.sign_up(SignUp("Muster GmbH", "erika@muster.de", PASSWORD, "de_DE"))
        assert world.directory.people == {}


def test_an_invitation_is_a_temporary_sign_in_emailed_in_the_tenants_language():
    world = World()
    admin = world.founder("de_DE")
    member = world.service.invite(admin, "max@muster.de", Role.BILLING)
    assert (member.role, member.status, member.invited_by) == (Role.BILLING, MemberStatus.INVITED, admin.user_id)
    person = world.directory.people[member.user_id]
    assert (person["tenant_id"], person["role"], person["temporary"]) == (admin.tenant_id, Role.BILLING, True)
    (mail,) = world.mailer.sent
    assert mail["to"] == ["max@muster.de"]
    assert mail["subject"] == "Einladung: Billow-Konsole von Muster GmbH"
    assert "Ihre Rolle: Buchhaltung" in mail["text"]
    assert "Melden Sie sich hier an: https://billing.example.com/" in mail["text"]
    assert f"Vorläufiges Passwort: {person['password']}" in mail["text"]
    assert "gilt 7 Tage" in mail["text"]


def test_an_invited_person_shows_as_active_once_they_chose_their_password():
    world = World()
    admin = world.founder()
    member = world.service.invite(admin, "max@muster.de", Role.VIEWER)
    assert world.service.team(admin).member(member.user_id).status == MemberStatus.INVITED
    world.directory.people[member.user_id]["temporary"] = False  # the first sign-in
    assert world.service.team(admin).member(member.user_id).status == MemberStatus.ACTIVE
    assert world.teams.get(admin.tenant_id).member(member.user_id).status == MemberStatus.ACTIVE


def test_a_resent_invitation_has_a_new_password_and_is_refused_once_signed_in():
    world = World()
    admin = world.founder()
    member = world.service.invite(admin, "max@muster.de", Role.VIEWER)
    first = world.directory.people[member.user_id]["password"]
    world.service.resend_invitation(admin, member.user_id)
    second = world.directory.people[member.user_id]["password"]
    assert first != second and second in world.mailer.sent[-1]["text"]
    world.directory.people[member.user_id]["temporary"] = False
    with pytest.raises(Exception, match="already signed in"):
        world.service.resend_invitation(admin, member.user_id)


def test_an_email_is_on_a_team_once_and_in_one_business_only():
    world = World()
    admin = world.founder()
    world.service.invite(admin, "max@muster.de", Role.VIEWER)
    with pytest.raises(Exception, match="already on the team"):
        world.service.invite(admin, "Max@muster.de", Role.BILLING)
    other = World()
    other.directory = world.directory
    other.service._own_directory = world.directory
    with pytest.raises(EmailTaken):
        other.service.invite(other.founder(), "max@muster.de", Role.BILLING)


def test_only_admins_manage_the_team_and_everyone_reads_it():
    world = World()
    admin = world.founder()
    member = world.service.invite(admin, "max@muster.de", Role.BILLING)
    bookkeeper = Caller(admin.tenant_id, member.user_id, Role.BILLING)
    for attempt in (
        lambda: world.service.invite(bookkeeper, "x@muster.de", Role.VIEWER),
        lambda: world.service.change_role(bookkeeper, member.user_id, Role.ADMIN),
        lambda: world.service.remove(bookkeeper, admin.user_id),
    ):
        with pytest.raises(Forbidden):
            attempt()
    assert len(world.service.team(Caller(admin.tenant_id, "u9", Role.VIEWER)).members) == 2


def test_a_role_change_reaches_the_sign_in_and_ends_its_sessions():
    world = World()
    admin = world.founder()
    member = world.service.invite(admin, "max@muster.de", Role.VIEWER)
    changed = world.service.change_role(admin, member.user_id, Role.BILLING)
    assert changed.role == Role.BILLING
    assert world.directory.people[member.user_id]["role"] == Role.BILLING
    assert world.directory.signed_out == [member.user_id]


def test_the_last_admin_can_neither_leave_nor_be_demoted():
    world = World()
    admin = world.founder()
    with pytest.raises(LastAdmin):
        world.service.change_role(admin, admin.user_id, Role.BILLING)
    with pytest.raises(LastAdmin):
        world.service.remove(admin, admin.user_id)
    assert world.directory.people[admin.user_id]["role"] == Role.ADMIN
    second = world.service.invite(admin, "max@muster.de", Role.ADMIN)
    world.service.change_role(admin, admin.user_id, Role.VIEWER)  # another admin remains
    other = Caller(admin.tenant_id, second.user_id, Role.ADMIN)
    with pytest.raises(LastAdmin):
        world.service.remove(other, second.user_id)


def test_a_removed_person_can_no_longer_sign_in():
    world = World()
    admin = world.founder()
    member = world.service.invite(admin, "max@muster.de", Role.BILLING)
    world.service.remove(admin, member.user_id)
    assert member.user_id not in world.directory.people
    assert [m.email for m in world.service.team(admin).members] == ["erika@muster.de"]
    with pytest.raises(NotFound):
        world.service.remove(admin, member.user_id)


def test_a_team_has_at_most_fifty_people():
    world = World()
    admin = world.founder()
    for number in range(MAX_TEAM_SIZE - 1):
        world.service.invite(admin, f"p{number}@muster.de", Role.VIEWER)
    with pytest.raises(TeamFull):
        world.service.invite(admin, "one-too-many@muster.de", Role.VIEWER)
    assert "one-too-many@muster.de" not in {p["email"] for p in world.directory.people.values()}


def test_with_an_outside_issuer_the_team_is_managed_there():
    world = World(own_directory=False)
    admin = Caller("acme", "u0", Role.ADMIN)
    assert world.service.team(admin).members == ()
    with pytest.raises(TeamManagedElsewhere):
        world.service.invite(admin, "max@muster.de", Role.VIEWER)


def test_an_english_tenant_invites_in_english_without_a_link_when_the_deployment_has_no_address():
    world = World()
    world.service._console_url = ""
    admin = world.founder("en_US")
    world.service.invite(admin, "max@muster.de", Role.VIEWER)
    (mail,) = world.mailer.sent
    assert mail["subject"] == "Invitation: Muster GmbH's Billow console"
    assert "as viewer" in mail["text"] and "Sign in to your business's Billow console." in mail["text"]
