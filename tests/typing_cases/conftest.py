"""The scripts here are only type-checked (tests/test_typing.py runs mypy over them); never collected."""

collect_ignore_glob = ["*.py"]
