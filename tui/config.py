"""The user's settings: a small TOML file in the XDG config dir (``~/.config/mitui/config.toml`` on Linux).

```toml
theme = "textual-dark"        # any Textual theme name
read_only = false             # start in read-only mode unless --read-only / a write is wanted
idle_days = 90                # usage: no sign-in and no Azure operation in this many days is idle

[keymap]                      # binding id = key(s); see the help screen (F1) for the ids
assign-role = "ctrl+a"
grant-app-role = "G"
```

A file that is missing is fine (defaults). A file that is broken (bad TOML, wrong types, unknown keys) never
stops mitui: the good parts are used, the rest falls back to the defaults, and the problems are listed so the
app can say so in a notification.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

APP_NAME = "mitui"
DEFAULT_THEME = "textual-dark"
_KNOWN = {"theme", "read_only", "idle_days", "keymap", "source"}
DEFAULT_IDLE_DAYS = 90
SOURCES = ("auto", "arm", "resource-graph")


@dataclass
class Config:
    theme: str = DEFAULT_THEME
    read_only: bool = False
    idle_days: int = DEFAULT_IDLE_DAYS
    keymap: dict[str, str] = field(default_factory=dict)
    source: str = "auto"  # how the inventory reads the subscriptions (tui.services.inventory_graph)
    path: Path | None = None
    problems: list[str] = field(default_factory=list)


def default_config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / "config.toml"


def load_config(path: str | Path | None = None) -> Config:
    """Read the config file at ``path`` (default: the XDG location). Never raises for a bad file."""
    file = Path(path) if path else default_config_path()
    config = Config(path=file)
    try:
        raw = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        if path:
            config.problems.append(f"Config file {file} not found; using defaults.")
        return config
    except (OSError, UnicodeDecodeError) as exc:
        config.problems.append(f"Cannot read config file {file}: {exc.__class__.__name__}; using defaults.")
        return config
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        config.problems.append(f"Config file {file} is not valid TOML ({exc}); using defaults.")
        return config

    for key in sorted(set(data) - _KNOWN):
        config.problems.append(f"Config: unknown setting {key!r} ignored.")
    theme = data.get("theme", DEFAULT_THEME)
    if isinstance(theme, str) and theme.strip():
        config.theme = theme.strip()
    else:
        config.problems.append("Config: 'theme' must be a theme name (text); using the default theme.")
    read_only = data.get("read_only", False)
    if isinstance(read_only, bool):
        config.read_only = read_only
    else:
        config.problems.append("Config: 'read_only' must be true or false; using false.")
    source = data.get("source", "auto")
    if source in SOURCES:
        config.source = source
    else:
        config.problems.append(f"Config: 'source' must be one of {', '.join(SOURCES)}; using auto.")
    idle_days = data.get("idle_days", DEFAULT_IDLE_DAYS)
    if isinstance(idle_days, int) and not isinstance(idle_days, bool) and 1 <= idle_days <= 3650:
        config.idle_days = idle_days
    else:
        config.problems.append(f"Config: 'idle_days' must be a number of days (1-3650); using {DEFAULT_IDLE_DAYS}.")
    keymap = data.get("keymap", {})
    if isinstance(keymap, dict):
        for binding_id, keys in keymap.items():
            if isinstance(keys, str) and keys.strip():
                config.keymap[str(binding_id)] = keys.strip()
            else:
                config.problems.append(f'Config: keymap entry {binding_id!r} must be a key such as "ctrl+a".')
    else:
        config.problems.append('Config: [keymap] must be a table of binding-id = "key".')
    return config
