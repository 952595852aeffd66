"""`rotation-bot demo` leaves only its charts, in one folder that every run reuses."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot.cli.main import app


def test_demo_reuses_one_folder_and_deletes_its_database(clean_env: Path) -> None:
    out = clean_env / "demo"
    (out / "charts").mkdir(parents=True)
    (out / "charts" / "from-an-earlier-run.png").write_bytes(b"old")
    (out / "demo.db").write_bytes(b"old")
    (out / "notes.txt").write_text("not the demo's")
    result = CliRunner().invoke(app, ["demo", "--months", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Charts written to {out / 'charts'}" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["charts", "notes.txt"]
    charts = sorted(p.name for p in (out / "charts").iterdir())
    assert {"rotation.png", "ticker_iwm.png", "quadrant.png"} <= set(charts)
    assert "from-an-earlier-run.png" not in charts
    assert all((out / "charts" / name).read_bytes().startswith(b"\x89PNG") for name in charts)
    assert list(clean_env.iterdir()) == [out]
