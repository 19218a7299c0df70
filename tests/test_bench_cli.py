"""`openai-actors bench`: its pure parts exactly, and the command end to end on tiny workloads.

The end-to-end tests run the command as a user would (a subprocess, against
the mock server it starts itself) and check the exit status and that the JSON
document has every figure with the right type. They assert nothing about
timings: the machine is shared, and speed is measured in bench/, not here.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from openai_actors._bench._load import Level, Ramp, Recorder, Stop, arrival_offsets, run_concurrency, run_rate
from openai_actors._bench._plot import curves
from openai_actors._bench._record import Record
from openai_actors._bench._report import cpu_bound_notes
from openai_actors._bench._runner import Run
from openai_actors._bench._stats import Figures, Slo, figures, percentile, ratio, ratios, summarize, tpot
from openai_actors._bench._workload import (
    CHARS_PER_TOKEN,
    Workload,
    length_range,
    parse_prompts,
    prompt_text,
    request_bodies,
    request_body,
)
from openai_actors.mock import MockServer

from .conftest import RawServer

HAS_OPENAI = importlib.util.find_spec("openai") is not None


# --- the pure parts -----------------------------------------------------------------


class TestPercentile:
    def test_nearest_rank_of_one_to_a_thousand(self) -> None:
        """The p-th percentile of 1..1000 is the value at rank ceil(p * n / 100), exactly (99.9 % is 999)."""
        values = [float(v) for v in range(1, 1001)]
        expected = {0: 1.0, 50: 500.0, 90: 900.0, 99: 990.0, 99.9: 999.0, 100: 1000.0}
        assert expected == {p: percentile(values, p) for p in expected}

    def test_is_always_an_observed_value(self) -> None:
        """Between two values the higher is taken, never an interpolation."""
        assert [10.0, 10.0, 20.0, 20.0] == [percentile([10.0, 20.0], p) for p in (1, 50, 50.1, 100)]

    def test_small_samples_report_their_maximum_for_high_percentiles(self) -> None:
        """With fewer than 1,000 values, p99.9 is the largest (rank ceil(0.999 n) = n)."""
        assert 7.0 == percentile([1.0, 2.0, 7.0], 99.9)

    def test_rank_is_exact_where_float_arithmetic_is_not(self) -> None:
        """99.9 * 3000 / 100 is 2997 exactly (in floats, 2997.0000000000005, whose ceiling is 2998)."""
        values = [float(v) for v in range(1, 3001)]
        assert 2997.0 == percentile(values, 99.9)

    @pytest.mark.parametrize(
        ("values", "percent", "message"),
        [([], 50, "no values"), ([1.0], -1, "between 0 and 100"), ([1.0], 100.5, "between 0 and 100")],
    )
    def test_rejects_no_values_and_out_of_range_percentages(
        self, values: list[float], percent: float, message: str
    ) -> None:
        """No values, or a percentage outside 0..100, is a ValueError saying which."""
        with pytest.raises(ValueError, match=message):
            percentile(values, percent)


class TestSummarize:
    def test_mean_percentiles_and_extremes(self) -> None:
        """Unordered input is summarised as sorted: exact mean, nearest-rank percentiles, min and max."""
        summary = summarize([4.0, 1.0, 3.0, 2.0])
        assert summary is not None
        assert (4, 2.5, 2.0, 4.0, 4.0, 4.0, 1.0, 4.0) == (
            summary.count,
            summary.mean,
            summary.p50,
            summary.p90,
            summary.p99,
            summary.p99_9,
            summary.min,
            summary.max,
        )

    def test_median_std_and_chosen_percentiles(self) -> None:
        """The median is the middle (or the mean of the two middle values), std the population one;
        percentages asked for are computed nearest-rank, in the order asked."""
        summary = summarize([1.0, 2.0, 3.0, 4.0], percents=(25.0, 75.0))
        assert summary is not None
        assert (2.5, math.sqrt(1.25), ((25.0, 1.0), (75.0, 3.0))) == (
            summary.median,
            summary.std,
            summary.chosen,
        )
        odd = summarize([5.0, 1.0, 3.0])
        assert odd is not None
        assert (3.0, ()) == (odd.median, odd.chosen)

    def test_nothing_to_summarise_is_none(self) -> None:
        """No values: no summary (n/a in the report, null in the JSON)."""
        assert None is summarize([])


class TestWorkload:
    def test_prompt_is_four_characters_per_token_and_deterministic(self) -> None:
        """N tokens are exactly 4 N characters of the same text every time."""
        assert [4, 400, 40_000] == [len(prompt_text(n)) for n in (1, 100, 10_000)]
        assert prompt_text(300) == prompt_text(300)
        assert prompt_text(300).startswith(prompt_text(10))

    def test_streamed_chat_asks_for_usage(self) -> None:
        """A streamed chat body asks for the usage chunk, so output tokens come from the server."""
        body = request_body(Workload("chat", "m", 2, 16, stream=True))
        expected = {
            "model": "m",
            "messages": [{"role": "user", "content": prompt_text(2)}],
            "max_tokens": 16,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        assert expected == body

    def test_plain_chat_without_max_tokens(self) -> None:
        """No max_tokens: the key is left out, and nothing about streaming is sent."""
        assert {"model", "messages"} == set(request_body(Workload("chat", "m", 1, None, stream=False)))

    def test_length_range(self) -> None:
        """From N (1 - R) rounded down to N (1 + R) rounded up, never below one token; R outside [0, 1) refused."""
        assert [(64, 64), (32, 96), (1, 2), (5, 15)] == [
            length_range(64, 0.0),
            length_range(64, 0.5),
            length_range(1, 0.99),
            length_range(10, 0.45),
        ]
        with pytest.raises(ValueError, match="range ratio"):
            length_range(10, 1.0)

    def test_random_lengths_are_drawn_within_the_range_from_the_seed(self) -> None:
        """With a range ratio each body has its own prompt size and max_tokens, in range, the same for a seed."""
        workload = Workload("chat", "m", 100, 20, stream=False, range_ratio=0.5, seed=3)
        bodies = request_bodies(workload)
        prompts = [len(body["messages"][0]["content"]) // CHARS_PER_TOKEN for body in bodies]
        outputs = [body["max_tokens"] for body in bodies]
        assert 512 == len(bodies)
        assert (50, 150, 10, 30) == (min(prompts), max(prompts), min(outputs), max(outputs))
        assert len(set(prompts)) > 50 and len(set(outputs)) > 10
        assert bodies == request_bodies(workload)
        assert bodies != request_bodies(Workload("chat", "m", 100, 20, stream=False, range_ratio=0.5, seed=4))
        assert [request_body(Workload("chat", "m", 100, 20, stream=False))] == request_bodies(
            Workload("chat", "m", 100, 20, stream=False, seed=3)
        )

    def test_huge_random_prompts_keep_few_bodies(self) -> None:
        """Bodies of a million tokens or so: fewer of them, so the pool stays within its memory budget."""
        bodies = request_bodies(Workload("embeddings", "e", 1_000_000, None, False, range_ratio=0.5))
        assert 1 <= len(bodies) <= 16

    def test_prompts_from_json_lines(self) -> None:
        """Strings, {"prompt"} and {"messages"}, one a line; blank lines skipped; each sent in turn."""
        text = '"hello"\n\n{"prompt": "a b"}\n{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}]}\n'
        prompts = parse_prompts(text)
        assert (
            ({"role": "user", "content": "hello"},),
            ({"role": "user", "content": "a b"},),
            ({"role": "system", "content": "s"}, {"role": "user", "content": "q"}),
        ) == prompts
        bodies = request_bodies(Workload("chat", "m", 64, 8, stream=False, prompts=prompts))
        assert [[{"role": "user", "content": "hello"}], 8] == [bodies[0]["messages"], bodies[0]["max_tokens"]]
        assert 3 == len(bodies)
        embeddings = request_bodies(Workload("embeddings", "e", 64, None, stream=False, prompts=prompts))
        assert "s\nq" == embeddings[2]["input"]

    def test_prompts_from_sharegpt(self) -> None:
        """ShareGPT: the first human turn (after a system turn) is the prompt; no human turn: skipped."""
        sharegpt = [
            {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]},
            {"conversations": [{"from": "gpt", "value": "alone"}]},
            {"conversations": [{"from": "system", "value": "be brief"}, {"from": "human", "value": "why"}]},
        ]
        assert (
            ({"role": "user", "content": "hi"},),
            ({"role": "system", "content": "be brief"}, {"role": "user", "content": "why"}),
        ) == parse_prompts(json.dumps(sharegpt))

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("", "the file is empty"),
            ('"a"\n{oops\n', "line 2: not valid JSON"),
            ("[1", "not valid JSON"),
            ("[3]", "item 1: expected a string"),
            ('{"messages": []}', "line 1: messages must be a list of messages, not empty"),
            ('{"messages": [{"role": "user"}]}', "a string role and a string content"),
            ('{"text": "x"}', "line 1: expected"),
            ('[{"conversations": [{"from": "gpt", "value": "x"}]}]', "no item has a prompt"),
        ],
    )
    def test_bad_prompts_files_say_where(self, text: str, message: str) -> None:
        """A prompts file that cannot be read as prompts is a ValueError naming the line or item."""
        with pytest.raises(ValueError, match=message):
            parse_prompts(text)

    def test_ignore_eos_is_sent_as_an_extra_body_field(self) -> None:
        """vLLM's ignore_eos is not an OpenAI parameter: it goes in extra_body, which both clients send as is."""
        body = request_body(Workload("chat", "m", 1, 8, stream=False, ignore_eos=True))
        assert ({"ignore_eos": True}, 8) == (body["extra_body"], body["max_tokens"])

    def test_embeddings_send_the_prompt_as_input(self) -> None:
        """Embeddings: the prompt text is the input."""
        assert {"model": "e", "input": prompt_text(3)} == request_body(
            Workload("embeddings", "e", 3, None, False)
        )


class TestLoadParts:
    def test_constant_rate_arrivals_are_evenly_spaced(self) -> None:
        """At 4/s the requests are due at 0, 0.25, 0.5, ..."""
        offsets = arrival_offsets(4.0)
        assert [0.0, 0.25, 0.5, 0.75, 1.0] == [next(offsets) for _ in range(5)]

    def test_poisson_arrivals_follow_the_seed(self) -> None:
        """The same seed gives the same schedule, another seed another; the mean gap is 1 / rate."""

        def first(seed: int, n: int) -> list[float]:
            offsets = arrival_offsets(50.0, burstiness=1.0, seed=seed)
            return [next(offsets) for _ in range(n)]

        assert first(7, 100) == first(7, 100)
        assert first(7, 100) != first(8, 100)
        mean_gap = first(7, 20_001)[-1] / 20_000
        assert math.isclose(0.02, mean_gap, rel_tol=0.03)

    @pytest.mark.parametrize("burstiness", [0.25, 1.0, 4.0])
    def test_gamma_arrivals_keep_the_rate_and_spread_by_burstiness(self, burstiness: float) -> None:
        """Gamma gaps of shape B: mean 1 / rate whatever B; coefficient of variation 1 / sqrt(B)."""
        offsets = arrival_offsets(20.0, burstiness=burstiness, seed=11)
        times = [next(offsets) for _ in range(40_001)]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        mean = math.fsum(gaps) / len(gaps)
        std = math.sqrt(math.fsum((gap - mean) ** 2 for gap in gaps) / len(gaps))
        assert 0.0 == times[0]
        assert math.isclose(0.05, mean, rel_tol=0.03)
        assert math.isclose(1 / math.sqrt(burstiness), std / mean, rel_tol=0.05)

    def test_burstiness_one_is_poisson_and_the_schedule_follows_the_seed(self) -> None:
        """Shape 1 has exponential gaps (std = mean); the same seed gives the same schedule, another another."""

        def first(burstiness: float, seed: int) -> list[float]:
            offsets = arrival_offsets(10.0, burstiness=burstiness, seed=seed)
            return [next(offsets) for _ in range(50)]

        assert first(0.5, 1) == first(0.5, 1)
        assert first(0.5, 1) != first(0.5, 2)
        assert first(0.5, 1) != first(2.0, 1)

    @pytest.mark.parametrize(
        ("rate", "burstiness", "message"),
        [
            (0.0, None, "rate"),
            (math.inf, None, "rate"),
            (1.0, 0.0, "burstiness"),
            (1.0, math.nan, "burstiness"),
        ],
    )
    def test_bad_rates_and_burstiness_are_refused(
        self, rate: float, burstiness: float | None, message: str
    ) -> None:
        """A rate or a shape that is not a positive finite number is a ValueError naming it."""
        with pytest.raises(ValueError, match=message):
            next(arrival_offsets(rate, burstiness))

    def test_ramp_rates(self) -> None:
        """Linear: straight from start to end; exponential: by a constant factor (geometric middle)."""
        linear, exponential = Ramp("linear", 10.0, 30.0), Ramp("exponential", 10.0, 40.0)
        assert [10.0, 20.0, 30.0] == [linear.rate(p) for p in (0.0, 0.5, 1.0)]
        assert [10.0, 20.0, 40.0] == [exponential.rate(p) for p in (0.0, 0.5, 1.0)]
        with pytest.raises(ValueError, match="ramp rates"):
            Ramp("linear", 0.0, 5.0)

    def test_ramped_arrivals_take_each_gap_at_the_ramp_rate(self) -> None:
        """Evenly spaced on a ramp: the gap after request i is 1 / rate(i / total); seeded gamma gaps repeat."""
        ramp = Ramp("linear", 1.0, 5.0)
        offsets = arrival_offsets(5.0, ramp=ramp, total=4)
        times = [next(offsets) for _ in range(5)]
        expected_gaps = [1 / 1.0, 1 / 2.0, 1 / 3.0, 1 / 4.0]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert 0.0 == times[0]
        assert all(math.isclose(gap, want) for gap, want in zip(gaps, expected_gaps, strict=True))

        def bursty(seed: int) -> list[float]:
            offsets = arrival_offsets(5.0, burstiness=0.5, seed=seed, ramp=ramp, total=100)
            return [next(offsets) for _ in range(100)]

        assert bursty(1) == bursty(1) != bursty(2)
        with pytest.raises(ValueError, match="number of requests"):
            next(arrival_offsets(5.0, ramp=ramp))

    def test_recorder_stops_at_its_limit(self) -> None:
        """Indexes are handed out in order up to the limit, then -1."""
        recorder = Recorder(3)
        assert [0, 1, 2, -1, -1] == [recorder.claim() for _ in range(5)]

    def test_recorder_without_limit_grows(self) -> None:
        """Bounded by a duration only, the recorder grows past its initial capacity and keeps every record."""
        recorder = Recorder(None)
        for _ in range(10_000):
            recorder.put(recorder.claim(), _ok(0.0, 1.0))
        assert (10_000, 10_000) == (len(recorder.finished()), recorder.done)


class TestLoadShapes:
    @pytest.mark.anyio
    async def test_fixed_concurrency_keeps_that_many_in_flight(self, anyio_backend: str) -> None:
        """20 requests at 4 in flight: all recorded, in start order, and never more than 4 at once."""
        in_flight = most = 0

        async def one() -> Record:
            nonlocal in_flight, most
            in_flight += 1
            most = max(most, in_flight)
            await anyio.lowlevel.checkpoint()
            await anyio.lowlevel.checkpoint()
            in_flight -= 1
            return _ok(0.0, 0.0)

        recorder = Recorder(20)
        await run_concurrency(one, 4, Stop(20, None), recorder)
        assert (20, 20, 4) == (len(recorder.finished()), recorder.done, most)

    @pytest.mark.anyio
    async def test_rate_starts_the_requests_it_is_told_to(self, anyio_backend: str) -> None:
        """At a (high) rate, exactly the requested number start, each recorded once; failures are counted."""
        count = 0

        async def one() -> Record:
            nonlocal count
            count += 1
            return _ok(0.0, 0.0, error="APIError" if count % 2 else None)

        recorder = Recorder(10)
        await run_rate(one, arrival_offsets(10_000.0), Stop(10, None), recorder)
        assert (10, 10, 5) == (count, recorder.done, recorder.errors)

    @pytest.mark.anyio
    async def test_rate_with_a_cap_never_exceeds_it(self, anyio_backend: str) -> None:
        """Arrivals far faster than requests end, capped at 3: all 30 run, never more than 3 at once."""
        in_flight = most = 0
        release = anyio.Event()

        async def one() -> Record:
            nonlocal in_flight, most
            in_flight += 1
            most = max(most, in_flight)
            if in_flight == 3:
                release.set()  # the cap is reached: from now on each request ends after a checkpoint
            await release.wait()
            await anyio.lowlevel.checkpoint()
            in_flight -= 1
            return _ok(0.0, 0.0)

        recorder = Recorder(30)
        await run_rate(one, arrival_offsets(100_000.0), Stop(30, None), recorder, cap=3)
        assert (30, 30, 3, 0) == (len(recorder.finished()), recorder.done, most, in_flight)


def _ok(start: float, end: float, **fields: Any) -> Record:
    values: dict[str, Any] = {
        "ttft": None,
        "gaps": None,
        "queued": None,
        "output_tokens": 0,
        "input_tokens": 0,
        "error": None,
    }
    values.update(fields)
    return Record(start, end, **values)


class TestFigures:
    def test_time_per_output_token(self) -> None:
        """TPOT is the time after the first token over the tokens after it; none without two tokens."""
        assert [0.5, None, None] == [
            tpot(_ok(1.0, 3.25, ttft=0.25, output_tokens=5)),
            tpot(_ok(1.0, 2.2, ttft=0.2, output_tokens=1)),
            tpot(_ok(1.0, 2.2, output_tokens=5)),
        ]

    def test_streams_have_a_tpot_distribution_with_the_chosen_percentiles(self) -> None:
        """A streamed run's TPOT covers the requests with two tokens or more; others have none."""
        records = [
            _ok(0.0, 1.0, ttft=0.5, output_tokens=6),
            _ok(0.0, 2.0, ttft=1.0, output_tokens=3),
            _ok(0.0, 1.0, ttft=1.0, output_tokens=1),
        ]
        streamed = figures(records, 1.0, 0.0, Slo(), stream=True, percents=(50.0,))
        assert streamed.tpot is not None
        assert (2, ((50.0, 0.1),)) == (streamed.tpot.count, streamed.tpot.chosen)
        assert math.isclose(0.3, streamed.tpot.mean)
        assert None is figures(records, 1.0, 0.0, Slo(), stream=False).tpot

    def test_a_run_from_its_records(self) -> None:
        """Rates count successes per wall second; errors are counted by kind; distributions cover successes."""
        records = [
            _ok(0.0, 0.1, ttft=0.01, gaps=[0.02, 0.03], queued=0.001, output_tokens=3, input_tokens=5),
            _ok(0.0, 0.3, ttft=0.05, gaps=[0.04], queued=0.002, output_tokens=2, input_tokens=5),
            _ok(0.0, 9.0, error="APITimeoutError"),
            _ok(0.0, 0.1, error="RateLimitError"),
            _ok(0.0, 0.1, error="APITimeoutError"),
        ]
        result = figures(records, wall_s=2.0, cpu_s=0.01, slo=Slo(e2e_ms=200.0), stream=True)
        assert (5, 2, {"APITimeoutError": 2, "RateLimitError": 1}) == (
            result.requests,
            result.ok,
            result.errors,
        )
        assert (1.0, 0.5, 1) == (result.requests_per_s, result.goodput_per_s, result.slo_met)
        assert (5, 2.5, 10) == (result.output_tokens, result.output_tokens_per_s, result.input_tokens)
        assert (2000.0, 0.005) == (result.cpu_us_per_request, result.cpu_share)
        assert result.itl is not None and result.ttft is not None and result.latency is not None
        assert (3, 0.03) == (result.itl.count, result.itl.p50)
        assert (2, 0.05) == (result.ttft.count, result.ttft.max)
        assert 0.3 == result.latency.max

    def test_figures_a_client_cannot_give_are_none(self) -> None:
        """No queue time from the client, not streamed, no SLO: those figures are None."""
        result = figures([_ok(0.0, 0.1)], wall_s=1.0, cpu_s=0.0, slo=Slo(), stream=False)
        assert (None, None, None, None, None) == (
            result.queued,
            result.ttft,
            result.itl,
            result.goodput_per_s,
            result.slo_met,
        )

    def test_tpot_objective(self) -> None:
        """Per output token after the first: met at or under; a one-token reply meets it, a stream without
        a first token does not."""
        slo = Slo(tpot_ms=100.0)
        assert [True, False, True, False] == [
            slo.met(_ok(0.0, 0.5, ttft=0.1, output_tokens=5)),  # 100 ms per token
            slo.met(_ok(0.0, 0.6, ttft=0.1, output_tokens=5)),  # 125 ms
            slo.met(_ok(0.0, 9.0, ttft=0.1, output_tokens=1)),
            slo.met(_ok(0.0, 0.5)),
        ]

    def test_ttft_objective_needs_a_first_token(self) -> None:
        """A stream that met the end-to-end objective but sent no content does not meet a TTFT objective."""
        slo = Slo(e2e_ms=1000.0, ttft_ms=50.0)
        assert [True, False, False] == [
            slo.met(_ok(0.0, 0.5, ttft=0.01)),
            slo.met(_ok(0.0, 0.5, ttft=0.06)),
            slo.met(_ok(0.0, 0.5)),
        ]


class TestCpuBound:
    def _run(self, cpu_s: float, concurrency: int) -> Run:
        measured = figures([_ok(0.0, 0.1)], 1.0, cpu_s, Slo(), stream=False)
        return Run("openai_actors", "asyncio", Level(concurrency=concurrency), measured, {})

    def test_a_client_near_a_whole_core_is_named_with_the_remedy(self) -> None:
        """90 % of a core or more: a note names the run and says what to do; below, nothing."""
        notes = cpu_bound_notes([self._run(0.5, 1), self._run(0.97, 64)])
        assert 3 == len(notes)
        assert "note: 64 in flight, openai_actors/asyncio: the client used 97% of a core" in notes[1]
        assert "more client processes with --processes N" in notes[2]
        assert [] == cpu_bound_notes([self._run(0.89, 1)])


class TestCurves:
    def test_one_curve_per_client_ordered_by_throughput(self) -> None:
        """Each client's runs become points in milliseconds, sorted by achieved requests/s."""

        def run(client: str, concurrency: int, wall_s: float) -> Run:
            measured = figures([_ok(0.0, 0.002), _ok(0.0, 0.004)], wall_s, 0.0, Slo(), stream=False)
            return Run(client, "asyncio", Level(concurrency=concurrency), measured, {})

        lines = curves([run("openai_actors", 1, 1.0), run("openai_actors", 8, 0.5), run("openai", 1, 2.0)])
        assert ["openai_actors/asyncio", "openai"] == list(lines)
        ours = lines["openai_actors/asyncio"]
        assert [(1, 2.0), (8, 4.0)] == [(point.concurrency, point.requests_per_s) for point in ours]
        assert (2.0, 4.0, None) == (ours[0].p50_ms, ours[0].p99_ms, ours[0].ttft_p50_ms)


class TestRatios:
    def _figures(self, rps: float, cpu_us: float | None, p50: float) -> Figures:
        latency = summarize([p50])
        return Figures(
            requests=1,
            ok=1,
            errors={},
            wall_s=1.0,
            cpu_s=0.0,
            cpu_us_per_request=cpu_us,
            cpu_share=0.0,
            requests_per_s=rps,
            goodput_per_s=None,
            slo_met=None,
            output_tokens=0,
            output_tokens_per_s=rps * 10,
            input_tokens=0,
            input_tokens_per_s=0.0,
            latency=latency,
            ttft=None,
            itl=None,
            queued=None,
        )

    def test_above_one_means_ours_is_better(self) -> None:
        """Rates are ours / theirs, costs and latencies theirs / ours; what either lacks is None."""
        result = ratios(self._figures(400.0, 100.0, 0.01), self._figures(100.0, 1000.0, 0.04))
        assert (4.0, 4.0, 10.0, 4.0) == (
            result["requests_per_s"],
            result["output_tokens_per_s"],
            result["cpu_per_request"],
            result["latency_p50"],
        )
        assert (None, None, None) == (
            result["goodput_per_s"],
            result["ttft_p50"],
            result["input_tokens_per_s"],
        )

    def test_ratio_of_unknown_or_zero_is_none(self) -> None:
        """Nothing divides by zero or by an unknown."""
        assert [2.0, None, None, None] == [
            ratio(4.0, 2.0),
            ratio(None, 2.0),
            ratio(4.0, None),
            ratio(4.0, 0.0),
        ]


# --- the command end to end ------------------------------------------------------------------

SUMMARY_KEYS = {"count", "mean", "median", "std", "p50", "p90", "p99", "p99_9", "min", "max"}
NUMBER = (int, float)
OPTIONAL_NUMBER = (int, float, type(None))
RUN_FIELDS: dict[str, Any] = {
    "client": str,
    "backend": str,
    "complete": bool,
    "learned_limits": (dict, type(None)),
    "concurrency": (int, type(None)),
    "rate": OPTIONAL_NUMBER,
    "processes": int,
    "process_cpu_shares": (list, type(None)),
    "requests": int,
    "ok": int,
    "failed": int,
    "errors": dict,
    "error_examples": dict,
    "wall_s": NUMBER,
    "cpu_s": NUMBER,
    "cpu_us_per_request": OPTIONAL_NUMBER,
    "cpu_share": NUMBER,
    "requests_per_s": NUMBER,
    "goodput_per_s": OPTIONAL_NUMBER,
    "slo_met": (int, type(None)),
    "output_tokens": int,
    "output_tokens_per_s": NUMBER,
    "input_tokens": int,
    "input_tokens_per_s": NUMBER,
    "latency_s": (dict, type(None)),
    "ttft_s": (dict, type(None)),
    "itl_s": (dict, type(None)),
    "queued_s": (dict, type(None)),
    "tpot_s": (dict, type(None)),
    "cpu_bound": bool,
    # vLLM's names
    "duration": NUMBER,
    "completed": int,
    "total_input_tokens": int,
    "total_output_tokens": int,
    "request_throughput": NUMBER,
    "request_goodput": OPTIONAL_NUMBER,
    "output_throughput": NUMBER,
    "total_token_throughput": NUMBER,
    "max_concurrency": (int, type(None)),
    "request_rate": OPTIONAL_NUMBER,
    "burstiness": OPTIONAL_NUMBER,
    "ramp_up_strategy": (str, type(None)),
    "ramp_up_start_rps": OPTIONAL_NUMBER,
    "ramp_up_end_rps": OPTIONAL_NUMBER,
    **{
        f"{stat}_{metric}_ms": OPTIONAL_NUMBER
        for stat in ("mean", "median", "std", "p99")
        for metric in ("ttft", "tpot", "itl", "e2el")
    },
}
VLLM_RUN_FIELDS = set(list(RUN_FIELDS)[list(RUN_FIELDS).index("duration") :])
TOP_FIELDS = {
    "schema",
    "started_at",
    "argv",
    "versions",
    "platform",
    "target",
    "workload",
    "load",
    "rate_limit",
    "slo",
    "backend",
    "compare",
    "stopped",
    "runs",
    "comparisons",
}


COMPLETION = json.dumps(
    {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
).encode()


def _reply(status: int, body: bytes) -> bytes:
    """A whole response saying `Connection: close`, as RawServer closes each connection after its reply.

    Without it the client keeps the connection for its next request, and under
    load may send that before the server's close reaches it: a connection error
    the server never saw, one more request than a test counted.
    """
    head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    head += "Connection: close\r\n\r\n"
    return head.encode() + body


def _raw(server: RawServer) -> tuple[str, ...]:
    """Options for a run against `server`: one warm-up request, no retries."""
    return ("--base-url", server.url, "--max-retries", "0", "--warmup", "1")


def bench(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Run `python -m openai_actors bench ARGS --json FILE`; the finished process and the document ({} if none)."""
    out = tmp_path / "bench.json"
    to_json = [] if {"--json", "--result-filename", "--save-result"} & set(args) else ["--json", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "openai_actors", "bench", "--warmup", "2", *args, *to_json],
        capture_output=True,
        text=True,
        timeout=50,
    )
    document = json.loads(out.read_text()) if out.exists() else {}
    return done, document


def check_document(document: dict[str, Any]) -> None:
    """Every top-level section and every run figure is present, with the right type."""
    # A single run's vLLM-named figures are also at the top, where vLLM's result has them.
    assert TOP_FIELDS | (VLLM_RUN_FIELDS if len(document["runs"]) == 1 else set()) == set(document)
    assert "openai-actors-bench/1" == document["schema"]
    for run in document["runs"]:
        assert set(RUN_FIELDS) == set(run)
        for name, kind in RUN_FIELDS.items():
            assert isinstance(run[name], kind), f"{name}: {run[name]!r}"
        for name in ("latency_s", "ttft_s", "itl_s", "tpot_s", "queued_s"):
            if run[name] is not None:
                assert SUMMARY_KEYS == set(run[name])
                assert all(isinstance(value, NUMBER) for value in run[name].values())
        assert sum(run["errors"].values()) == run["failed"]
        assert run["requests"] == run["ok"] + run["failed"]


class TestBenchCommand:
    def test_fixed_concurrency(self, tmp_path: Path) -> None:
        """20 chat completions, 4 in flight: every one answered, its table printed, its figures in the JSON."""
        done, document = bench(tmp_path, "--requests", "20", "--concurrency", "4")
        assert 0 == done.returncode, done.stderr
        check_document(document)
        [run] = document["runs"]
        assert ("openai_actors", "asyncio", 4, 20, 20) == (
            run["client"],
            run["backend"],
            run["concurrency"],
            run["requests"],
            run["ok"],
        )
        assert run["latency_s"] is not None and run["queued_s"] is not None
        assert (None, None, None) == (run["ttft_s"], run["itl_s"], run["goodput_per_s"])
        assert run["output_tokens"] > 0
        assert "openai_actors/asyncio" in done.stdout
        assert "" == done.stderr  # no progress line: stderr is not a terminal

    def test_streaming_on_trio_with_slo(self, tmp_path: Path) -> None:
        """Streamed, on trio, with objectives: time to first token, inter-token gaps and goodput are there."""
        done, document = bench(
            tmp_path,
            *("--stream", "--max-tokens", "8", "--requests", "10", "--concurrency", "2", "--backend", "trio"),
            *("--slo-ms", "60000", "--slo-ttft-ms", "60000"),
        )
        assert 0 == done.returncode, done.stderr
        check_document(document)
        [run] = document["runs"]
        assert ("trio", 10, 10) == (run["backend"], run["ok"], run["slo_met"])
        assert 10 == run["ttft_s"]["count"]
        assert run["itl_s"]["count"] > 0
        assert 80 == run["output_tokens"]  # from the usage chunk: 8 tokens each

    def test_embeddings(self, tmp_path: Path) -> None:
        """Embeddings: input tokens counted from the usage, no output tokens."""
        done, document = bench(
            tmp_path, "--endpoint", "embeddings", "--requests", "10", "--prompt-tokens", "16"
        )
        assert 0 == done.returncode, done.stderr
        check_document(document)
        [run] = document["runs"]
        assert (10, 0, "text-embedding-3-small") == (
            run["ok"],
            run["output_tokens"],
            document["workload"]["model"],
        )
        assert run["input_tokens"] > 0

    def test_sweep_runs_once_per_concurrency(self, tmp_path: Path) -> None:
        """--sweep 1,2 gives one run (and one table row) per concurrency."""
        done, document = bench(tmp_path, "--sweep", "1,2", "--requests", "6")
        assert 0 == done.returncode, done.stderr
        check_document(document)
        assert [1, 2] == [run["concurrency"] for run in document["runs"]]
        assert ("sweep", [1, 2]) == (document["load"]["shape"], document["load"]["concurrency"])
        assert [line for line in done.stdout.splitlines() if line.startswith("2 in flight")]

    def test_poisson_arrivals_for_a_duration(self, tmp_path: Path) -> None:
        """--rate 50 --poisson --duration 0.5: requests start for half a second, then the run ends."""
        done, document = bench(tmp_path, "--rate", "50", "--poisson", "--seed", "3", "--duration", "0.5")
        assert 0 == done.returncode, done.stderr
        check_document(document)
        [run] = document["runs"]
        assert (None, 50.0) == (run["concurrency"], run["rate"])
        assert ("rate", True, 3, None, 0.5) == (
            document["load"]["shape"],
            document["load"]["poisson"],
            document["load"]["seed"],
            document["workload"]["requests"],
            document["workload"]["duration_s"],
        )
        assert run["requests"] > 0

    def test_through_the_rate_controller(self, tmp_path: Path) -> None:
        """--rpm and --max-in-flight run this client through RateLimit; the document says so."""
        done, document = bench(tmp_path, "--rpm", "6000", "--max-in-flight", "2", "--requests", "10")
        assert 0 == done.returncode, done.stderr
        check_document(document)
        assert {"requests_per_minute": 6000.0, "tokens_per_minute": None, "max_in_flight": 2} == document[
            "rate_limit"
        ]
        assert 10 == document["runs"][0]["ok"]

    def test_limits_learned_from_the_server_are_reported(self, tmp_path: Path) -> None:
        """A server announcing limits: the run says what this client paced itself to (none: null)."""
        with MockServer(record=False, rate_limit_requests=100_000, rate_limit_tokens=50_000_000) as server:
            args = ["--base-url", server.url, "--requests", "10", "--concurrency", "2"]
            if HAS_OPENAI:
                args += ["--compare", "openai"]
            done, document = bench(tmp_path, *args)
        assert 0 == done.returncode, done.stderr
        check_document(document)
        ours, *theirs = document["runs"]
        assert {"requests_per_minute": 100_000, "tokens_per_minute": 50_000_000} == ours["learned_limits"]
        assert [None] * len(theirs) == [run["learned_limits"] for run in theirs]
        if HAS_OPENAI:
            assert (
                "the server announced rate limits (100,000 requests/min, 50,000,000 tokens/min)"
                in done.stdout
            )

    def test_no_limits_announced_none_learned(self, tmp_path: Path) -> None:
        done, document = bench(tmp_path, "--requests", "5")
        assert 0 == done.returncode, done.stderr
        assert None is document["runs"][0]["learned_limits"]
        assert "announced rate limits" not in done.stdout

    @pytest.mark.skipif(not HAS_OPENAI, reason="the official openai package is not installed")
    def test_compare_with_the_official_client(self, tmp_path: Path) -> None:
        """--compare openai runs the official client after this one, with ratios; its queue time is n/a."""
        done, document = bench(tmp_path, "--compare", "openai", "--requests", "10", "--concurrency", "2")
        assert 0 == done.returncode, done.stderr
        check_document(document)
        assert ["openai_actors", "openai"] == [run["client"] for run in document["runs"]]
        assert None is document["runs"][1]["queued_s"]
        [comparison] = document["comparisons"]
        assert ("openai_actors", "openai", 2) == (
            comparison["baseline"],
            comparison["client"],
            comparison["concurrency"],
        )
        ratio_keys = {"requests_per_s", "goodput_per_s", "output_tokens_per_s", "input_tokens_per_s"}
        ratio_keys |= {"cpu_per_request"}
        ratio_keys |= {
            f"{f}_{s}"
            for f in ("latency", "ttft", "tpot", "itl")
            for s in ("mean", "p50", "p90", "p99", "p99_9")
        }
        assert ratio_keys == set(comparison["ratios"])
        assert isinstance(comparison["ratios"]["cpu_per_request"], float)
        assert None is comparison["ratios"]["ttft_p50"]  # not streamed
        assert "openai_actors ratio" in done.stdout

    def test_compare_without_the_official_package(self) -> None:
        """Without `openai` installed, --compare openai says so and exits non-zero before running anything."""
        code = (
            "import sys; sys.modules['openai'] = None\n"
            "from openai_actors.__main__ import main\n"
            "sys.exit(main(['bench', '--compare', 'openai']))\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
        assert 2 == done.returncode
        assert "needs the openai package" in done.stderr
        assert "pip install openai" in done.stderr

    def test_rate_with_a_concurrency_cap_and_burstiness(self, tmp_path: Path) -> None:
        """--request-rate with --max-concurrency and --burstiness: one run at that rate, capped, all answered."""
        done, document = bench(
            tmp_path,
            *("--request-rate", "200", "--max-concurrency", "2", "--burstiness", "0.5", "--seed", "4"),
            *("--num-prompts", "20", "--mock-latency", "0.01"),
        )
        assert 0 == done.returncode, done.stderr
        check_document(document)
        [run] = document["runs"]
        assert (2, 200.0, 20) == (run["concurrency"], run["rate"], run["ok"])
        load = document["load"]
        assert ("rate", [2], 0.5, 4) == (load["shape"], load["concurrency"], load["burstiness"], load["seed"])
        assert "200/s burstiness 0.5 max 2" in done.stdout

    def test_vllm_result_keys(self, tmp_path: Path) -> None:
        """The JSON has vLLM's keys (per run, and at the top for one run) for the metrics and percentiles asked."""
        done, document = bench(
            tmp_path,
            *("--stream", "--max-tokens", "8", "--num-prompts", "12", "--max-concurrency", "3"),
            *("--metric-percentiles", "50,99.9", "--percentile-metrics", "ttft,tpot"),
        )
        assert 0 == done.returncode, done.stderr
        [run] = document["runs"]
        expected = {
            f"{stat}_{metric}_ms"
            for stat in ("mean", "median", "std", "p50", "p99.9")
            for metric in ("ttft", "tpot")
        }
        assert expected <= set(run)
        assert not {key for key in run if key.endswith(("_itl_ms", "_e2el_ms", "p99_ttft_ms"))}
        assert all(isinstance(run[key], float) and run[key] >= 0 for key in expected)
        assert math.isclose(run["mean_ttft_ms"], run["ttft_s"]["mean"] * 1000)
        assert math.isclose(run["p50_tpot_ms"], run["tpot_s"]["p50"] * 1000)
        assert (12, 96, 3) == (run["completed"], run["total_output_tokens"], run["max_concurrency"])
        assert math.isclose(run["output_throughput"], run["output_tokens_per_s"])
        assert {key: run[key] for key in expected} == {key: document[key] for key in expected}
        assert "per output token" in done.stdout and "TPOT p50 ms" in done.stdout

    @pytest.mark.parametrize("backend", ["asyncio", "trio"])
    def test_random_input_and_output_lengths(self, tmp_path: Path, backend: str) -> None:
        """--random-input-len/--random-output-len/--random-range-ratio: each reply is as long as its max_tokens."""
        workload = Workload("chat", "gpt-4o-mini", 64, 16, stream=True, range_ratio=0.5, seed=9)
        sent = request_bodies(workload)[:12]
        done, document = bench(
            tmp_path,
            *(
                "--stream",
                "--random-input-len",
                "64",
                "--random-output-len",
                "16",
                "--random-range-ratio",
                "0.5",
            ),
            *(
                "--seed",
                "9",
                "--ignore-eos",
                "--num-prompts",
                "12",
                "--max-concurrency",
                "3",
                "--num-warmups",
                "0",
            ),
            *("--backend", backend),
        )
        assert 0 == done.returncode, done.stderr
        check_document(document)
        [run] = document["runs"]
        # The mock echoes the prompt (longer than any max_tokens drawn here), cut to max_tokens.
        assert sum(body["max_tokens"] for body in sent) == run["total_output_tokens"]
        assert len({body["max_tokens"] for body in sent}) > 1
        assert (0.5, True, 9) == tuple(
            document["workload"][k] for k in ("random_range_ratio", "ignore_eos", "seed")
        )
        assert "prompt ~64 tokens +-50%, max_tokens 16 +-50%, ignore_eos" in done.stdout

    def test_goodput_objectives_as_vllm_spells_them(self, tmp_path: Path) -> None:
        """--goodput ttft:MS tpot:MS e2el:MS: generous ones are met by every request, an impossible one by none."""
        common = ("--stream", "--max-tokens", "8", "--num-prompts", "6", "--max-concurrency", "2")
        done, document = bench(tmp_path, *common, "--goodput", "ttft:60000", "tpot:60000", "e2el:60000")
        assert 0 == done.returncode, done.stderr
        [run] = document["runs"]
        assert (6, 6) == (run["slo_met"], run["ok"])
        assert math.isclose(run["request_goodput"], run["request_throughput"])
        assert {"e2e_ms": 60000.0, "ttft_ms": 60000.0, "tpot_ms": 60000.0} == document["slo"]
        done, document = bench(tmp_path, *common, "--goodput", "tpot:0.000001")
        assert 0 == done.returncode, done.stderr
        [run] = document["runs"]
        assert (0, 0.0, 6) == (run["slo_met"], run["request_goodput"], run["ok"])

    def test_ramp_up(self, tmp_path: Path) -> None:
        """--ramp-up-strategy with start and end rates: one run, labelled with its ramp, every request answered."""
        done, document = bench(
            tmp_path,
            *("--ramp-up-strategy", "linear", "--ramp-up-start-rps", "100", "--ramp-up-end-rps", "400"),
            *("--num-prompts", "20", "--max-concurrency", "4"),
        )
        assert 0 == done.returncode, done.stderr
        check_document(document)
        [run] = document["runs"]
        assert ("linear", 100.0, 400.0, 400.0, 20) == tuple(
            run[key]
            for key in (
                "ramp_up_strategy",
                "ramp_up_start_rps",
                "ramp_up_end_rps",
                "request_rate",
                "completed",
            )
        )
        assert "100->400/s linear max 4" in done.stdout

    def test_prompts_file(self, tmp_path: Path) -> None:
        """--dataset-path with a ShareGPT file: the prompts are sent in turn (the mock's token count shows it)."""
        path = tmp_path / "sharegpt.json"
        conversations = [{"conversations": [{"from": "human", "value": "x" * 40 * n}]} for n in (1, 2, 3)]
        path.write_text(json.dumps(conversations))
        done, document = bench(
            tmp_path,
            *("--dataset-path", str(path), "--num-prompts", "6", "--num-warmups", "0", "--concurrency", "1"),
        )
        assert 0 == done.returncode, done.stderr
        check_document(document)
        [run] = document["runs"]
        # Each of the three prompts twice: the mock counts 4 characters a token, and echoes "echo: " + prompt.
        assert (2 * (10 + 20 + 30), 2 * (12 + 22 + 32)) == (run["input_tokens"], run["output_tokens"])
        assert (3, None) == (document["workload"]["prompts"], document["workload"]["prompt_tokens"])
        assert "3 prompts from a file" in done.stdout

    def test_sweep_plot(self, tmp_path: Path) -> None:
        """--sweep --plot FILE writes a PNG of the curve: a real PNG, 1200 x 500 pixels when streamed."""
        plot = tmp_path / "curve.png"
        done, document = bench(
            tmp_path,
            *("--stream", "--max-tokens", "4", "--sweep", "1,2", "--num-prompts", "10", "--plot", str(plot)),
        )
        assert 0 == done.returncode, done.stderr
        assert 2 == len(document["runs"])
        data = plot.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and b"IHDR" == data[12:16]
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert (1200, 500) == (width, height)

    def test_plot_without_matplotlib(self, tmp_path: Path) -> None:
        """Without matplotlib, --plot says what to install and exits 2 before running anything."""
        code = (
            "import sys; sys.modules['matplotlib'] = None\n"
            "from openai_actors.__main__ import main\n"
            f"sys.exit(main(['bench', '--sweep', '1,2', '--plot', {str(tmp_path / 'c.png')!r}]))\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
        assert 2 == done.returncode
        assert (
            "--plot needs matplotlib, which is not installed: pip install 'openai-actors[plot]'"
            in done.stderr
        )
        assert not (tmp_path / "c.png").exists()

    def test_vllm_spellings(self, tmp_path: Path) -> None:
        """vLLM's option names mean what ours do: prompts, concurrency, warm-ups, the result file."""
        out = tmp_path / "result.json"
        done, document = bench(
            tmp_path,
            *("--num-prompts", "12", "--max-concurrency", "3", "--num-warmups", "1"),
            *("--save-result", "--result-filename", str(out)),
        )
        assert 0 == done.returncode, done.stderr
        assert {} == document  # written where --result-filename says, not to the default
        document = json.loads(out.read_text())
        check_document(document)
        [run] = document["runs"]
        assert (3, 12, 12, 1) == (
            run["concurrency"],
            run["requests"],
            run["ok"],
            document["workload"]["warmup"],
        )

    def test_save_result_without_a_name_writes_a_dated_file(self, tmp_path: Path) -> None:
        """--save-result alone writes openai-actors-bench-<time>.json in the working directory."""
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "openai_actors",
                "bench",
                *("--num-prompts", "4", "--num-warmups", "0", "--save-result"),
            ],
            capture_output=True,
            text=True,
            timeout=50,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        assert 0 == done.returncode, done.stderr
        [path] = tmp_path.glob("openai-actors-bench-*.json")
        check_document(json.loads(path.read_text()))

    def test_infinite_request_rate_starts_every_request_at_once(self, tmp_path: Path) -> None:
        """--request-rate inf (vLLM's "all at once"): as many in flight as requests."""
        done, document = bench(tmp_path, "--request-rate", "inf", "--num-prompts", "8")
        assert 0 == done.returncode, done.stderr
        check_document(document)
        [run] = document["runs"]
        assert (8, 8) == (run["concurrency"], run["ok"])

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--concurrency", "0"], "must be at least 1"),
            (["--rate", "5", "--sweep", "1,2"], "not allowed with"),
            (["--poisson"], "--poisson needs --rate"),
            (["--request-rate", "inf"], "--rate inf needs --requests"),
            (["--request-rate", "inf", "--poisson", "--num-prompts", "3"], "--poisson needs a finite --rate"),
            (["--request-rate", "fast"], "expected a number, not 'fast'"),
            (["--endpoint", "embeddings", "--stream"], "--stream applies to --endpoint chat only"),
            (["--sweep", "1,x"], "expected a whole number"),
            (["--compare", "httpx"], "cannot compare with 'httpx'"),
            (["--slo-ttft-ms", "100"], "--slo-ttft-ms needs --stream"),
            (["--base-url", "http://127.0.0.1:1/v1", "--mock-latency", "1"], "apply to the mock server"),
            (["--json", "/nonexistent/dir/out.json"], "no directory /nonexistent/dir"),
            (["--json", "."], "--json .: is a directory"),
            (["--base-url", "notaurl"], "--base-url: base_url must be an http:// or https:// URL"),
            (["--prompt-tokens", "1000000000000"], "must be at most 1,000,000, not 1,000,000,000,000"),
            (["--concurrency", "1000000000000"], "must be at most 1,000,000"),
            (["--sweep", "2,8,2"], "each concurrency once: 2 repeated"),
            (
                ["--seed", "3"],
                "--seed applies to --poisson or --burstiness arrivals and --random-range-ratio only",
            ),
            (["--goodput", "tpot:100"], "--goodput ttft: and tpot: need --stream"),
            (["--goodput", "itl:100"], "expected ttft:MS, tpot:MS, e2el:MS; not 'itl:100'"),
            (["--goodput", "e2el:-1"], "must be more than 0"),
            (["--goodput", "e2el:5", "e2el:6"], "each of ttft, tpot, e2el once"),
            (["--goodput", "e2el:5", "--slo-ms", "6"], "same objective: give one"),
            (["--ramp-up-strategy", "linear"], "go together"),
            (
                [
                    "--ramp-up-strategy",
                    "linear",
                    "--ramp-up-start-rps",
                    "1",
                    "--ramp-up-end-rps",
                    "2",
                    "--rate",
                    "3",
                ],
                "replaces --rate",
            ),
            (
                [
                    *("--ramp-up-strategy", "linear", "--ramp-up-start-rps", "1", "--ramp-up-end-rps", "2"),
                    "--duration",
                    "3",
                ],
                "needs --requests",
            ),
            (
                ["--prompts", "/nonexistent/p.jsonl"],
                "--prompts /nonexistent/p.jsonl: No such file or directory",
            ),
            (["--prompts", "/dev/null"], "--prompts /dev/null: no prompts: the file is empty"),
            (["--plot", "x.png"], "--plot draws a sweep's curve: it needs --sweep"),
            (
                ["--sweep", "1,2", "--plot", "/nonexistent/dir/x.png"],
                "--plot /nonexistent/dir/x.png: no directory",
            ),
            (["--random-range-ratio", "1"], "must be at least 0 and less than 1, not 1"),
            (["--endpoint", "embeddings", "--ignore-eos"], "--ignore-eos applies to --endpoint chat only"),
            (["--concurrency", "2", "--sweep", "1,2"], "not allowed with argument --concurrency"),
            (["--burstiness", "2"], "--burstiness needs --rate"),
            (["--metric-percentiles", "0"], "a percentile is more than 0 and at most 100, not 0"),
            (["--metric-percentiles", "99,"], "expected percentages separated by commas"),
            (
                ["--percentile-metrics", "ttft,latency"],
                "no metric 'latency': choose from ttft, tpot, itl, e2el",
            ),
            (["--rate", "5", "--burstiness", "0"], "must be more than 0"),
            (["--rate", "5", "--burstiness", "2", "--poisson"], "--poisson is --burstiness 1"),
            (["--mock-chunk-delay", "0.01"], "--mock-chunk-delay applies to --stream only"),
        ],
    )
    def test_bad_arguments(self, tmp_path: Path, args: list[str], message: str) -> None:
        """A bad or contradictory option is an error saying which, with exit status 2, and nothing is run."""
        done, document = bench(tmp_path, *args)
        assert (2, {}) == (done.returncode, document)
        assert message in done.stderr

    @pytest.mark.parametrize("backend", ["asyncio", "trio"])
    def test_unreachable_target(self, tmp_path: Path, backend: str) -> None:
        """A server nobody listens on: a clear message naming the URL and the error, exit status 1."""
        done, _ = bench(
            tmp_path,
            *(
                "--base-url",
                "http://127.0.0.1:1/v1",
                "--max-retries",
                "0",
                "--requests",
                "3",
                "--backend",
                backend,
            ),
        )
        assert 1 == done.returncode
        assert "every warm-up request to http://127.0.0.1:1/v1 failed (APIConnectionError" in done.stderr

    def test_every_measured_request_failing_is_an_error(self, tmp_path: Path) -> None:
        """Without a warm-up to catch it, a run where every request failed is reported, then exit status 1."""
        done, document = bench(
            tmp_path,
            "--base-url",
            "http://127.0.0.1:1/v1",
            "--max-retries",
            "0",
            "--requests",
            "3",
            "--warmup",
            "0",
        )
        assert 1 == done.returncode
        check_document(document)
        assert {"APIConnectionError": 3} == document["runs"][0]["errors"]
        assert "every one of 3 requests failed" in done.stderr

    def test_no_more_in_flight_than_requests(self, tmp_path: Path) -> None:
        """A concurrency above the run's requests would be idle workers: the level is the number of requests."""
        done, document = bench(tmp_path, "--requests", "3", "--concurrency", "50")
        assert 0 == done.returncode, done.stderr
        [run] = document["runs"]
        assert (3, 3) == (run["concurrency"], run["ok"])
        assert "3 in flight" in done.stdout

    def test_a_refusing_server_is_not_called_down(self, tmp_path: Path, raw_server: RawServer) -> None:
        """Warm-up answered 401: the message names the error, without asking whether the server is up."""
        raw_server.replies = [_reply(401, b'{"error": {"message": "bad key"}}')] * 2
        done, _ = bench(tmp_path, *_raw(raw_server), "--requests", "2")
        assert 1 == done.returncode
        assert "failed (AuthenticationError" in done.stderr
        assert "is the server up" not in done.stderr

    def test_a_server_failing_half_the_time_does_not_stop_the_run(
        self, tmp_path: Path, raw_server: RawServer
    ) -> None:
        """Every other answer a 500 (after a good warm-up): the run goes on, counts both, and exits 0."""
        error = _reply(500, b'{"error": {"message": "try again"}}')
        raw_server.replies = [_reply(200, COMPLETION)] + [_reply(200, COMPLETION), error] * 5
        done, document = bench(tmp_path, *_raw(raw_server), "--num-prompts", "10", "--max-concurrency", "1")
        assert 0 == done.returncode, done.stderr
        check_document(document)
        [run] = document["runs"]
        assert (5, 5, {"InternalServerError": 5}, 5) == (
            run["ok"],
            run["failed"],
            run["errors"],
            run["completed"],
        )
        assert document["stopped"] is None

    def test_runs_measured_before_a_failed_warm_up_are_kept(
        self, tmp_path: Path, raw_server: RawServer
    ) -> None:
        """Level 2's warm-up all fails (500s): level 1's run is still printed and written, and why it stopped."""
        raw_server.replies = [_reply(200, COMPLETION)] * 4  # level 1: one warm-up, three measured; then 500s
        done, document = bench(tmp_path, *_raw(raw_server), "--sweep", "1,2", "--requests", "3")
        assert 1 == done.returncode
        check_document(document)
        [run] = document["runs"]
        assert (1, 3, True) == (run["concurrency"], run["ok"], run["complete"])
        assert "every warm-up request" in document["stopped"]
        assert "InternalServerError" in document["stopped"]
        assert "stopped early" in done.stdout
        assert "every warm-up request" in done.stderr

    @pytest.mark.parametrize("backend", ["asyncio", "trio"])
    @pytest.mark.usefixtures("sigint_reaches_children")
    def test_an_interrupted_run_keeps_what_it_measured(
        self, tmp_path: Path, raw_server: RawServer, backend: str
    ) -> None:
        """SIGINT during level 2: level 1 whole, level 2 as far as it got (marked), exit status 130."""
        raw_server.replies = [_reply(200, COMPLETION)] * 50
        out = tmp_path / "bench.json"
        command = [sys.executable, "-m", "openai_actors", "bench", *_raw(raw_server), "--backend", backend]
        command += ["--sweep", "1,2", "--requests", "3", "--json", str(out)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def interrupt(count: int) -> None:
            # Requests 1-4: level 1 (one warm-up, three measured); 5: level 2's warm-up;
            # 6 is measured and answered; the interruption comes as 7 arrives, and 7 is
            # answered only once the process has ended, so level 2 cannot end first.
            if count == 7:
                process.send_signal(signal.SIGINT)
                process.wait(timeout=50)

        raw_server.on_request = interrupt
        try:
            stdout, stderr = process.communicate(timeout=50)
        finally:
            process.kill()
        assert 130 == process.returncode, stderr
        document = json.loads(out.read_text())
        check_document(document)
        whole, cut = document["runs"]
        assert (1, 3, True) == (whole["concurrency"], whole["ok"], whole["complete"])
        assert (2, False) == (cut["concurrency"], cut["complete"])
        # Request 6, if its answer was read before the signal was; those cut off are not counted.
        assert cut["ok"] in (0, 1)
        assert cut["requests"] == cut["ok"]
        assert ("interrupted", []) == (document["stopped"], document["comparisons"])
        assert "(cut short)" in stdout
        assert "interrupted" in stderr

    @pytest.mark.parametrize("backend", ["asyncio", "trio"])
    def test_a_signal_before_the_first_await_is_caught(
        self, tmp_path: Path, raw_server: RawServer, monkeypatch: pytest.MonkeyPatch, backend: str
    ) -> None:
        """SIGTERM while a run is still setting up (importing a client, say): an interruption, not a traceback."""
        from openai_actors._bench import _runner
        from openai_actors._bench._cli import main

        real_open_driver = _runner.open_driver

        def open_driver(*args: Any) -> Any:
            os.kill(os.getpid(), signal.SIGTERM)  # delivered before the run's first await
            return real_open_driver(*args)

        monkeypatch.setattr(_runner, "open_driver", open_driver)
        before = signal.getsignal(signal.SIGTERM)
        status = main(
            [*_raw(raw_server), "--requests", "2", "--backend", backend, "--json", str(tmp_path / "o")]
        )
        assert 130 == status
        assert before is signal.getsignal(signal.SIGTERM)  # the handler from before is back

    def test_the_command_lists_bench_beside_mock_and_version(self) -> None:
        """`python -m openai_actors` names the bench command, and the others still work."""
        usage = subprocess.run(
            [sys.executable, "-m", "openai_actors", "--help"], capture_output=True, text=True, timeout=30
        )
        version = subprocess.run(
            [sys.executable, "-m", "openai_actors", "version"], capture_output=True, text=True, timeout=30
        )
        assert (0, 0) == (usage.returncode, version.returncode)
        assert ["bench", "mock", "version"] == [
            word for word in ("bench", "mock", "version") if f"\n  {word} " in usage.stdout
        ]
