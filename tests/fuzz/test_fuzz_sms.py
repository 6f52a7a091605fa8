"""Fuzzes the SMS webhook with Twilio-signed (and unsigned, and mis-signed) form posts."""

from __future__ import annotations

import itertools
import time
import xml.etree.ElementTree as ET
from typing import Dict, Iterator, List, Optional
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from devstack.stack import Stack
from meso.sms.messages import SMS_MAX_CHARS
from tests.fuzz.conftest import FUZZ, SMS_URL, TWILIO_TOKEN, FuzzRecord, assert_healthy
from tests.fuzz.strategies import phrases, texts

PHONES = [f"+1661555{number:04d}" for number in range(25)]
_SIDS = itertools.count(1)
VALIDATOR = RequestValidator(TWILIO_TOKEN)


class Form(Dict[str, List[str]]):
    """Form fields with repeats, in the shape RequestValidator signs."""

    def getall(self, name: str) -> List[str]:
        return self[name]


def fresh_sid() -> str:
    return f"SM{next(_SIDS):032x}"


sids = st.one_of(st.just("fresh"), st.just("fresh"), st.just("fresh"), texts, st.just("SM" + "0" * 32))
phones = st.one_of(st.sampled_from(PHONES), st.sampled_from(PHONES), texts, st.just(""))
bodies = st.one_of(phrases, texts, st.sampled_from(["STOP", "START", "HELP", "MORE", "1", "2", "yes", " stop "]))
extras = st.dictionaries(st.text(max_size=12), st.lists(texts, min_size=1, max_size=2), max_size=3)
signing = st.sampled_from(["valid", "valid", "valid", "valid", "none", "wrong-token", "wrong-url", "garbage"])


def signature(form: Form, how: str) -> Optional[str]:
    if how == "valid":
        return VALIDATOR.compute_signature(SMS_URL, form)
    if how == "wrong-token":
        return RequestValidator("not-the-token").compute_signature(SMS_URL, form)
    if how == "wrong-url":
        return VALIDATOR.compute_signature("https://evil.example/webhooks/sms/webhook", form)
    return None if how == "none" else "bm90IGEgc2lnbmF0dXJl"


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=120) as client:
        yield client


def twiml_messages(text: str) -> List[str]:
    root = ET.fromstring(text)  # noqa: S314 - our own server's TwiML
    assert root.tag == "Response"
    return [node.text or "" for node in root.findall("Message")]


def test_fuzz_sms(stack: Stack, record: FuzzRecord, http: httpx.Client) -> None:
    tally = record.target("sms")
    url = f"{stack.rasa_url}/webhooks/sms/webhook"
    started = time.monotonic()

    @settings(FUZZ, max_examples=2600)
    @given(sid=sids, phone=phones, body=bodies, extra=extras, how=signing)
    def one(sid: str, phone: str, body: str, extra: Dict[str, List[str]], how: str) -> None:
        form = Form({key: values for key, values in extra.items() if key not in ("MessageSid", "From", "Body")})
        form.update({"MessageSid": [fresh_sid() if sid == "fresh" else sid], "From": [phone], "Body": [body]})
        pairs = [(key, value) for key, values in form.items() for value in values]
        content = urlencode(pairs, errors="surrogatepass").encode("ascii")  # lone surrogates: invalid UTF-8
        try:
            sign = signature(form, how)
        except UnicodeEncodeError:  # nor can it be signed: Twilio never sends such a request
            sign, how = "bm90IGEgc2lnbmF0dXJl", "garbage"
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if sign is not None:
            headers["X-Twilio-Signature"] = sign
        reply = http.post(url, content=content, headers=headers)
        tally.saw(reply.status_code)
        assert reply.status_code in (200, 400, 403), (reply.status_code, reply.text[:300])
        if how != "valid":
            assert reply.status_code == 403
        if reply.status_code == 200:
            assert reply.headers["content-type"].startswith("text/xml")
            assert all(len(message) <= SMS_MAX_CHARS for message in twiml_messages(reply.text))

    one()
    tally.seconds += time.monotonic() - started
    assert_healthy(stack)
