"""quayside verify probe: copied into containers that `quayside verify` starts, never into images.

With QUAYSIDE_PROBE=1 it answers GET /__quayside/slow?seconds=N after N seconds, handled by the app's own
server and event loop, so verify can prove that a request in flight when SIGTERM arrives still completes; and
it prints a line when the app completes its lifespan shutdown, or fails it. Any failure leaves the app untouched.
"""

import os
import sys
from typing import Any


def _is_server_process() -> bool:
    # `python -c` is the health check (skip it: no need to import FastAPI there), except for
    # multiprocessing's spawned children, which are the server's workers
    if sys.argv[:1] == ["-c"]:
        if hasattr(sys, "orig_argv"):
            return "multiprocessing" in " ".join(sys.orig_argv)
        try:  # Python < 3.10 has no sys.orig_argv: the kernel keeps the command line
            with open("/proc/self/cmdline", "rb") as cmdline:
                return b"multiprocessing" in cmdline.read()
        except OSError:
            return False
    return True


if os.environ.get("QUAYSIDE_PROBE") == "1" and _is_server_process():
    try:
        import asyncio
        from urllib.parse import parse_qs

        import fastapi.applications as _fastapi_applications

        _original_call = _fastapi_applications.FastAPI.__call__

        async def _probe_call(self: Any, scope: Any, receive: Any, send: Any) -> None:
            if scope.get("type") == "lifespan":
                # the app's own word that its lifespan shutdown ran to the end, whatever its logging config
                # says of uvicorn's (an app that sets uvicorn.error to WARNING never logs "Application shutdown
                # complete")
                async def _observed_send(message: Any) -> None:
                    await send(message)
                    if isinstance(message, dict) and message.get("type") == "lifespan.shutdown.complete":
                        print("quayside probe: lifespan shutdown complete", file=sys.stderr, flush=True)
                    elif isinstance(message, dict) and message.get("type") == "lifespan.shutdown.failed":
                        # Starlette sends the traceback: its last line is the exception, whatever the logging
                        lines = [line for line in str(message.get("message", "")).splitlines() if line.strip()]
                        print("quayside probe: lifespan shutdown failed: " + (lines[-1][:300] if lines else ""),
                              file=sys.stderr, flush=True)

                await _original_call(self, scope, receive, _observed_send)
                return
            if scope.get("type") == "http" and scope.get("path") == "/__quayside/slow":
                query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
                seconds = min(float(query.get("seconds", ["1"])[0]), 30.0)
                # a line per accepted slow request: a test counts them against the responses its client got
                print("quayside probe: slow request started", file=sys.stderr, flush=True)
                await asyncio.sleep(seconds)
                body = (f'{{"slept": {seconds}}}').encode()
                headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await _original_call(self, scope, receive, send)

        _fastapi_applications.FastAPI.__call__ = _probe_call  # type: ignore[method-assign]
    except Exception:  # the probe must never break the app it observes
        pass
