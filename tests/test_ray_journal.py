"""The Ray job's journal: line splitting and the index (sans-IO), then the directory of files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_actors._batch_lines import encode_line, error_record, response_record
from openai_actors._ray_journal import SUFFIX, Journal, JournalIndex, LineBuffer


def ok_line(custom_id: str, content: str = "x") -> bytes:
    return encode_line(response_record(f"batch_req_{custom_id}", custom_id, 200, "req_1", {"c": content}))


def failed_line(custom_id: str) -> bytes:
    return encode_line(response_record(f"batch_req_{custom_id}", custom_id, 500, "req_2", {"error": {}}))


class TestLineBuffer:
    @given(
        st.lists(st.binary(max_size=20).map(lambda b: b.replace(b"\n", b"") + b"\n"), max_size=8), st.data()
    )
    def test_any_split_gives_the_same_lines_and_offsets(
        self, lines: list[bytes], data: st.DataObject
    ) -> None:
        """However the file's bytes arrive, the complete lines come out once, with their offsets."""
        content = b"".join(lines)
        cuts = sorted(data.draw(st.lists(st.integers(0, len(content)), max_size=6)))
        buffer = LineBuffer()
        got: list[tuple[int, bytes]] = []
        previous = 0
        for cut in [*cuts, len(content)]:
            got += buffer.feed(content[previous:cut])
            previous = cut
        offsets = [sum(len(line) for line in lines[:i]) for i in range(len(lines))]
        assert list(zip(offsets, lines, strict=True)) == got

    def test_a_torn_last_line_is_held_back(self) -> None:
        """The incomplete end of a file (a writer killed mid-write) is not a line."""
        buffer = LineBuffer()
        assert [(0, b"a\n")] == buffer.feed(b'a\n{"custom_id": ')
        assert [] == buffer.feed(b'"r1"')


class TestJournalIndex:
    def test_an_answered_id_points_at_its_line(self) -> None:
        """add() indexes an output line under its custom_id; answered() says where it is."""
        index = JournalIndex()
        line = ok_line("r1")
        assert "r1" == index.add(index.file_number("a.jsonl"), 10, line)
        where = index.answered("r1")
        assert where is not None
        assert (0, 10, len(line), False) == (where.file, where.offset, where.length, where.failed)
        assert index.answered("r2") is None

    def test_lines_that_are_not_output_lines_are_ignored(self) -> None:
        """Garbage, a request line, or an error line without a custom_id answer nothing."""
        index = JournalIndex()
        for raw in (b"not json\n", b'{"custom_id": "r1", "method": "POST"}\n'):
            assert index.add(0, 0, raw) is None
        assert index.add(0, 0, encode_line(error_record("i", None, "invalid_json_line", "m", line=3))) is None
        assert 0 == len(index)

    def test_a_failure_counts_as_answered_unless_failures_are_retried(self) -> None:
        """As in the batch command: a failed line is an answer, unless retry_failed."""
        keep, retry = JournalIndex(), JournalIndex(retry_failed=True)
        for index in (keep, retry):
            index.add(0, 0, failed_line("r1"))
        assert keep.answered("r1") is not None
        assert retry.answered("r1") is None

    def test_a_success_wins_over_a_failure_in_either_order(self) -> None:
        """A failure sent again and answered: the success is the answer, whatever order they are read in."""
        for first, second in ((failed_line("r1"), ok_line("r1")), (ok_line("r1"), failed_line("r1"))):
            index = JournalIndex(retry_failed=True)
            index.add(0, 0, first)
            index.add(0, len(first), second)
            where = index.answered("r1")
            assert where is not None
            assert not where.failed

    def test_the_first_of_two_answers_is_kept(self) -> None:
        """Two successes for one id (sent twice by a worker killed before writing): one answer, the first."""
        index = JournalIndex()
        index.add(0, 0, ok_line("r1", "first"))
        index.add(1, 0, ok_line("r1", "second"))
        where = index.answered("r1")
        assert where is not None
        assert (0, 0) == (where.file, where.offset)


class TestJournal:
    def test_each_journal_writes_a_file_of_its_own(self, tmp_path: Path) -> None:
        """Two workers on one directory never share a file."""
        one, two = Journal(str(tmp_path)), Journal(str(tmp_path))
        try:
            assert one.name != two.name
            assert {one.name, two.name} == {p.name for p in tmp_path.iterdir()}
            assert str(os.getpid()) in one.name
        finally:
            one.close()
            two.close()

    def test_a_worker_sees_what_another_appended_and_reads_it_back(self, tmp_path: Path) -> None:
        """refresh() picks up another writer's new lines; answer() returns the line itself."""
        writer, reader = Journal(str(tmp_path)), Journal(str(tmp_path))
        try:
            writer.append(ok_line("r1"))
            assert reader.answer("r1") is None
            assert 1 == reader.refresh()
            assert ok_line("r1") == reader.answer("r1")
            writer.append(ok_line("r2"))
            assert 1 == reader.refresh()
            assert 0 == reader.refresh()
            assert ok_line("r2") == reader.answer("r2")
        finally:
            writer.close()
            reader.close()

    def test_its_own_lines_are_answered_without_a_refresh(self, tmp_path: Path) -> None:
        journal = Journal(str(tmp_path))
        try:
            journal.append(ok_line("r1"))
            journal.append(ok_line("r2"))
            assert ok_line("r2") == journal.answer("r2")
            assert 0 == journal.refresh()
        finally:
            journal.close()

    def test_a_dead_writers_torn_line_is_sent_again_and_the_rest_is_not(self, tmp_path: Path) -> None:
        """A file ending in half a line (SIGKILL mid-write): the whole lines answer, the torn one does not."""
        torn = ok_line("r2")
        (tmp_path / f"dead-1-00000000{SUFFIX}").write_bytes(ok_line("r1") + torn[: len(torn) // 2])
        journal = Journal(str(tmp_path))
        try:
            assert 1 == journal.refresh()
            assert ok_line("r1") == journal.answer("r1")
            assert journal.answer("r2") is None
        finally:
            journal.close()

    def test_other_files_in_the_directory_are_left_alone(self, tmp_path: Path) -> None:
        """Only *.jsonl files are journal files (a README or Ray's output beside them is not read)."""
        (tmp_path / "notes.txt").write_bytes(ok_line("r1"))
        (tmp_path / "sub.jsonl").mkdir()
        journal = Journal(str(tmp_path))
        try:
            assert 0 == journal.refresh()
        finally:
            journal.close()

    def test_lines_are_durable_after_sync_and_close(self, tmp_path: Path) -> None:
        journal = Journal(str(tmp_path))
        journal.append(ok_line("r1"))
        journal.sync()
        journal.close()
        lines = (tmp_path / journal.name).read_bytes().splitlines()
        assert ["r1"] == [json.loads(line)["custom_id"] for line in lines]

    def test_a_directory_that_cannot_be_made_is_an_error_naming_it(self, tmp_path: Path) -> None:
        blocker = tmp_path / "file"
        blocker.write_text("")
        with pytest.raises(OSError, match="file"):
            Journal(str(blocker / "journal"))
