from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from landrelease.cli import app


def test_demo_creates_and_shows_a_register(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["demo", "--areas", "80"])
    assert result.exit_code == 0, result.output
    assert "80 hazard areas" in result.output
    assert "minefield_record" in result.output
    again = runner.invoke(app, ["demo", "--areas", "80"])
    assert again.exit_code == 0
    assert "already holds data" in again.output
    assert "80 hazard areas" in again.output  # nothing was added twice
