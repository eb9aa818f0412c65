"""A quick seeded fuzz run over every parser (the long run is benchmarks/fuzz_parsers.py)."""

from __future__ import annotations

from tests.fuzzing import FAILURES, fuzz

CASES_PER_PARSER = 300


def test_mutated_files_are_refused_by_name_or_read_sensibly() -> None:
    report = fuzz(CASES_PER_PARSER, seed=25)
    assert report.failures() == 0, report.table()
    for parser, counter in report.counts.items():
        assert sum(counter.values()) == CASES_PER_PARSER, parser
        # A fuzzer whose every case is refused (or accepted) would not be exploring the parser.
        assert counter["refused"] > 0 and counter["accepted"] > 0, (parser, counter)
        assert not any(counter[f] for f in FAILURES)
