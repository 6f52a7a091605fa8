"""Fuzzes the staff console: a schema-driven test of the JSON API from the OpenAPI
description it serves (with the shared token and issued tokens of each scope, following
the Link header's next pages), and raw requests to every route, second-factor pages too.

Schemathesis does what the first test does, but no release fits our pins: 3.22 and
later need jsonschema>=4.18 (Rasa 3.6 pins <4.18), and every 3.x up to 3.24 needs
pytest<8 (we pin 8.4.2). So parameters are generated from their schemas with
hypothesis-jsonschema, and each answer is checked as schemathesis would: no 5xx, a
documented status code, and a body that matches the documented schema.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator

from devstack.stack import Stack
from meso.accounts.api_tokens import SCOPES, ApiTokenStore
from meso.cases.escalations import Contact, EscalationStore
from tests.fuzz.conftest import FUZZ, STAFF_API_TOKEN, FuzzRecord, assert_healthy
from tests.fuzz.strategies import texts
from tests.support.staff_server import StaffServer

AUTH = {"Authorization": f"Bearer {STAFF_API_TOKEN}"}  # the deprecated shared token: every scope
TOKENS: Dict[str, Dict[str, str]] = {}  # issued tokens by name, filled by the spec fixture
Operation = Tuple[str, str, Dict[str, Any]]


def auths() -> st.SearchStrategy[Dict[str, str]]:
    """Mostly valid credentials (shared, full and list-only issued tokens), sometimes not."""
    invalid = [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic " + STAFF_API_TOKEN},
               {"Authorization": TOKENS["full"]["Authorization"] + "x"}, TOKENS["revoked"]]
    return st.sampled_from([AUTH] * 3 + [TOKENS["full"]] * 3 + [TOKENS["list"]] * 2 + invalid)


@pytest.fixture(scope="module")
def spec(stack: Stack, staff: StaffServer) -> Dict[str, Any]:
    """The API's description as the running console serves it, with cases to list."""
    store = EscalationStore(stack.env["ESCALATION_DB_URL"], alert_channels=())
    store.record("fuzz-staff-1", "rest", "urgent", ["complication"], "my cheek is hot \u202eand swollen")
    store.record("fuzz-staff-2", "sms", "routine", ["pregnancy"], "I'm pregnant", Contact(name=None, phone=None, preferred_time="mornings", consent=False))
    for number in range(3, 12):  # enough cases for several pages
        store.record(f"fuzz-staff-{number}", "socketio", ("emergency", "urgent", "routine")[number % 3],
                     [("emergency", "complication", "booking")[number % 3]], f"case {number}")
    tokens = ApiTokenStore(stack.env["ESCALATION_DB_URL"])
    for name, scopes in (("full", SCOPES), ("list", ("escalations:read",)), ("revoked", SCOPES)):
        TOKENS[name] = {"Authorization": f"Bearer {tokens.create(f'fuzz-{name}', scopes)[1]}"}
    tokens.revoke("fuzz-revoked")
    reply = httpx.get(f"{staff.url}/api/openapi.json", headers=AUTH, timeout=30)
    assert reply.status_code == 200
    return reply.json()


def operations(spec: Dict[str, Any]) -> List[Operation]:
    return [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]


def rooted(schema: Dict[str, Any], spec: Dict[str, Any]) -> Dict[str, Any]:
    """`schema` with the document's components, so its $refs resolve."""
    return {**schema, "components": spec["components"]}


def parameter_values(spec: Dict[str, Any], op: Dict[str, Any]) -> st.SearchStrategy[Dict[str, Tuple[str, Any]]]:
    """Values for every parameter: mostly valid by its schema, sometimes any text; optional ones may be left out."""
    fields: Dict[str, st.SearchStrategy[Any]] = {}
    for parameter in op.get("parameters", []):
        valid = from_schema(rooted(parameter["schema"], spec))
        # Invalid values: any text, but none that addresses another route ("", "..", "/").
        value = st.one_of(valid, valid, valid, texts.filter(lambda text: "/" not in text and text.strip(" .") != ""))
        if not parameter.get("required"):
            value = st.one_of(st.none(), value)
        fields[parameter["name"]] = st.tuples(st.just(parameter["in"]), value)
    return st.fixed_dictionaries(fields)


def encodable(text: str) -> str:
    """`text` with lone surrogates replaced (no client can send them in a URL)."""
    return text.encode("utf-8", "replace").decode("utf-8")


def validator(spec: Dict[str, Any], op: Dict[str, Any], status: int) -> Optional[Draft202012Validator]:
    content = op["responses"].get(str(status), {}).get("content", {}).get("application/json")
    return Draft202012Validator(rooted(content["schema"], spec)) if content else None


def test_fuzz_staff_api_against_its_openapi(staff: StaffServer, spec: Dict[str, Any], record: FuzzRecord) -> None:
    tally = record.target("staff_api_schema")
    started = time.monotonic()
    ops = operations(spec)
    assert {path for path, _, _ in ops} == {
        "/api/escalations", "/api/escalations/{case_id}", "/api/unanswered", "/api/facts"
    }
    calls = st.sampled_from(ops).flatmap(lambda o: st.tuples(st.just(o), parameter_values(spec, o[2]), auths()))
    valid = [AUTH, TOKENS["full"], TOKENS["list"]]
    with httpx.Client(base_url=staff.url, timeout=60) as http:

        @settings(FUZZ, max_examples=1800)
        @given(call=calls)
        def one(call: Tuple[Operation, Dict[str, Tuple[str, Any]], Dict[str, str]]) -> None:
            (path, method, op), values, auth = call
            query = {
                name: quote(encodable(str(value).lower() if isinstance(value, bool) else str(value)), safe="")
                for name, (where, value) in values.items()
                if where == "query" and value is not None
            }
            url = path
            for name, (where, value) in values.items():
                if where == "path":
                    url = url.replace("{" + name + "}", quote(encodable(str(value)), safe=""))
            target = url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
            reply = http.request(method.upper(), target, headers=auth)
            tally.saw(reply.status_code)
            assert reply.status_code < 500, (url, query, reply.status_code, reply.text[:300])
            assert str(reply.status_code) in op["responses"], f"undocumented {reply.status_code} for {url} {query}"
            if auth not in valid:
                assert reply.status_code == 401
            elif auth == TOKENS["list"] and path != "/api/escalations":
                assert reply.status_code in (403, 422), reply.status_code  # 422: path checked first
            else:
                assert reply.status_code != 403
            link = reply.links.get("next")
            if link:  # the next page it points to is served too
                follow = http.get(link["url"], headers=auth)
                assert follow.status_code == 200 and isinstance(follow.json(), list), follow.text[:300]
            check = validator(spec, op, reply.status_code)
            if check is not None:
                errors = [error.message for error in check.iter_errors(reply.json())]
                assert not errors, errors[:3]

        one()
    tally.seconds += time.monotonic() - started


PATHS = ["/", "/login", "/logout", "/audit", "/healthz", "/api/escalations", "/api/escalations/1",
         "/mfa", "/mfa/enrol", "/mfa/recovery", "/api/escalations?limit=1&cursor=x",
         "/escalations/1", "/escalations/1/claim", "/escalations/1/note", "/escalations/1/resolve",
         "/static/staff.css", "/api/openapi.json"]
raw_paths = st.one_of(st.sampled_from(PATHS), st.sampled_from(PATHS).map(lambda p: p + "/x"),
                      texts.map(lambda t: "/" + quote(t.encode("utf-8", "surrogatepass"), safe="/"))
                      .filter(lambda p: not p.startswith("//")))  # httpx cannot send "//x" as a path
form_bodies = st.dictionaries(
    st.sampled_from(["username", "password", "login_csrf", "csrf_token", "note", "outcome", "code", "recovery_code", "x"]),
    texts, max_size=4,
).map(lambda form: "&".join(f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'))}" for k, v in form.items()).encode())


def test_fuzz_staff_routes(stack: Stack, staff: StaffServer, record: FuzzRecord) -> None:
    tally = record.target("staff_raw")
    started = time.monotonic()
    with httpx.Client(base_url=staff.url, timeout=60) as http:

        @settings(FUZZ, max_examples=1300)
        @given(
            method=st.sampled_from(["GET", "POST", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"]),
            path=raw_paths,
            body=st.one_of(form_bodies, st.binary(max_size=200)),
            content_type=st.sampled_from(["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json", "text/plain"]),
            host=st.sampled_from(["127.0.0.1", "127.0.0.1", "localhost", "evil.example", ""]),
            extra=st.dictionaries(
                st.sampled_from(["Origin", "Sec-Fetch-Site", "Cookie", "Authorization", "X-Forwarded-For"]),
                st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=60),
                max_size=3,
            ),
        )
        def one(method: str, path: str, body: bytes, content_type: str, host: str, extra: Dict[str, str]) -> None:
            headers = {"Content-Type": content_type, "Host": host, **extra}
            content = body if method in ("POST", "PUT") else None
            reply = http.request(method, path, content=content, headers=headers, follow_redirects=False)
            tally.saw(reply.status_code)
            assert reply.status_code < 500, (method, path, reply.status_code, reply.text[:300])

        one()
    tally.seconds += time.monotonic() - started
    assert httpx.get(f"{staff.url}/healthz", timeout=30).status_code == 200
    assert_healthy(stack)
