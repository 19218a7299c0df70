"""The batch job's pure pieces: line formats, the reorder window, OUTPUT scanning, the plan, progress text."""

from __future__ import annotations

import io
import json
import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_actors import _batch_files
from openai_actors._batch_files import (
    Answered,
    CorruptOutputError,
    OutputWriter,
    open_output,
    plan,
    rewrite_output,
    scan_output,
)
from openai_actors._batch_lines import (
    BatchRequest,
    LineError,
    OutputLine,
    encode_line,
    endpoint_of,
    error_record,
    parse_line,
    parse_request,
    read_output_line,
    response_record,
)
from openai_actors._batch_progress import (
    RateMeter,
    Tally,
    format_count,
    format_duration,
    render_bar,
    render_line,
    render_summary,
)
from openai_actors._batch_window import ReorderWindow

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def request(custom_id: object = "r1", url: object = "/v1/chat/completions", **extra: Any) -> dict[str, Any]:
    return {"custom_id": custom_id, "method": "POST", "url": url, "body": BODY, **extra}


def jsonl(*records: object) -> bytes:
    return b"".join(json.dumps(record).encode() + b"\n" for record in records)


def ok_line(custom_id: str) -> dict[str, Any]:
    return response_record("batch_req_1", custom_id, 200, "req_1", {"ok": True})


def failed_line(custom_id: str, status: int = 500) -> dict[str, Any]:
    return response_record("batch_req_1", custom_id, status, "req_1", {"error": {"message": "no"}})


class TestParseRequest:
    def test_a_valid_request_gives_its_endpoint_relative_to_the_base_url(self) -> None:
        """The Batch API's absolute url becomes the path the client sends to, under its base URL."""
        assert BatchRequest("r1", "chat/completions", BODY) == parse_request(request())

    @pytest.mark.parametrize(
        ("url", "base_path", "expected"),
        [
            ("/v1/embeddings", "/v1/", "embeddings"),
            ("/v1/responses", "/openai/v1/", "responses"),
            ("/openai/v1/moderations", "/openai/v1/", "moderations"),
            ("/completions", "/v1/", "completions"),
            ("/v1/files", "/v1/", None),
            ("/v1/chat/completions/x", "/v1/", None),
            (42, "/v1/", None),
        ],
    )
    def test_endpoints_are_recognised_under_either_prefix(
        self, url: object, base_path: str, expected: str | None
    ) -> None:
        """The API's own /v1/ or the base URL's path is stripped; anything but the five endpoints is refused."""
        assert expected == endpoint_of(url, base_path)

    @pytest.mark.parametrize(
        ("item", "code", "custom_id"),
        [
            ([1, 2], "invalid_request", None),
            ({**request(), "custom_id": None}, "missing_custom_id", None),
            ({**request(), "custom_id": ""}, "missing_custom_id", None),
            ({**request(), "custom_id": 7}, "missing_custom_id", None),
            ({**request(), "method": "GET"}, "invalid_method", "r1"),
            ({k: v for k, v in request().items() if k != "method"}, "invalid_method", "r1"),
            (request(url="/v1/files"), "invalid_url", "r1"),
            ({**request(), "body": "text"}, "invalid_body", "r1"),
            ({**request(), "body": {**BODY, "stream": True}}, "invalid_body", "r1"),
        ],
    )
    def test_invalid_requests_say_what_is_wrong_and_where(
        self, item: object, code: str, custom_id: str | None
    ) -> None:
        """Each problem has its code, a message with the line number, and the custom_id when usable."""
        problem = parse_request(item, line=12)
        assert isinstance(problem, LineError)
        assert (code, custom_id) == (problem.code, problem.custom_id)
        assert problem.message.startswith("line 12: ")

    def test_without_a_line_number_the_message_names_the_request_index(self) -> None:
        """From the library API, a request is known by its position in the iterable."""
        problem = parse_request({"custom_id": "x"}, index=3)
        assert isinstance(problem, LineError)
        assert problem.message.startswith("request 3: ")

    @pytest.mark.parametrize("raw", [b"not json", b'{"custom_id": "x"', b"\xff\xfe{}"])
    def test_a_line_that_is_not_json_is_reported_with_its_number(self, raw: bytes) -> None:
        """Garbage and invalid UTF-8 alike are an invalid_json_line."""
        problem = parse_line(raw, line=5)
        assert isinstance(problem, LineError)
        assert "invalid_json_line" == problem.code
        assert problem.message.startswith("line 5: not valid JSON")


class TestOutputLines:
    def test_an_answer_is_written_in_the_batch_apis_shape(self) -> None:
        """id, custom_id, response {status_code, request_id, body}, error: the Batch API's output line."""
        line = encode_line(response_record("batch_req_x", "r1", 200, "req_9", {"a": 1}))
        assert line.endswith(b"\n")
        assert 1 == line.count(b"\n")
        assert {
            "id": "batch_req_x",
            "custom_id": "r1",
            "response": {"status_code": 200, "request_id": "req_9", "body": {"a": 1}},
            "error": None,
        } == json.loads(line)

    def test_a_line_with_newlines_in_its_text_stays_one_line(self) -> None:
        """JSON escapes them: one request, one line."""
        line = encode_line(response_record("i", "r\n1", 200, None, {"text": "a\nb\r\nc"}))
        assert 1 == line.count(b"\n")

    def test_a_lone_surrogate_is_kept_escaped(self) -> None:
        """A "\\ud800" escape in the input has no UTF-8 form; the line is written in ASCII instead."""
        line = encode_line(response_record("i", "r1", 200, None, {"text": "\ud800"}))
        assert "\ud800" == json.loads(line)["response"]["body"]["text"]

    def test_an_invalid_line_without_custom_id_keeps_its_line_number(self) -> None:
        """The line number is how a later run knows the line is answered."""
        record = error_record("i", None, "invalid_json_line", "line 4: not valid JSON", line=4)
        assert OutputLine(None, True, 4) == read_output_line(encode_line(record))

    @pytest.mark.parametrize(
        ("record", "expected"),
        [
            (ok_line("a"), OutputLine("a", False)),
            (failed_line("a", 429), OutputLine("a", True)),
            (error_record("i", "a", "connection_error", "reset"), OutputLine("a", True)),
            ({**ok_line("a"), "error": {"code": "invalid_response", "message": "?"}}, OutputLine("a", True)),
            (error_record("i", None, "missing_custom_id", "x"), OutputLine(None, True)),
        ],
    )
    def test_output_lines_read_back_as_answered_or_failed(self, record: object, expected: OutputLine) -> None:
        """A response below 400 without an error is a success; anything else a failure."""
        assert expected == read_output_line(json.dumps(record).encode() + b"\n")

    @pytest.mark.parametrize(
        "raw", [b'{"id": "x", "custom_id": "a", "resp', b"[1]\n", b'{"custom_id": "a"}\n', b"\x00\x00\x00"]
    )
    def test_anything_else_is_not_an_output_line(self, raw: bytes) -> None:
        """Torn writes, zeros from a power cut, and foreign JSON are not answers."""
        assert None is read_output_line(raw)


class TestReorderWindow:
    def test_results_are_released_in_order(self) -> None:
        """A later result waits for the earlier ones, then all go out in order."""
        window: ReorderWindow[str] = ReorderWindow(3)
        window.put(1, "b")
        window.put(2, "c")
        assert None is window.pop()
        window.put(0, "a")
        assert ["a", "b", "c"] == [window.pop(), window.pop(), window.pop()]
        assert None is window.pop()

    def test_only_indexes_inside_the_window_are_admitted(self) -> None:
        """With index 0 unanswered, a window of 2 admits 0 and 1 only; releasing 0 admits 2."""
        window: ReorderWindow[str] = ReorderWindow(2)
        assert [True, True, False] == [window.admits(i) for i in range(3)]
        window.put(0, "a")
        window.pop()
        assert window.admits(2)
        with pytest.raises(ValueError, match="outside the window"):
            window.put(3, "d")

    @given(st.integers(1, 8), st.randoms(use_true_random=False))
    def test_any_completion_order_is_released_in_input_order_within_the_bound(
        self, size: int, rng: random.Random
    ) -> None:
        """Simulated workers take admitted indexes and finish in random order: output is 0..n-1, held <= size."""
        window: ReorderWindow[int] = ReorderWindow(size)
        taken = 0
        running: list[int] = []
        released: list[int] = []
        while len(released) < 40:
            while taken < 40 and window.admits(taken) and rng.random() < 0.7:
                running.append(taken)
                taken += 1
            if running:
                finished = running.pop(rng.randrange(len(running)))
                window.put(finished, finished)
            while (ready := window.pop()) is not None:
                released.append(ready)
            assert len(window) + len(running) <= size
        assert list(range(40)) == released


class TestScanOutput:
    def scan(self, data: bytes) -> tuple[Any, list[OutputLine]]:
        seen: list[OutputLine] = []
        return scan_output(io.BytesIO(data), lambda line, raw: seen.append(line)), seen

    def test_complete_lines_are_answers(self) -> None:
        """Every valid line is reported; the file is not torn."""
        data = jsonl(ok_line("a"), failed_line("b"))
        scan, seen = self.scan(data)
        assert ["a", "b"] == [line.custom_id for line in seen]
        assert (2, 1, False, len(data)) == (scan.answered, scan.failed, scan.torn, scan.valid_end)

    @pytest.mark.parametrize(
        "tail", [b'{"id": "batch_req_', b"\x00" * 40, b"not json\n", b'{"id": 1}\n{"custom_id": "x", "resp']
    )
    def test_a_torn_tail_is_found_and_left_out(self, tail: bytes) -> None:
        """Incomplete or invalid lines at the end are a write cut short: appending resumes before them."""
        good = jsonl(ok_line("a"))
        scan, seen = self.scan(good + tail)
        assert ["a"] == [line.custom_id for line in seen]
        assert scan.torn
        assert len(good) == scan.valid_end

    def test_an_invalid_line_followed_by_valid_ones_is_corruption(self) -> None:
        """A crash only tears the last line: anything else is refused, with its line number."""
        with pytest.raises(CorruptOutputError, match="line 2 "):
            self.scan(jsonl(ok_line("a")) + b"garbage\n" + jsonl(ok_line("b")))

    def test_failures_are_counted_by_kind(self) -> None:
        """The HTTP status when there was an answer, else the error's code; successes not at all."""
        data = jsonl(
            ok_line("a"),
            failed_line("b", 500),
            failed_line("c", 500),
            failed_line("d", 401),
            error_record("i", "e", "connection_error", "refused"),
        )
        scan, _ = self.scan(data)
        assert Counter({"HTTP 500": 2, "HTTP 401": 1, "connection_error": 1}) == scan.failed_by
        assert 4 == scan.failed

    def test_blank_lines_are_skipped(self) -> None:
        """A blank line is no answer, and no corruption either."""
        scan, seen = self.scan(b"\n" + jsonl(ok_line("a")) + b"\n")
        assert 1 == len(seen)
        assert 1 == scan.answered


class TestAnswered:
    def test_one_bit_per_line(self) -> None:
        """Lines are marked once and counted once; lines out of range are ignored."""
        answered = Answered(20)
        for line in (1, 7, 8, 20, 7, 0, 500):
            answered.add(line)
        assert 4 == answered.count
        assert [1, 7, 8, 20] == [line for line in range(30) if line in answered]


class TestPlan:
    def files(self, tmp_path: Path, lines: list[object], output: bytes = b"") -> tuple[str, str, int]:
        source = tmp_path / "in.jsonl"
        source.write_bytes(b"".join(line if isinstance(line, bytes) else jsonl(line) for line in lines))
        target = tmp_path / "out.jsonl"
        target.write_bytes(output)
        return str(source), str(target), open_output(str(target))

    def plan(
        self, tmp_path: Path, lines: list[object], output: bytes = b"", retry_failed: bool = False
    ) -> Any:
        source, target, fd = self.files(tmp_path, lines, output)
        try:
            return plan(source, target, fd, base_path="/v1/", retry_failed=retry_failed)
        finally:
            os.close(fd)

    @pytest.fixture(params=[1, 3], ids=["one partition", "three partitions"])
    def partitions(self, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
        """Every plan test runs with one partition and with ids spread over several."""
        if request.param > 1:
            monkeypatch.setattr(_batch_files, "_partition_count", lambda path: request.param)

    @pytest.mark.usefixtures("partitions")
    def test_duplicates_are_named_with_their_line_numbers(self, tmp_path: Path) -> None:
        """Every repeated custom_id is found, with every line it is on, whatever partition it lands in."""
        lines = [request(f"r{i}") for i in range(30)] + [request("r3"), b"\n", request("r7"), request("r3")]
        result = self.plan(tmp_path, lines)
        assert 2 == result.input.duplicates
        assert {"r3": [4, 31, 34], "r7": [8, 33]} == dict(result.input.duplicates_shown)

    @pytest.mark.usefixtures("partitions")
    def test_answered_lines_are_found_by_custom_id(self, tmp_path: Path) -> None:
        """Successes and failures count as answered; stale and repeated output lines are counted apart."""
        lines = [request(f"r{i}") for i in range(10)]
        output = jsonl(ok_line("r2"), failed_line("r5"), ok_line("elsewhere"), ok_line("r2"))
        result = self.plan(tmp_path, lines, output)
        assert [3, 6] == [line for line in range(12) if line in result.answered]
        assert (2, 1, 1) == (result.answered.count, result.stale, result.repeated)
        assert 0 == result.input.duplicates

    @pytest.mark.usefixtures("partitions")
    def test_with_retry_failed_only_successes_are_answered(self, tmp_path: Path) -> None:
        """The failed line's request is to be sent again."""
        lines = [request(f"r{i}") for i in range(10)]
        result = self.plan(tmp_path, lines, jsonl(ok_line("r2"), failed_line("r5")), retry_failed=True)
        assert [3] == [line for line in range(12) if line in result.answered]

    def test_invalid_lines_are_counted_and_the_ones_without_id_answered_by_line(self, tmp_path: Path) -> None:
        """A bad line without a custom_id is known in OUTPUT by its line number."""
        lines = [request("a"), b"oops\n", {**request("b"), "method": "GET"}]
        output = encode_line(error_record("i", None, "invalid_json_line", "line 2: x", line=2))
        result = self.plan(tmp_path, lines, output)
        assert 2 == result.input.bad
        assert ["line 2: not valid JSON (Expecting value)"] == result.input.bad_shown[:1]
        assert [2] == [line for line in range(5) if line in result.answered]


class TestOutputFile:
    def test_rewrite_keeps_the_lines_asked_for_and_replaces_the_file(self, tmp_path: Path) -> None:
        """--retry-failed: failure lines (and a torn tail) are gone, atomically, and the new file is open."""
        target = tmp_path / "out.jsonl"
        target.write_bytes(jsonl(ok_line("a"), failed_line("b"), ok_line("c")) + b'{"torn')
        fd = open_output(str(target))
        new_fd, dropped = rewrite_output(str(target), fd, lambda line: not line.failed)
        try:
            os.write(new_fd, jsonl(ok_line("d")))
        finally:
            os.close(new_fd)
        assert 1 == dropped
        assert ["a", "c", "d"] == [json.loads(line)["custom_id"] for line in target.read_bytes().splitlines()]
        assert ["out.jsonl"] == [p.name for p in tmp_path.iterdir()]

    def test_a_second_run_cannot_open_the_same_output(self, tmp_path: Path) -> None:
        """OUTPUT is locked for the length of a run."""
        target = str(tmp_path / "out.jsonl")
        fd = open_output(target)
        try:
            with pytest.raises(_batch_files.OutputInUseError, match="another run"):
                open_output(target)
        finally:
            os.close(fd)

    def test_the_writer_appends_whole_lines(self, tmp_path: Path) -> None:
        """Lines land in order at the end of the file."""
        target = tmp_path / "out.jsonl"
        target.write_bytes(b"first\n")
        writer = OutputWriter(open_output(str(target)))
        writer.write(b"second\n")
        writer.write(b"third\n")
        writer.close()
        assert b"first\nsecond\nthird\n" == target.read_bytes()
        assert 2 == writer.lines


class TestProgress:
    @pytest.mark.parametrize(
        ("seconds", "text"), [(0, "0s"), (42.4, "42s"), (125, "2m05s"), (3725, "1h02m"), (-3, "0s")]
    )
    def test_durations(self, seconds: float, text: str) -> None:
        """Short, and rounded to what matters."""
        assert text == format_duration(seconds)

    @pytest.mark.parametrize(
        ("value", "text"), [(999, "999"), (12_345, "12,345"), (123_456, "123k"), (12e6, "12.0M")]
    )
    def test_counts(self, value: float, text: str) -> None:
        """Counts shrink to fit a terminal line."""
        assert text == format_count(value)

    def test_the_bar_fits_its_width_and_shows_everything(self) -> None:
        """done/total, rates, ETA, retries and errors, within the terminal's width."""
        tally = Tally(total=1000, skipped=100, ok=300, failed=Counter({"HTTP 500": 2}), retries=7)
        bar = render_bar(tally, 10.0, 2500.0, 120)
        assert len(bar) <= 120
        for part in ("402/1,000", "40%", "10.0 req/s", "2,500 tok/s", "ETA 1m00s", "retries 7", "errors 2"):
            assert part in bar
        assert len(render_bar(tally, 0.0, 0.0, 30)) <= 30

    def test_the_summary_counts_by_outcome(self) -> None:
        """Outcomes by kind, tokens, and the interruption if there was one."""
        tally = Tally(total=10, skipped=2, ok=5, failed=Counter({"HTTP 500": 1, "timeout": 1}), tokens=1234)
        text = render_summary(tally, 4.0, interrupted="SIGTERM")
        assert "interrupted (SIGTERM)" in text
        assert "failed      2 (HTTP 500: 1, timeout: 1)" in text
        assert "tokens      1,234" in text
        assert "1 left" in text

    def test_the_summary_counts_earlier_failures_and_says_how_to_retry(self) -> None:
        """Failures of this run and of earlier ones, most frequent first, then the exact command."""
        tally = Tally(total=10, skipped=4, ok=4, failed=Counter({"timeout": 1, "HTTP 500": 1}))
        earlier = Counter({"HTTP 500": 1, "HTTP 429": 3})
        command = "openai-actors batch in.jsonl out.jsonl --retry-failed"
        text = render_summary(tally, 4.0, earlier_failed=earlier, retry_command=command)
        assert "failed before, in OUTPUT  4 (HTTP 429: 3, HTTP 500: 1)" in text
        assert text.endswith(f"to send the 6 failed request(s) again, run:\n  {command}")

    def test_no_retry_command_without_failures(self) -> None:
        tally = Tally(total=3, skipped=0, ok=3)
        text = render_summary(tally, 1.0, earlier_failed=Counter(), retry_command="openai-actors batch x")
        assert "failed before" not in text
        assert "openai-actors batch x" not in text

    def test_the_plain_progress_line(self) -> None:
        """One line, no control characters: for a log file."""
        tally = Tally(total=1000, skipped=100, ok=300, failed=Counter({"HTTP 500": 2}), retries=7)
        line = render_line(tally, 10.0, 65.0)
        for part in (
            "402/1,000 answered (40%)",
            "after 1m05s",
            "10.0 req/s",
            "ETA 1m00s",
            "retries 7",
            "errors 2",
        ):
            assert part in line
        assert line.isprintable()
        assert "ETA ?" in render_line(tally, 0.0, 1.0)

    def test_rates_are_measured_over_recent_samples(self) -> None:
        """Old samples age out, so the rate follows a change of pace."""
        meter = RateMeter()
        meter.observe(0.0, 0, 0)
        assert (10.0, 100.0) == meter.observe(10.0, 100, 1000)
        meter.observe(20.0, 100, 1000)
        assert (0.0, 0.0) == meter.observe(30.0, 100, 1000)
