"""A one-line search box whose keystrokes repaint it without a layout of the whole screen.

Textual's ``Input`` sets its ``virtual_size`` (the text's width, which bounds its horizontal scroll) on every
change, and ``Widget.virtual_size`` is a reactive with ``layout=True``: each keystroke then costs a reflow of
every widget on the screen (10–30 ms with the main screen's panes), more than repainting the filtered table.
The box has a fixed height and its width comes from its container, so its virtual size never changes its own
size or anyone else's: a repaint is enough.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class FilterInput(Input):
    """An ``Input`` for filter boxes (fixed height, width from the container): typing repaints, never relayouts."""

    virtual_size = Reactive(Size(0, 0), layout=False)


__all__ = ["FilterInput"]
