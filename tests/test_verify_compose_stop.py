"""Under compose's `init: true`, a single uvicorn process re-raises the SIGTERM it handled once its shutdown is
done, and the init reports exit 143: verify --compose counts that as a clean stop only when uvicorn logged, in its
last life, that it finished."""

from __future__ import annotations

import pytest

from quayside.verify.stack import server_finished

STARTED = "INFO:     Started server process [7]\nINFO:     Application startup complete.\n"
FINISHED = "INFO:     Waiting for application shutdown.\nINFO:     Application shutdown complete.\nINFO:     Finished server process [7]\n"


@pytest.mark.parametrize(("logs", "finished"), [
    (STARTED + FINISHED, True),
    (STARTED + FINISHED + "some atexit line of the app's\n", True),
    # the broken variants: killed mid-shutdown, or the line is an earlier life's (restarted after kill -9)
    (STARTED + "INFO:     Waiting for application shutdown.\n", False),
    (STARTED + FINISHED + STARTED, False),
    ("", False),
])
def test_a_143_is_clean_only_after_the_server_said_it_finished(logs, finished):
    assert server_finished(logs) is finished
