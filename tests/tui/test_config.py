"""The config file: defaults when missing, every setting read, a broken file never stops mitui."""

from __future__ import annotations

from pathlib import Path

from tui.config import DEFAULT_THEME, default_config_path, load_config


def test_default_location_is_the_xdg_config_dir(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_config_path() == tmp_path / "mitui" / "config.toml"


def test_missing_default_file_gives_defaults_quietly(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    config = load_config()
    assert config.theme == DEFAULT_THEME and config.read_only is False and config.keymap == {}
    assert config.problems == []


def test_settings_are_read(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text('theme = "textual-light"\nread_only = true\n[keymap]\nassign-role = "ctrl+a"\n')
    config = load_config(file)
    assert (config.theme, config.read_only, config.keymap) == ("textual-light", True, {"assign-role": "ctrl+a"})
    assert config.problems == []


def test_broken_toml_gives_defaults_and_says_so(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text("theme = [unclosed\n")
    config = load_config(file)
    assert config.theme == DEFAULT_THEME and config.keymap == {}
    assert len(config.problems) == 1 and "not valid TOML" in config.problems[0]


def test_wrong_types_fall_back_one_setting_at_a_time(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text('theme = 3\nread_only = "yes"\ncolour = "red"\n[keymap]\nquit = 5\nhelp = "f2"\n')
    config = load_config(file)
    assert config.theme == DEFAULT_THEME and config.read_only is False
    assert config.keymap == {"help": "f2"}
    assert len(config.problems) == 4


def test_unreadable_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_bytes(b"\xff\xfe theme")
    assert load_config(file).problems
    assert load_config(tmp_path / "missing.toml").problems  # an explicit --config that is missing is said


def test_source_from_the_flag_else_the_config(tmp_path: Path) -> None:
    from tui.cli import build_parser
    from tui.launch import connect_options

    file = tmp_path / "config.toml"
    file.write_text('source = "resource-graph"\n', encoding="utf-8")
    assert load_config(file).source == "resource-graph"
    parser = build_parser()
    assert connect_options(parser.parse_args(["--config", str(file)]), False).source == "resource-graph"
    assert connect_options(parser.parse_args(["--config", str(file), "--source", "arm"]), False).source == "arm"
    file.write_text('source = "graph"\n', encoding="utf-8")
    config = load_config(file)
    assert config.source == "auto" and any("'source'" in p for p in config.problems)
