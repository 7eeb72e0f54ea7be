"""From the command line to the app: read-only resolution, the demo factory, the config file, keymap checks."""

from __future__ import annotations

from pathlib import Path

from tui.app import known_binding_ids
from tui.cli import build_parser
from tui.launch import build_app, resolve_read_only


def _app(tmp_path: Path, *flags: str, config: str = ""):  # type: ignore[no-untyped-def]
    file = tmp_path / "config.toml"
    file.write_text(config)
    return build_app(build_parser().parse_args(["--config", str(file), *flags]))


def test_read_only_comes_from_the_flag_then_the_config(tmp_path: Path) -> None:
    from tui.config import load_config

    file = tmp_path / "c.toml"
    file.write_text("read_only = true\n")
    config = load_config(file)
    assert resolve_read_only(build_parser().parse_args([]), config) is True
    assert resolve_read_only(build_parser().parse_args(["--read-only"]), load_config(tmp_path / "none.toml")) is True
    assert resolve_read_only(build_parser().parse_args([]), load_config(tmp_path / "none.toml")) is False


def test_demo_flag_picks_the_demo_factory(tmp_path: Path) -> None:
    app = _app(tmp_path, "--demo", config='theme = "textual-light"\n')
    assert app.session_factory is app.demo_factory
    assert app.config.theme == "textual-light"
    other = _app(tmp_path)
    assert other.session_factory is not other.demo_factory and other.demo_factory is not None


def test_redact_flag_reaches_the_app(tmp_path: Path) -> None:
    assert _app(tmp_path, "--redact").redactor.enabled
    assert not _app(tmp_path).redactor.enabled


def test_every_documented_binding_id_is_known() -> None:
    ids = known_binding_ids()
    for binding_id in ("filter", "assign-role", "grant-app-role", "remove", "copy-id", "app-roles", "refresh"):
        assert binding_id in ids
    assert {"help", "quit", "back"} <= ids
