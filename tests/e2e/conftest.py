"""One real assistant (action server + Rasa server) shared by the end-to-end tests."""

from __future__ import annotations

from typing import Iterator

import pytest

from devstack.stack import Stack, running_stack


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running
