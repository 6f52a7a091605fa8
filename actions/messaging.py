"""Sends `meso.replies.Reply` objects through the dispatcher, shaped per channel."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from meso.replies import Reply, render


def send(dispatcher: CollectingDispatcher, tracker: Tracker, reply: Reply) -> None:
    """Utters `reply` in the form the conversation's channel needs."""
    dispatcher.utter_message(**render(reply, tracker.get_latest_input_channel()))
