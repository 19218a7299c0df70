# Developer shortcuts; CI runs .ci/run.

# install the package with its test and lint tools, editable
install:
    python3 -m pip install -e ".[dev]"

# the test suite (asyncio and trio)
test *args:
    pytest {{args}}

# ruff and the strict type check
lint:
    ruff check openai_actors tests bench examples
    ruff format --check openai_actors tests bench examples
    mypy

# everything CI runs, in a fresh virtualenv
ci:
    bash .ci/run

# the quickstart against the bundled mock server
quickstart:
    python examples/quickstart.py

# serve the mock server in the foreground
mock port="8000":
    python -m openai_actors.mock --port {{port}}

# client CPU per request against httpx (and the official SDK if installed)
bench-cpu kinds="actors,httpx":
    python bench/client_cpu.py --kinds {{kinds}}
