"""The realtime connection's decisions, without I/O: options, URL, headers, retry delays, the send queue."""

from __future__ import annotations

import json

import pytest

from openai_actors import WebSocketQueueFullError, omit
from openai_actors._realtime_policy import (
    OutgoingQueue,
    WebSocketSettings,
    handshake_headers,
    is_session_update,
    parse_options,
    realtime_target,
    reconnect_delay,
)
from openai_actors.types.websocket_reconnection import is_recoverable_close


class TestParseOptions:
    def test_no_options_give_the_documented_defaults(self) -> None:
        """compression on, 1 MiB messages, 256 queued, 20 s pings, 10 s open and close."""
        assert WebSocketSettings() == parse_options({})
        assert (True, 2**20, 256, 20.0, 20.0) == (
            parse_options({}).compression,
            parse_options({}).max_size,
            parse_options({}).max_queue,
            parse_options({}).ping_interval,
            parse_options({}).ping_timeout,
        )

    def test_each_option_is_taken(self) -> None:
        """Every documented option reaches the settings, websockets' (high, low) max_queue as its high mark."""
        settings = parse_options(
            {
                "compression": None,
                "subprotocols": ["realtime"],
                "max_size": None,
                "max_queue": (32, 8),
                "ping_interval": 1,
                "ping_timeout": None,
                "open_timeout": 2.5,
                "close_timeout": 3,
            }
        )
        assert WebSocketSettings(False, ("realtime",), None, 32, 1.0, None, 2.5, 3.0) == settings

    def test_an_unknown_option_is_named(self) -> None:
        """websockets' options this client does not have are refused by name, with the list of known ones."""
        with pytest.raises(TypeError, match=r"no option 'write_limit'.*ping_interval"):
            parse_options({"write_limit": 2**16})

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("compression", "gzip"),
            ("max_size", 0),
            ("max_queue", None),
            ("max_queue", True),
            ("ping_interval", -1),
            ("close_timeout", "10"),
        ],
    )
    def test_a_bad_value_is_named(self, name: str, value: object) -> None:
        """A value of the wrong kind or range is refused, naming the option."""
        with pytest.raises((TypeError, ValueError), match=name):
            parse_options({name: value})


class TestTarget:
    def test_https_becomes_wss_under_realtime(self) -> None:
        """The base URL's scheme becomes ws(s), its path gains /realtime, the query the model."""
        target = realtime_target("https://api.openai.com/v1/", {"model": "gpt-realtime"})
        assert "wss://api.openai.com/v1/realtime?model=gpt-realtime" == target.url
        assert (True, "api.openai.com", 443) == (target.secure, target.host, target.port)

    def test_http_becomes_ws_with_its_port(self) -> None:
        """A plain http base URL connects without TLS, to its port, named in the Host header."""
        target = realtime_target("http://127.0.0.1:8080/v1", {})
        assert (False, 8080, "127.0.0.1:8080", "/v1/realtime") == (
            target.secure,
            target.port,
            target.host_header,
            target.resource,
        )

    def test_query_is_encoded_as_the_official_sdk_encodes_it(self) -> None:
        """Booleans as true/false, nested mappings as a[b]; a query already in the base URL is kept."""
        target = realtime_target("wss://h/base?x=1", {"model": "m", "flag": True, "o": {"k": "v"}})
        assert "/base/realtime?x=1&model=m&flag=true&o%5Bk%5D=v" == target.resource

    def test_an_ipv6_host_is_bracketed_in_the_host_header(self) -> None:
        target = realtime_target("http://[::1]:9000/v1", {})
        assert ("::1", "[::1]:9000") == (target.host, target.host_header)

    def test_a_url_that_cannot_be_a_websocket_is_refused(self) -> None:
        with pytest.raises(ValueError, match="ftp"):
            realtime_target("ftp://example.com/", {})


class TestHeaders:
    def test_identity_key_and_overrides_in_order(self) -> None:
        """Organization, project, the key; then the client's default headers, then extra_headers, later winning."""
        headers = handshake_headers(
            user_agent="ua",
            organization="org-1",
            project="proj-1",
            auth=("Authorization", "Bearer sk-1"),
            default_headers={"X-Default": "d", "OpenAI-Project": "proj-2"},
            extra_headers={"X-Extra": "e", "X-Default": "d2"},
        )
        assert [
            ("User-Agent", "ua"),
            ("OpenAI-Organization", "org-1"),
            ("OpenAI-Project", "proj-2"),
            ("Authorization", "Bearer sk-1"),
            ("X-Default", "d2"),
            ("X-Extra", "e"),
        ] == headers

    def test_omit_removes_a_header(self) -> None:
        headers = handshake_headers(
            user_agent="ua",
            organization=None,
            project=None,
            auth=None,
            default_headers={},
            extra_headers={"User-Agent": omit},
        )
        assert [] == headers


class TestReconnectDelay:
    def test_doubles_from_the_initial_delay_up_to_the_cap(self) -> None:
        """With no jitter drawn (rand 1.0) the delays are 0.5, 1, 2, 4, 8, 8: the official schedule."""
        delays = [reconnect_delay(n, 0.5, 8.0, lambda: 1.0) for n in range(1, 7)]
        assert [0.5, 1.0, 2.0, 4.0, 8.0, 8.0] == delays

    def test_jitter_takes_off_at_most_a_quarter(self) -> None:
        assert 0.75 == reconnect_delay(1, 1.0, 8.0, lambda: 0.0)


class TestOutgoingQueue:
    def test_events_come_out_in_order_and_the_size_is_kept(self) -> None:
        queue = OutgoingQueue(100)
        queue.put("aé")
        queue.put("b")
        assert 4 == queue.size  # UTF-8 bytes
        assert ["aé", "b"] == [queue.take(), queue.take()]
        assert (None, 0) == (queue.take(), queue.size)

    def test_a_full_queue_refuses_the_event_and_keeps_the_rest(self) -> None:
        """The event that would pass the byte budget raises WebSocketQueueFullError and is not queued."""
        queue = OutgoingQueue(10)
        queue.put("12345678")
        with pytest.raises(WebSocketQueueFullError, match="8 of 10 bytes queued, this event is 3"):
            queue.put("abc")
        assert ["12345678"] == queue.drain()

    def test_put_back_goes_first_whatever_the_budget(self) -> None:
        """An event whose write failed returns to the front, even past the budget: nothing is lost."""
        queue = OutgoingQueue(4)
        queue.put("1234")
        queue.put_back("xy")
        assert (["xy", "1234"], 0) == (queue.drain(), queue.size)

    def test_connected_one_event_may_exceed_the_budget_alone(self) -> None:
        """While a writer drains the queue, an event bigger than the budget goes into an empty queue."""
        queue = OutgoingQueue(4)
        assert queue.fits("123456")
        queue.put("123456", connected=True)
        assert not queue.fits("x")
        with pytest.raises(WebSocketQueueFullError):
            queue.put("x", connected=True)
        with pytest.raises(WebSocketQueueFullError):
            OutgoingQueue(4).put("123456")  # not connected: the budget is the limit

    def test_a_budget_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="max_queue_size"):
            OutgoingQueue(0)

    def test_peek_shows_the_next_event_without_taking_it(self) -> None:
        queue = OutgoingQueue(100)
        assert queue.peek() is None
        queue.put("a")
        queue.put_back("b")
        assert ("b", 2, "b", "a", None) == (
            queue.peek(),
            len(queue),
            queue.take(),
            queue.take(),
            queue.peek(),
        )


class TestEventKinds:
    def test_session_update_is_recognised(self) -> None:
        assert is_session_update(json.dumps({"type": "session.update", "session": {}}))
        assert not is_session_update(json.dumps({"type": "response.create", "note": "session.update"}))
        assert not is_session_update('{"type": "session.update"')  # not JSON

    def test_recoverable_codes_are_the_official_ones(self) -> None:
        recoverable = [c for c in range(1000, 1016) if is_recoverable_close(c)]
        assert [1001, 1005, 1006, 1011, 1012, 1013, 1015] == recoverable
