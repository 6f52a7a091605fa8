"""The content loop in the console: facts edited as versions, the review rules, unanswered
groups, the content API and the dashboard's numbers, on the real app and real SQLite."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Dict, Iterator, List

import pytest
import yaml
from fastapi.testclient import TestClient

from meso.accounts.api_tokens import ApiTokenStore
from meso.accounts.audit import AuditLog
from meso.accounts.users import StaffUserStore
from meso.cases.escalations import EscalationStore
from meso.content.facts import SMS_LIMIT, FactsStore, default_facts_path
from meso.review.answer_counts import AnswerCounts
from meso.review.fact_versions import FactVersionStore
from meso.review.published_facts import PublishedFacts
from meso.review.unanswered import UnansweredStore
from meso.settings import Settings
from tests.staff.conftest import (
    BASE_URL,
    FAST_HASHER,
    PASSWORDS,
    FakeClock,
    csrf_token,
    enrol,
    login,
    make_app,
)

PASSWORDS.setdefault("drp", "clinician-password-789")
FACT = "recovery-bruising"


@pytest.fixture()
def clinician(settings: Settings, clock: FakeClock, users: StaffUserStore) -> str:
    user = StaffUserStore(settings.escalation_url, hasher=FAST_HASHER).create("drp", PASSWORDS["drp"], "clinician")
    enrol(settings, clock, user.id, "drp")
    return "drp"


def client_for(settings: Settings, clock: FakeClock, username: str) -> TestClient:
    client = TestClient(make_app(settings, clock), base_url=BASE_URL)
    assert login(client, username).status_code == 303
    return client


@pytest.fixture()
def clients(settings: Settings, clock: FakeClock, clinician: str) -> Iterator[Dict[str, TestClient]]:
    made = {name: client_for(settings, clock, name) for name in ("nurse", "drp", "boss")}
    yield made
    for client in made.values():
        client.close()


def versions(settings: Settings) -> FactVersionStore:
    return FactVersionStore(settings.escalation_url, default_facts_path(settings))


def edit_form(client: TestClient, fact_id: str, **changes: str) -> Dict[str, str]:
    """The edit form of a fact as the page fills it, with `changes`."""
    page = client.get(f"/facts/{fact_id}").text
    value = lambda name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)  # noqa: E731
    area = lambda name: re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', page, re.S)  # noqa: E731
    paragraph = value("paragraph")
    form = {
        "csrf_token": csrf_token(client, f"/facts/{fact_id}"),
        "topic": re.search(r'<option value="([a-z_]+)" selected>', page).group(1),
        "questions": area("questions").group(1).replace("&#39;", "'").replace("&amp;", "&"),
        "web": area("web").group(1).replace("&#39;", "'").replace("&amp;", "&"),
        "sms": area("sms").group(1).replace("&#39;", "'").replace("&amp;", "&"),
        "source_kind": "document",
        "document": "meso-article",
        "paragraph": paragraph.group(1) if paragraph else "",
        "action": "submit",
        "note": "test edit",
    }
    form.update(changes)
    return form


def version_id(response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.text
    return int(re.search(r"/facts/versions/(\d+)", response.headers["location"]).group(1))


def step(client: TestClient, vid: int, action: str, comment: str = "") -> object:
    token = csrf_token(client, f"/facts/versions/{vid}")
    return client.post(
        f"/facts/versions/{vid}/{action}", data={"csrf_token": token, "comment": comment}, follow_redirects=False
    )


def test_a_staff_edit_is_published_only_by_a_clinician_and_goes_live(
    settings: Settings, clients: Dict[str, TestClient]
) -> None:
    nurse, drp = clients["nurse"], clients["drp"]
    live = PublishedFacts(settings.escalation_url, FactsStore(default_facts_path(settings)), check_interval=0)
    before = live.current().get(FACT)
    assert before is not None and before.reviewed_by.startswith("content team")

    questions = "\n".join([*before.questions, "Will I look black and blue afterwards?"])
    vid = version_id(nurse.post(f"/facts/{FACT}", data=edit_form(nurse, FACT, questions=questions), follow_redirects=False))
    # Published only on approval: the staff member cannot approve, nor can anyone their own.
    assert live.current().get(FACT).questions == before.questions
    assert step(nurse, vid, "approve").status_code == 403
    page = drp.get(f"/facts/versions/{vid}").text
    assert "+- Will I look black and blue afterwards?" in page.replace("&#39;", "'") and "Approve and publish" in page
    assert step(drp, vid, "approve").status_code == 303

    after = live.current().get(FACT)
    assert "Will I look black and blue afterwards?" in after.questions
    assert after.reviewed_by == "drp" and after.reviewed_on == clients["drp"].app.state.console.clock().date()
    history = versions(settings).history(FACT)
    assert [v.status for v in history] == ["published", "superseded"]
    actions = [(e.actor, e.action) for e in AuditLog(settings.escalation_url).entries()]
    assert ("nurse", "fact.submit") in actions and ("drp", "fact.approve") in actions
    assert ("nurse", "fact.approve") in actions  # the refusal is audited too


def test_validation_errors_are_the_loaders(clients: Dict[str, TestClient]) -> None:
    nurse = clients["nurse"]
    long_sms = edit_form(nurse, FACT, sms="x" * (SMS_LIMIT + 5))
    answer = nurse.post(f"/facts/{FACT}", data=long_sms, follow_redirects=False)
    assert answer.status_code == 400
    assert f"sms text is {SMS_LIMIT + 5} characters, the limit is {SMS_LIMIT}" in answer.text
    no_source = edit_form(nurse, FACT, paragraph="")
    answer = nurse.post(f"/facts/{FACT}", data=no_source, follow_redirects=False)
    assert answer.status_code == 400 and "source is missing its paragraph" in answer.text
    clinic = edit_form(nurse, FACT, source_kind="clinic", provided_by=" ", provided_on="yesterday")
    answer = nurse.post(f"/facts/{FACT}", data=clinic, follow_redirects=False)
    assert "source is missing provided_by" in answer.text and "provided_on must be an ISO date" in answer.text


def test_new_fact_with_a_clinic_source_send_back_and_restore(
    settings: Settings, clients: Dict[str, TestClient]
) -> None:
    nurse, drp, boss = clients["nurse"], clients["drp"], clients["boss"]
    form = {
        "csrf_token": csrf_token(nurse, "/facts/new"), "id": "cost-payment-plans", "topic": "cost",
        "questions": "Do you offer payment plans?\nCan I pay in instalments?",
        "web": "Ask the front desk about paying over several visits.", "sms": "Ask the front desk about payment plans.",
        "source_kind": "clinic", "provided_by": "the front desk", "provided_on": "2026-01-05", "action": "submit",
    }
    vid = version_id(nurse.post("/facts/new", data=form, follow_redirects=False))
    assert step(nurse, vid, "send_back", "no").status_code == 403  # staff do not review
    assert step(drp, vid, "send_back", "").status_code == 409  # a comment is required
    assert step(drp, vid, "send_back", "Say which desk.").status_code == 303
    sent = versions(settings).get(vid)
    assert sent.status == "sent_back" and sent.review_comment == "Say which desk."
    assert "Say which desk." in nurse.get(f"/facts/versions/{vid}").text
    assert step(nurse, vid, "submit").status_code == 303
    assert step(boss, vid, "approve").status_code == 303  # an admin may approve too
    book = versions(settings).published().book
    fact = book.get("cost-payment-plans")
    assert fact is not None and fact.source.provided_by == "the front desk" and fact.reviewed_by == "boss"

    # A second edit, then restore of version 1: a new version in review, live only when approved.
    vid2 = version_id(nurse.post("/facts/cost-payment-plans", data=edit_form(
        nurse, "cost-payment-plans", source_kind="clinic", provided_by="the front desk", provided_on="2026-01-05",
        sms="Payment plans: ask the front desk."), follow_redirects=False))
    assert step(drp, vid2, "approve").status_code == 303
    restored = version_id(step(nurse, vid, "restore"))
    assert versions(settings).get(restored).status == "in_review"
    assert versions(settings).published().book.get("cost-payment-plans").sms == "Payment plans: ask the front desk."
    assert step(drp, restored, "approve").status_code == 303
    assert versions(settings).published().book.get("cost-payment-plans").sms == form["sms"]
    assert [v.number for v in versions(settings).history("cost-payment-plans")] == [3, 2, 1]


def test_unanswered_groups_marks_and_api(settings: Settings, clock: FakeClock, clients: Dict[str, TestClient]) -> None:
    store = UnansweredStore(settings.escalation_url)
    for text, channel in [
        ("Will I be bruised after?", "socketio"), ("will i be bruised afterwards", "sms"),
        ("Will I be bruised after??", "socketio"), ("Do you take insurance?", "rest"),
        ("<script>alert(1)</script> is it vegan?", "rest"),
    ]:
        store.record("conv", channel, text)
    nurse = clients["nurse"]
    page = nurse.get("/unanswered").text
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert page.count('class="group"') == 3
    assert re.search(r'Will I be bruised after\?</h2>.*?<span class="group-count">3</span>', page, re.S)

    token = ApiTokenStore(settings.escalation_url).create("reports", ["unanswered:read"])[1]
    api = TestClient(make_app(settings, clock), base_url=BASE_URL)
    headers = {"Authorization": f"Bearer {token}"}
    first = api.get("/api/unanswered?limit=2", headers=headers)
    assert first.status_code == 200 and len(first.json()) == 2 and 'rel="next"' in first.headers["link"]
    url = re.search(r"<([^>]+)>", first.headers["link"]).group(1)
    second = api.get(url, headers=headers).json()
    walked = first.json() + second
    assert sorted(g["count"] for g in walked) == [1, 1, 3] and len({g["id"] for g in walked}) == 3
    assert api.get("/api/facts", headers=headers).status_code == 403

    # Mark the insurance group out of scope: it leaves the list to triage.
    group = next(g for g in walked if g["wordings"] == ["Do you take insurance?"])
    token_form = csrf_token(nurse, "/unanswered")
    assert nurse.post(f"/unanswered/{group['id']}", data={"csrf_token": token_form, "decision": "out_of_scope"},
                      follow_redirects=False).status_code == 303
    assert len(api.get("/api/unanswered", headers=headers).json()) == 2
    decided = api.get("/api/unanswered?decided=true", headers=headers).json()
    assert [g["decision"] for g in decided] == ["out_of_scope"]

    # Answered by a fact: a draft of that fact with the group's wordings.
    results = next(g for g in walked if g["count"] == 3)
    answer = nurse.post(f"/unanswered/{results['id']}", data={
        "csrf_token": token_form, "decision": "answered", "fact_id": FACT}, follow_redirects=False)
    draft = versions(settings).get(version_id(answer))
    assert draft.status == "draft" and "Will I be bruised after?" in draft.body["questions"]


def test_api_facts(settings: Settings, clock: FakeClock, clients: Dict[str, TestClient]) -> None:
    token = ApiTokenStore(settings.escalation_url).create("site", ["facts:read"])[1]
    api = TestClient(make_app(settings, clock), base_url=BASE_URL)
    facts = api.get("/api/facts", headers={"Authorization": f"Bearer {token}"}).json()
    seed = versions(settings).published().book
    assert [f["id"] for f in facts] == [f.id for f in seed.facts]
    first = facts[0]
    assert set(first) >= {"id", "topic", "web", "sms", "questions", "source", "reviewed_by", "reviewed_on", "version"}
    assert first["version"] == 1 and first["source"]["paragraph"] == seed.facts[0].source.paragraph
    assert api.get("/api/unanswered", headers={"Authorization": f"Bearer {token}"}).status_code == 403
    assert api.get("/api/facts").status_code == 401


def rows(text: str) -> List[Dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_dashboard_numbers_match_a_seeded_set(settings: Settings, clock: FakeClock, clients: Dict[str, TestClient]) -> None:
    today = clock().date()
    counts = AnswerCounts(settings.escalation_url)
    counts.add("answered", "cost", "socketio", n=5, day=today)
    counts.add("answered", "pain", "sms", n=3, day=today - timedelta(days=1))
    counts.add("declined", "", "socketio", n=2, day=today)
    counts.add("answered", "cost", "socketio", n=50, day=today - timedelta(days=40))  # outside 28 days
    cases = EscalationStore(settings.escalation_url, alert_channels=(), clock=clock)
    base = clock()
    opened = [
        cases.record(f"c{n}", channel, urgency, (reason,), "message text stays out", None, at=base - timedelta(minutes=100))
        for n, (channel, urgency, reason) in enumerate(
            [("socketio", "urgent", "complication"), ("socketio", "routine", "human_request"), ("sms", "urgent", "complication")]
        )
    ]
    for minutes, change in [(90, lambda: cases.claim(opened[0].id, "nurse")), (70, lambda: cases.claim(opened[1].id, "nurse")),
                            (40, lambda: cases.resolve(opened[0].id, "nurse", "called back"))]:
        clock.now = base - timedelta(minutes=minutes)
        change()
    clock.now = base
    nurse = clients["nurse"]
    page = nurse.get("/dashboard").text
    assert "message text stays out" not in page
    totals = dict(re.findall(r'data-total="(\w+)">(\d+)<', page))
    assert totals == {"answered": "8", "declined": "2", "escalated": "3"}
    assert page.count("<svg") == 5
    outcomes = rows(nurse.get("/dashboard/outcomes.csv").text)
    web = next(r for r in outcomes if r["by"] == "channel" and r["value"] == "socketio")
    assert (web["answered"], web["declined"], web["escalated"]) == ("5", "2", "2")
    weekly = rows(nurse.get("/dashboard/escalations.csv").text)
    assert sum(int(r["cases"]) for r in weekly if r["reason"] == "complication") == 2
    questions = rows(nurse.get("/dashboard/questions.csv").text)
    assert sum(int(r["questions"]) for r in questions) == 10
    handling = {r["channel"]: r for r in rows(nurse.get("/dashboard/handling.csv").text)}
    assert handling["socketio"]["cases"] == "2.0" or handling["socketio"]["cases"] == "2"
    assert (handling["socketio"]["claim_median_min"], handling["socketio"]["claim_p90_min"]) == ("10.0", "30.0")
    assert handling["socketio"]["resolve_median_min"] == "60.0" and handling["sms"]["claim_median_min"] == ""


def test_export_then_import_goes_through_review(settings: Settings, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from staff import manage

    exported = tmp_path / "export.yml"
    assert manage.run(["export-facts", "--output", str(exported)], settings) == 0
    text = exported.read_text(encoding="utf-8")
    assert text.startswith("# Published facts book 1") and f"id: {FACT}" in text
    data = yaml.safe_load(text)
    next(f for f in data["facts"] if f["id"] == FACT)["questions"].append("Will I get bruises?")
    edited = tmp_path / "edited.yml"
    edited.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert manage.run(["import-facts", str(edited), "--author", "nurse"], settings) == 0
    assert f"1 facts sent for review\n  {FACT} version 2" in capsys.readouterr().out
    store = versions(settings)
    [pending] = store.open_versions()
    assert pending.status == "in_review" and "Will I get bruises?" in pending.body["questions"]
    assert "Will I get bruises?" not in store.published().book.get(FACT).questions  # not live before review
    broken = tmp_path / "broken.yml"
    data["facts"][0]["colour"] = "blue"
    broken.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert manage.run(["import-facts", str(broken)], settings) == 2
    assert "unknown key 'colour'" in capsys.readouterr().err


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_migration_0006_keeps_second_factors_and_allows_clinicians(
    dialect: str, request: pytest.FixtureRequest, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config
    from sqlalchemy.exc import IntegrityError

    from meso.store.db import MIGRATIONS_DIR, make_engine

    url = f"sqlite:///{tmp_path / 'm.db'}" if dialect == "sqlite" else request.getfixturevalue("postgres").new_database()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "0005")
    engine = make_engine(url)
    insert_user = ("INSERT INTO staff_users (username, password_hash, role, created_at, disabled) "
                   "VALUES (:name, 'x', :role, '2025-01-01 00:00:00', false)")
    with engine.begin() as connection:
        connection.execute(sa.text(insert_user), {"name": "old", "role": "staff"})
        connection.execute(sa.text("INSERT INTO staff_totp (user_id, secret, created_at) "
                                   "SELECT id, 'S', '2025-01-01 00:00:00' FROM staff_users"))
    count = "SELECT count(*) FROM staff_totp"
    command.upgrade(config, "head")  # SQLite rebuilds staff_users: the second factor must survive
    with engine.begin() as connection:
        assert connection.execute(sa.text(count)).scalar_one() == 1
        connection.execute(sa.text(insert_user), {"name": "doc", "role": "clinician"})
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(sa.text(insert_user), {"name": "bad", "role": "owner"})
    assert {"fact_versions", "published_books", "unanswered_marks", "answer_counts"} <= set(
        sa.inspect(engine).get_table_names())
    command.downgrade(config, "0005")
    with engine.connect() as connection:
        assert connection.execute(sa.text(count)).scalar_one() == 1
        roles = dict(connection.execute(sa.text("SELECT username, role FROM staff_users")).all())
    assert roles == {"old": "staff", "doc": "staff"} and "fact_versions" not in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_marks_go_with_retention(settings: Settings, clock: FakeClock) -> None:
    from meso.review.question_groups import UnansweredReport
    from staff.retention import purge

    UnansweredStore(settings.escalation_url).record("conv", "rest", "Do you take insurance?")
    report = UnansweredReport(settings.escalation_url, clock=clock)
    report.mark(report.groups()[0], "ignored", "nurse")
    assert report.groups(decided=True)
    purge(settings, 1, clock=lambda: clock() + timedelta(days=2))
    assert report.groups(decided=None) == [] and report.delete_older_than(clock() + timedelta(days=9)) == 0
