"""The sync client's event loop: a daemon thread, and an anyio blocking portal into it.

Why not `anyio.from_thread.start_blocking_portal()`: its worker thread is not a
daemon, so a client nobody closed would keep the interpreter from exiting. This
thread is a daemon, starts on the first request (constructing a client stays
cheap), and stops on `close()` or when the client is garbage-collected.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from typing import Any, Final

import anyio
from anyio.from_thread import BlockingPortal

from ._exceptions import ClientClosedError

__all__ = ["PortalFuture", "PortalThread"]

# A calling thread waits for its result in slices of this many seconds, so
# that a signal whose Python handler is still to run (a Ctrl-C that came just
# before the thread began to wait on the lock, or that the kernel gave to
# another thread) runs it within a slice: Python runs handlers between
# bytecodes, and a thread blocked on a lock gets there only when the wait
# ends. A request waiting on a hanging server would otherwise ignore Ctrl-C.
_WAIT_SLICE: Final = 0.25


class PortalThread:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._portal: BlockingPortal | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: anyio.Event | None = None
        self._stopped = False

    def portal(self) -> BlockingPortal:
        portal = self._portal
        if portal is not None:
            return portal
        with self._lock:
            if self._stopped:
                raise ClientClosedError("the client is closed")
            if self._portal is None:
                self._start()
            assert self._portal is not None
            return self._portal

    def _start(self) -> None:
        ready = threading.Event()
        failure: list[BaseException] = []

        async def serve() -> None:
            async with BlockingPortal() as portal:
                self._loop = asyncio.get_running_loop()
                self._stop = anyio.Event()
                self._portal = portal
                ready.set()
                await self._stop.wait()
                await portal.stop(cancel_remaining=True)

        def main() -> None:
            try:
                anyio.run(serve, backend="asyncio")
            except BaseException as exc:  # surfaced to the thread that started us
                failure.append(exc)
            finally:
                ready.set()

        thread = threading.Thread(target=main, name="openai-actors-dispatcher", daemon=True)
        thread.start()
        ready.wait()
        if failure:
            raise RuntimeError("the client's event-loop thread failed to start") from failure[0]
        self._thread = thread

    def call(self, fn: Any, *args: Any) -> Any:
        """Run `fn(*args)` in the loop thread and wait for its result.

        If the wait is interrupted (Ctrl-C, another signal's handler), the
        task in the loop thread is cancelled rather than left to run on,
        even when the interruption comes while the task is being handed over
        (inside `start`, before there is a future to cancel).
        """
        task = _Cancellable(fn, args)
        try:
            return self.start(task.run).result()
        except BaseException:
            self.call_soon(task.cancel)
            raise

    def start(self, fn: Any, *args: Any) -> PortalFuture:
        """Start `fn(*args)` in the loop thread; the future can be cancelled."""
        try:
            return PortalFuture(self.portal().start_task_soon(fn, *args), self)
        except RuntimeError:
            if self._stopped:  # the portal stopped between our check and the call
                raise ClientClosedError("the client is closed") from None
            raise

    def call_soon(self, fn: Callable[[], object]) -> None:
        """Run `fn` in the loop thread without waiting for it; from any thread, even a finalizer.

        Does nothing once the loop has stopped: what `fn` would have cleaned up
        went with it.
        """
        loop = self._loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(fn)
        except RuntimeError:
            pass  # the loop is closed

    def stop(self, *, wait: bool = True) -> None:
        """Stop the loop thread; safe from any thread, and more than once."""
        with self._lock:
            self._stopped = True
            loop, stop, thread = self._loop, self._stop, self._thread
        if loop is None or stop is None or thread is None:
            return
        try:
            loop.call_soon_threadsafe(stop.set)
        except RuntimeError:
            return  # the loop is already closed
        if wait and threading.current_thread() is not thread:
            thread.join(timeout=10)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


class _Cancellable:
    """A call run in the loop thread that can be cancelled from there before or after it starts.

    Both methods run in the loop thread (`cancel` through `call_soon`), so
    they need no lock: a cancel that comes first makes the call not run.
    """

    __slots__ = ("_args", "_cancelled", "_fn", "_scope")

    def __init__(self, fn: Any, args: tuple[Any, ...]) -> None:
        self._fn = fn
        self._args = args
        self._scope: anyio.CancelScope | None = None
        self._cancelled = False

    async def run(self) -> Any:
        if self._cancelled:  # withdrawn before it started: do not start it at all
            return None
        with anyio.CancelScope() as scope:
            self._scope = scope
            result = self._fn(*self._args)
            if inspect.isawaitable(result):  # call() runs plain functions too
                result = await result
            return result
        return None  # cancelled: nobody waits for the result any more

    def cancel(self) -> None:
        self._cancelled = True
        if self._scope is not None:
            self._scope.cancel()


class PortalFuture:
    """A portal future, waited for in slices (`_WAIT_SLICE`).

    Its failures caused by the client closing read as ClientClosedError.
    """

    __slots__ = ("_future", "_thread")

    def __init__(self, future: Future[Any], thread: PortalThread) -> None:
        self._future = future
        self._thread = thread

    def result(self) -> Any:
        future = self._future
        try:
            while True:
                try:
                    return future.result(_WAIT_SLICE)
                except TimeoutError:
                    if future.done():
                        raise  # what the call itself raised
        except (CancelledError, RuntimeError):
            # The loop was stopped under a waiting call (close() from another thread).
            if self._thread._stopped:
                raise ClientClosedError("the client was closed before this request completed") from None
            raise

    def cancel(self) -> None:
        self._future.cancel()
