"""Where a client's dispatcher runs, and when it starts and stops.

One `Core` per client (shared by every `with_options` copy). It starts the
dispatcher in one of two ways:

* structured: `async with AsyncOpenAI() as client:` runs it in a task group
  that lives for the block (`start_in`);
* on first use: a background task in the caller's loop (an asyncio task, or a
  trio system task), which the loop cancels when it ends, so a client that is
  never closed cannot hang the interpreter's exit.

A dispatcher belongs to one event loop. A request from another loop gets a new
dispatcher if the old loop has finished (two `asyncio.run` calls in a row work),
and a clear RuntimeError at once if the old loop is still running elsewhere.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from typing import Any

import anyio
import anyio.abc

from ._dispatcher import Dispatcher
from ._exceptions import ClientClosedError
from ._transport import Transport

__all__ = ["Core", "call_in_loop", "current_loop"]


def current_loop() -> Any:
    """The running event loop (asyncio) or trio token; raises outside async code."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    import trio

    return trio.lowlevel.current_trio_token()


def _running_here(loop: Any) -> bool:
    """Whether `loop` (an asyncio loop or a trio token) is the one running this code; cheap."""
    if isinstance(loop, asyncio.AbstractEventLoop):
        return asyncio._get_running_loop() is loop
    if loop is None:
        return False
    import trio

    try:
        return trio.lowlevel.current_trio_token() is loop
    except RuntimeError:  # not in trio
        return False


def _loop_alive(loop: Any) -> bool:
    if isinstance(loop, asyncio.AbstractEventLoop):
        return loop.is_running() and not loop.is_closed()
    import trio

    try:
        loop.run_sync_soon(lambda: None)
    except trio.RunFinishedError:
        return False
    return True


def call_in_loop(loop: Any, fn: Callable[[], None]) -> None:
    """Run `fn` soon in `loop`, from any thread (or a finalizer); drop it if that loop is gone.

    Always deferred to the loop's next turn, even from the loop's own thread:
    a finalizer can run in the middle of anyio's own code, which must not be
    re-entered.
    """
    if isinstance(loop, asyncio.AbstractEventLoop):
        if not loop.is_closed():
            try:
                loop.call_soon_threadsafe(fn)
            except RuntimeError:
                pass  # closed meanwhile
        return
    import trio

    try:
        loop.run_sync_soon(fn)
    except trio.RunFinishedError:
        pass


class Core:
    def __init__(self, make_dispatcher: Callable[[], Dispatcher], transport: Transport) -> None:
        self._make_dispatcher = make_dispatcher
        self.transport = transport
        self.dispatcher: Dispatcher | None = None
        self._loop: Any = None
        self._background: Any = None  # a strong reference: asyncio keeps only weak ones
        self.closed = False

    @property
    def loop(self) -> Any:
        """The event loop (or trio token) the dispatcher runs in."""
        return self._loop

    def dispatcher_here(self) -> Dispatcher:
        """The dispatcher for the running loop, started if need be (called from that loop)."""
        dispatcher = self.dispatcher
        if dispatcher is not None and not dispatcher.closed and _running_here(self._loop):
            return dispatcher  # the path of every request but the first
        loop = current_loop()
        if dispatcher is not None and loop is self._loop and not dispatcher.closed:
            return dispatcher
        if self.closed:
            raise ClientClosedError("the client is closed")
        if dispatcher is not None and loop is not self._loop and _loop_alive(self._loop):
            raise RuntimeError(
                "this client's dispatcher runs in another event loop that is still running; "
                "use one client per event loop (or the sync OpenAI client from threads)"
            )
        if dispatcher is not None and loop is self._loop:
            # Stopped in this very loop without close(): only a crash does that.
            raise ClientClosedError("the client's dispatcher has stopped; create a new client")
        return self._start_background(loop)

    def _start_background(self, loop: Any) -> Dispatcher:
        dispatcher = self.dispatcher = self._make_dispatcher()
        self._loop = loop
        # A fresh context: the task would otherwise keep the first caller's
        # context variables (its log and tracing context) for every request.
        context = contextvars.Context()
        if isinstance(loop, asyncio.AbstractEventLoop):
            self._background = loop.create_task(
                dispatcher.run(), name="openai-actors-dispatcher", context=context
            )
        else:
            import trio

            trio.lowlevel.spawn_system_task(dispatcher.run, name="openai-actors-dispatcher", context=context)
        return dispatcher

    async def start_in(self, task_group: anyio.abc.TaskGroup) -> None:
        """Run the dispatcher in `task_group` (for `async with client`)."""
        if self.closed:
            raise ClientClosedError("the client is closed")
        loop = current_loop()
        if self.dispatcher is not None and not self.dispatcher.closed:
            if loop is self._loop:
                return  # already running here, started on first use
            if _loop_alive(self._loop):
                raise RuntimeError(
                    "this client's dispatcher runs in another event loop that is still running"
                )
        dispatcher = self.dispatcher = self._make_dispatcher()
        self._loop = loop
        await task_group.start(dispatcher.run)

    async def aclose(self) -> None:
        self.closed = True
        dispatcher = self.dispatcher
        if dispatcher is None:
            return
        try:
            here = current_loop() is self._loop
        except (RuntimeError, ImportError):
            here = False
        if here:
            dispatcher.stop()
            await dispatcher.wait_stopped()
        else:
            call_in_loop(self._loop, dispatcher.stop)

    def release(self) -> None:
        """Stop the dispatcher from wherever the last client was garbage-collected."""
        self.closed = True
        dispatcher = self.dispatcher
        if dispatcher is not None and not dispatcher.closed:
            call_in_loop(self._loop, dispatcher.stop)
