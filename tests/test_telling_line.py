"""A failing command's reason ends with the line of its output that says why: the exception a
Python traceback ends with, or the last line that reads as an error in a tool's own words."""

from __future__ import annotations

import pytest

from smoke_tests.blocks import telling_line

DJANGO_MIGRATE = [
    "Operations to perform:",
    "  Apply all migrations: pages",
    "Traceback (most recent call last):",
    '  File "/p/manage.py", line 22, in <module>',
    "    main()",
    "sqlite3.OperationalError: no such table: pages_greeting",
    "",
    "The above exception was the direct cause of the following exception:",
    "",
    "Traceback (most recent call last):",
    '  File "/p/manage.py", line 22, in <module>',
    "django.db.utils.OperationalError: no such table: pages_greeting",
]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            DJANGO_MIGRATE,
            "django.db.utils.OperationalError: no such table: pages_greeting "
            "(chained from sqlite3.OperationalError: no such table: pages_greeting)",
        ),
        (
            [
                "Resolved 3 packages",
                "  \N{MULTIPLICATION SIGN} No solution found when resolving dependencies:",
                "  ╰─▶ Because nope was not found in the package registry",
                "      and more",
            ],
            "\N{MULTIPLICATION SIGN} No solution found when resolving dependencies: "
            "╰─▶ Because nope was not found in the package registry",
        ),
        (
            ["Collecting x", "ERROR: Could not find a version that satisfies x"],
            "ERROR: Could not find a version that satisfies x",
        ),
        (
            ["CommandError: App 'x' could not be found."],
            "CommandError: App 'x' could not be found.",
        ),
        (["migrating", "no such table"], None),
        ([], None),
        (
            [
                "error: No solution found when resolving dependencies",
                "  cause: Because nope was not found",
                "         And because only a==0 is available",
            ],
            "error: No solution found when resolving dependencies cause: Because nope was not found",
        ),
    ],
)
def test_the_telling_line_of_a_failed_command(lines: list[str], expected: str | None) -> None:
    assert telling_line(lines) == expected


def test_a_traceback_outweighs_a_later_error_word() -> None:
    lines = ["Traceback (most recent call last):", '  File "a"', "KeyError: 'x'", "error: exit 1"]
    assert telling_line(lines) == "KeyError: 'x'"
