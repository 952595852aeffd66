"""`--help` of every subcommand: flags shown as flags, values named by what they hold."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli.main import app

runner = CliRunner()

SUBCOMMANDS = [
    [],
    ["ask"],
    ["console"],
    ["run"],
    ["daily"],
    ["replay"],
    ["demo"],
    ["export"],
    ["prices"],
    ["prices", "update"],
    ["prices", "show"],
]


@pytest.mark.parametrize("words", SUBCOMMANDS, ids=lambda w: " ".join(w) or "root")
def test_help_shows_no_type_placeholders_on_flags(words: list[str]) -> None:
    result = runner.invoke(app, [*words, "--help"])
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert "--help  " in result.output or "--help\n" in result.output
    for line in result.output.splitlines():
        if line.strip().startswith(("--asof", "--start", "--end")):
            assert " DATE " in line, line


def test_replay_flags_take_no_value() -> None:
    result = runner.invoke(app, ["replay", "--help"])
    lines = {line.split()[0]: line for line in result.output.splitlines() if "--" in line}
    assert lines["--dry-run"].split()[1] == "Queue"
    assert lines["--verbose"].split()[1] == "Print"
