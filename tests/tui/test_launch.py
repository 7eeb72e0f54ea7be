"""From the command line to the app: flags on either side of the subcommand, read-only resolution, the demo
factory, the config file, keymap checks."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tui
from tui.app import binding_ids, known_binding_ids, screen_classes
from tui.cli import parse_args
from tui.launch import build_app, connect_options, resolve_read_only, session_factory

ROOT = Path(__file__).resolve().parents[2]


def _app(tmp_path: Path, *flags: str, config: str = ""):  # type: ignore[no-untyped-def]
    file = tmp_path / "config.toml"
    file.write_text(config)
    return build_app(parse_args(["--config", str(file), *flags]))


@pytest.mark.parametrize(
    "argv",
    [
        ["--tenant", "T", "--cloud", "usgov", "--credential", "cli", "--ca-file", "ca.pem", "inventory"],
        ["inventory", "--tenant", "T", "--cloud", "usgov", "--credential", "cli", "--ca-file", "ca.pem"],
        ["--tenant", "T", "--credential", "cli", "inventory", "--cloud", "usgov", "--ca-file", "ca.pem"],
        [
            "--tenant",
            "other",
            "--cloud",
            "china",
            "inventory",
            "--tenant",
            "T",
            "--cloud",
            "usgov",
            "--credential",
            "cli",
            "--ca-file",
            "ca.pem",
        ],  # fmt: skip  # written on both sides: the later one wins
    ],
)
def test_connection_flags_work_before_and_after_the_subcommand(argv: list[str]) -> None:
    args = parse_args(argv)
    assert args.command == "inventory"
    options = connect_options(args, read_only=True)  # what the command signs in with
    assert (options.tenant, options.cloud, options.credential, options.ca_file) == ("T", "usgov", "cli", "ca.pem")
    assert options.arm_endpoint is None and options.read_only


def test_connection_flags_keep_their_defaults_when_not_given() -> None:
    for argv in (["inventory"], []):
        options = connect_options(parse_args(argv), read_only=False)
        assert (options.tenant, options.cloud, options.credential, options.arm_endpoint) == (
            None,
            None,
            "default",
            None,
        )
        assert parse_args(argv).demo is False


@pytest.mark.parametrize("argv", [["--demo", "inventory"], ["inventory", "--demo"]])
async def test_demo_flag_opens_the_sandbox_tenant_for_every_command(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):  # the sandbox tenant's files: here
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    args = parse_args(argv)
    assert args.demo is True and args.command == "inventory"
    session = await session_factory(args, read_only=True)()  # what `mitui inventory` is given
    try:
        assert session.demo and session.read_only and session.cloud_name == "MituiSandbox"
    finally:
        await session.close()
    assert parse_args(["inventory"]).demo is False


def test_cloud_and_endpoint_on_two_sides_are_refused_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--cloud", "usgov", "inventory", "--arm-endpoint", "https://x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "mitui: error: argument --arm-endpoint: not allowed with argument --cloud"
    ]


def test_help_says_where_flags_go() -> None:
    for argv in (["--help"], ["inventory", "--help"]):
        result = subprocess.run(
            [sys.executable, "-m", "tui.cli", *argv], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0
        assert "the later one wins" in " ".join(result.stdout.split())


def test_read_only_comes_from_the_flag_then_the_config(tmp_path: Path) -> None:
    from tui.config import load_config

    file = tmp_path / "c.toml"
    file.write_text("read_only = true\n")
    config = load_config(file)
    assert resolve_read_only(parse_args([]), config) is True
    assert resolve_read_only(parse_args(["--read-only"]), load_config(tmp_path / "none.toml")) is True
    assert resolve_read_only(parse_args([]), load_config(tmp_path / "none.toml")) is False


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


def _screen_classes_in(path: Path) -> set[str]:
    """Names of the classes in a module's source whose bases name a Screen (read from the text, not imported)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.ClassDef) and any("Screen" in ast.unparse(base) for base in node.bases)
    }


def test_every_screen_module_is_covered() -> None:
    found = {(cls.__module__, cls.__name__) for cls in screen_classes("tui.screens")}
    package = ROOT / "tui" / "screens"
    for path in sorted(package.rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for name in _screen_classes_in(path):
            assert (module, name) in found, f"{module}.{name} is not walked"
    assert binding_ids(*screen_classes("tui.screens")) <= known_binding_ids()


def test_a_new_screen_brings_its_binding_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "more_screens"
    (package / "deep").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "deep" / "__init__.py").write_text("")
    (package / "deep" / "report.py").write_text(
        textwrap.dedent(
            """
            from textual.binding import Binding
            from textual.screen import ModalScreen, Screen

            class ReportScreen(Screen[None]):
                BINDINGS = [Binding("x", "export", "Export", id="export-report")]

            class AskScreen(ModalScreen[bool]):
                BINDINGS = [Binding("y", "yes", "Yes", id="ask-yes")]

            class NotAScreen:
                BINDINGS = [Binding("z", "zap", "Zap", id="not-a-screen")]
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    classes = screen_classes("more_screens")
    assert {cls.__name__ for cls in classes} == {"ReportScreen", "AskScreen"}
    assert binding_ids(*classes) == {"export-report", "ask-yes"}


def test_version_is_printed_and_in_the_help() -> None:
    def run(*argv: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "tui.cli", *argv], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return " ".join(result.stdout.split())

    assert run("--version") == f"mitui {tui.version()}"
    assert f"This is mitui {tui.version()}." in run("--help")
