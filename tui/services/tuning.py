"""Where process tuning plugs into the service layer, which never imports it (tui.runtime installs it).

Two hooks, each a context manager factory, doing nothing until installed:

* ``around_load()`` is entered for the whole of an inventory load (tui.services.inventory);
* ``around_cpu_work()`` is entered around each piece of CPU work in the worker thread (tui.services.offload).

Call them through this module (``tuning.around_load()``), so that an install reaches every caller.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager

Hook = Callable[[], AbstractContextManager[None]]

around_load: Hook = contextlib.nullcontext
around_cpu_work: Hook = contextlib.nullcontext


def install(*, around_load: Hook | None = None, around_cpu_work: Hook | None = None) -> None:
    """Set the hooks given (None leaves a hook as it is)."""
    given = {"around_load": around_load, "around_cpu_work": around_cpu_work}
    globals().update({name: hook for name, hook in given.items() if hook is not None})
