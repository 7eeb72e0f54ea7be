"""Textual's Footer, rebuilt only when the keys it shows change."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    """Textual's :class:`Footer` recomposes itself on every bindings signal of its screen: each focus change, each
    screen stack change, each ``refresh_bindings``. A recompose mounts a new widget per key (styles, a layout), and
    while the screen loads it came several times a second, mostly with the very same keys; its full-width line also
    made the frame it landed in repaint the whole screen. This one recomposes only when what it would show differs
    from what it shows."""

    def __init__(self, *children: Any, **kwargs: Any) -> None:
        super().__init__(*children, **kwargs)
        self._shown: tuple[Any, ...] | None = None  # what the last compose showed (see _keys)
        self._recompose_pending = False  # a recompose is on its way (it reads the bindings when it runs)

    def _keys(self) -> tuple[Any, ...]:
        """Everything of the screen's bindings that the footer's compose reads."""
        app = self.app
        active = self.screen.active_bindings
        keys = tuple(
            (
                binding.key,
                app.get_key_display(binding),
                binding.description,
                binding.action,
                binding.group,
                enabled,
                tip,
            )
            for (_, binding, enabled, tip) in active.values()
            if binding.show
        )
        palette = active.get(app.COMMAND_PALETTE_BINDING)
        if palette is not None:
            _, binding, enabled, tip = palette
            keys += ((binding.key, app.get_key_display(binding), binding.description, enabled, tip),)
        return (keys, self.compact, self.show_command_palette, app.ENABLE_COMMAND_PALETTE)

    def compose(self) -> ComposeResult:
        self._recompose_pending = False
        # the keys from the start, in the screen's first frame (Textual's footer is empty until the first signal,
        # then recomposes, at a moment when its full-width line widens some other repaint to the whole screen)
        self._bindings_ready = True
        self._shown = self._keys()
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        mine = self.is_attached and screen is self.screen
        if mine and (self._recompose_pending or (self._shown is not None and self._keys() == self._shown)):
            self._bindings_ready = True
            return
        super().bindings_changed(screen)
        if mine and screen.app.app_focus:
            self._recompose_pending = True
