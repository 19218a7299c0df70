"""`openai-actors batch --shared-limits URL --limits-key KEY`: runs sharing one limit, and the errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

from openai_actors._batch_cli import _resume_command
from openai_actors.mock import MockServer

from ._redis import RedisServer, redis_server_binary
from .test_batch_cli import answered_ids, command, run, write_input


class TestSharedLimitsOption:
    def test_two_runs_sharing_a_limit_keep_to_it_together(
        self, tmp_path: Path, redis_server: RedisServer, shared_key: str
    ) -> None:
        """Two batch commands at once, each given the whole limit: no 429, every line answered once."""
        with MockServer(rate_limit_requests=120, rate_limit_window=2.0) as server:
            runs = []
            for name in ("a", "b"):
                folder = tmp_path / name
                folder.mkdir()
                ids = write_input(folder / "in.jsonl", 120)
                options = (
                    "--rpm",
                    "120",
                    "--window",
                    "2",
                    "--shared-limits",
                    redis_server.url,
                    "--limits-key",
                    shared_key,
                )
                runs.append(
                    subprocess.Popen(
                        command(folder, server, *options),
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                )
            for process in runs:
                _, err = process.communicate(timeout=50)
                assert 0 == process.returncode, err
            assert 0 == server.rate_limited
        for name in ("a", "b"):
            assert {i: 1 for i in ids} == dict(answered_ids(tmp_path / name / "out.jsonl"))

    def test_shared_limits_without_a_key_or_with_a_bad_url_exit_2(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        write_input(tmp_path / "in.jsonl", 1)
        alone = run(tmp_path, server, "--shared-limits", "redis://127.0.0.1:1/0")
        assert (2, True) == (alone.returncode, "--limits-key" in alone.stderr)
        bad = run(tmp_path, server, "--shared-limits", "http://:hunter2@host/0", "--limits-key", "k")
        assert 2 == bad.returncode
        assert "redis://" in bad.stderr
        assert "hunter2" not in bad.stderr

    def test_a_refused_password_stops_the_run_with_one_clear_line(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """The lasting cause of the fast-fail rule: said once, exit 3, nothing sent, no password shown."""
        redis = RedisServer(redis_server_binary(), password="right-one")
        redis.start()
        try:
            write_input(tmp_path / "in.jsonl", 5)
            url = f"redis://:hunter2@127.0.0.1:{redis.port}/0"
            result = run(tmp_path, server, "--shared-limits", url, "--limits-key", "k", "--rpm", "100")
        finally:
            redis.stop()
        assert 3 == result.returncode, result.stderr
        assert "refused this client's credentials" in result.stderr
        assert "hunter2" not in result.stderr + result.stdout
        assert 0 == len(server.requests)

    def test_the_resume_command_hides_the_redis_password(self) -> None:
        shown = _resume_command(
            [
                "in",
                "out",
                "--shared-limits",
                "redis://u:hunter2@h:6379/0",
                "--limits-key",
                "k",
                "--api-key",
                "sk",
            ]
        )
        assert "hunter2" not in shown
        assert "redis://***@h:6379/0" in shown
        joined = _resume_command(["in", "out", "--shared-limits=redis://:hunter2@h/0"])
        assert "hunter2" not in joined
