"""One real assistant (action server + Rasa server) shared by the end-to-end tests."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.support.stack import Stack, make_stack


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = make_stack(tmp_path_factory.mktemp("stack"))
    try:
        running.start_actions()
        running.start_rasa()
        yield running
    finally:
        running.stop_all()
