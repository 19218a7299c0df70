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

# the README's main job: a benchmark against the bundled mock server
quickstart:
    openai-actors bench

# serve the mock server in the foreground
mock port="8000":
    python -m openai_actors.mock --port {{port}}

# client CPU per request against httpx (and the official SDK if installed)
bench-cpu kinds="actors,httpx":
    python bench/client_cpu.py --kinds {{kinds}}

# import time, client construction, memory with 10,000 requests pending
bench-footprint:
    python bench/footprint.py

# regenerate the API surface from codegen/spec (commit the result)
generate:
    python -m codegen

# fail if the committed generated files differ from the generator's output
generate-check:
    python -m codegen --check

# tests/respx_suite against the official openai 2.x, in a virtualenv of its own
# (the project's own run swaps its imports for openai_actors: `pytest tests/respx_suite`)
respx-suite-official venv="/tmp/venv-oa2":
    python3 -m venv {{venv}}
    {{venv}}/bin/pip install -q "openai>=2,<3" respx pytest anyio trio pytest-timeout
    {{venv}}/bin/python -m pytest tests/respx_suite --confcutdir=tests/respx_suite -q
