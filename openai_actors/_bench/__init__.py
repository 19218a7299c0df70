"""`openai-actors bench`: throughput and latency of an OpenAI-compatible endpoint, and the client's own cost.

    openai-actors bench --requests 3000 --concurrency 256 --compare openai

Layout, one job per module:

- `_cli.py`: the options, checked, turned into a `Plan`; `main`
- `_plan.py`: the frozen settings of one invocation (`Plan`, `Target`, `Level`, `Slo`)
- `_workload.py`: the request bodies (pure)
- `_load.py`: load shapes (fixed concurrency, arrivals at a rate) driving one request function
- `_drivers.py`: this client and the official one behind one interface, each request a `Record`
- `_record.py`: `Record`, what one request leaves behind
- `_runner.py`: warm up, measure, repeat per level and per client; a run's parts merged into one
- `_processes.py`: `--processes N`, a run measured by N client processes together
- `_stats.py`: percentiles, summaries, figures and ratios (pure)
- `_report.py`: the terminal table and the JSON document
- `_server.py`: the mock server in its own process
- `_progress.py`: the live progress line
"""

from ._cli import main

__all__ = ["main"]
