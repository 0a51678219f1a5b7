"""The suite's rules hold here too: under CI a skipped test fails."""

from tests.conftest import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401
