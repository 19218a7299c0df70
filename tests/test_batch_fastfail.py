"""The batch command's fast-fail rule, sans-IO: which outcomes are fatal, and when a run stops."""

from __future__ import annotations

import errno
import socket
import ssl

import pytest

from openai_actors._batch_fastfail import FastFail, fatal_cause


def raised_from(*chain: BaseException) -> BaseException:
    """The first exception, raised from the second, raised from the third...: as the client chains them."""
    error: BaseException | None = None
    for exc in reversed(chain):
        try:
            raise exc from error
        except BaseException as caught:  # building a chain
            error = caught
    assert error is not None
    return error


class TestFatalCause:
    @pytest.mark.parametrize("status", [401, 403, 404])
    def test_refused_key_access_and_unknown_route_are_fatal(self, status: int) -> None:
        cause = fatal_cause(status, RuntimeError("x"))
        assert cause is not None
        assert f"HTTP {status}" in cause

    @pytest.mark.parametrize("status", [400, 408, 409, 429, 500, 502, 503, 504])
    def test_other_statuses_are_not(self, status: int) -> None:
        assert None is fatal_cause(status, RuntimeError("x"))

    def test_a_success_is_not(self) -> None:
        assert None is fatal_cause(200, None)

    def test_connection_refused_deep_in_the_chain(self) -> None:
        error = raised_from(
            RuntimeError("Connection error"), OSError("could not connect"), ConnectionRefusedError()
        )
        assert "refused" in (fatal_cause(None, error) or "")

    def test_refused_by_errno_and_inside_an_exception_group(self) -> None:
        refused = OSError(errno.ECONNREFUSED, "refused")
        group = ExceptionGroup("all attempts failed", [refused, OSError(errno.ECONNREFUSED, "refused")])
        assert "refused" in (fatal_cause(None, raised_from(OSError("all attempts failed"), group)) or "")

    def test_name_resolution_and_tls_verification(self) -> None:
        dns = raised_from(RuntimeError("Connection error"), socket.gaierror(-2, "Name or service not known"))
        assert "does not resolve" in (fatal_cause(None, dns) or "")
        tls = ssl.SSLCertVerificationError(1, "certificate verify failed")
        tls.verify_message = "self-signed certificate"
        assert "self-signed certificate" in (fatal_cause(None, raised_from(RuntimeError("x"), tls)) or "")

    @pytest.mark.parametrize(
        "cause",
        [
            ConnectionResetError(),
            TimeoutError(),
            OSError(errno.EPIPE, "broken pipe"),
            ssl.SSLError("bad record"),
        ],
    )
    def test_transient_connection_failures_are_not(self, cause: BaseException) -> None:
        assert None is fatal_cause(None, raised_from(RuntimeError("Connection error"), cause))


class TestFastFail:
    def test_stops_when_the_first_outcomes_all_share_a_fatal_cause(self) -> None:
        rule = FastFail(3)
        assert [True, True, False] == [rule.observe("401") for _ in range(3)]
        assert rule.decided
        assert "401" == rule.stop

    def test_a_success_among_the_first_decides_to_go_on(self) -> None:
        rule = FastFail(3)
        assert rule.observe("401")
        assert not rule.observe(None)
        assert rule.decided
        assert None is rule.stop
        # Decided for good: later fatal outcomes change nothing.
        assert not any(rule.observe("401") for _ in range(10))
        assert None is rule.stop

    def test_two_different_fatal_causes_go_on(self) -> None:
        rule = FastFail(3)
        assert rule.observe("401")
        assert not rule.observe("404")
        assert rule.decided
        assert None is rule.stop

    def test_transient_failures_never_stop_a_run(self) -> None:
        # The caller maps 500s, 429s and timeouts to None: the first one decides to go on.
        rule = FastFail(1)
        assert not rule.observe(None)
        assert None is rule.stop

    def test_a_threshold_of_one(self) -> None:
        rule = FastFail(1)
        assert not rule.observe("refused")
        assert "refused" == rule.stop

    def test_the_threshold_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="at least 1"):
            FastFail(0)
