"""A user's conftest for tests written with respx: async tests on asyncio and on trio.

This directory is a test suite as users of the official `openai` 2.x write
theirs. It runs unchanged against the official client, and, in this
project's test run, with `openai` swapped for `openai_actors` when each
module is loaded (tests/conftest.py does the swap; nothing here knows).
"""

import pytest


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request):
    return request.param
