"""The Textual app: connects through a session factory, then shows the main screen.

The app never imports an Azure SDK, tui.azure or the entry points (import-linter forbids it): it receives an async
*session factory* — a callable returning one :class:`~tui.services.session.Session`, which closes everything it
opened in ``await session.close()`` — and calls it in a worker. ``tui.launch`` builds the factories from the
command line; tests pass their own.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import pkgutil
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui import runtime
from tui.config import Config
from tui.services.errors import MituiError, SignInRequired
from tui.widgets.safe_text import Redactor, clean

if TYPE_CHECKING:
    from tui.services.session import Session

SessionFactory = Callable[[], Awaitable["Session"]]


class MituiApp(App[int]):
    """mitui: managed identities, what they may do, and safe changes."""

    TITLE = "mitui"
    CSS_PATH = "mitui.tcss"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-narrow"), (150, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1,question_mark", "help", "Help", id="help", tooltip="Every key of this screen"),
        Binding("q", "quit", "Quit", id="quit", tooltip="Leave mitui"),
    ]

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        demo_factory: SessionFactory | None = None,
        config: Config | None = None,
        redact: bool = False,
    ) -> None:
        super().__init__()
        self.session_factory = session_factory
        self.demo_factory = demo_factory
        self.config = config or Config()
        self.redactor = Redactor(enabled=redact)
        self.session: Session | None = None
        self.connect_error: MituiError | None = None

    # --- start and stop ---------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        from tui.screens.connecting import ConnectingScreen

        if self.config.theme in self.available_themes:
            self.theme = self.config.theme
        else:
            self.say(f"Unknown theme {self.config.theme!r} in the config file; using {self.theme}.", "warning")
        if self.config.keymap:
            unknown = sorted(set(self.config.keymap) - known_binding_ids())
            if unknown:
                self.say(f"Config [keymap]: unknown binding id(s) {', '.join(unknown)} (F1 lists them).", "warning")
            self.set_keymap(self.config.keymap)
        for problem in self.config.problems:
            self.say(problem, "warning", timeout=12)
        self.push_screen(ConnectingScreen())
        # paint the first frame before signing in: the session factory imports and starts a lot (the demo
        # starts its sandbox tenant), which would otherwise hold the first frame back by ~0.4 s
        self.call_after_refresh(self.open_session, self.session_factory)

    @work(exclusive=True, group="connect", description="open_session")
    async def open_session(self, factory: SessionFactory) -> None:
        """Call the factory; on success show the main screen, on failure the no-credentials screen."""
        # the screens to come and the domain modules they share with the factory: in a thread, so that the loop
        # keeps drawing (imported on the loop they held it for 0.1-0.25 s); before the factory, which would
        # otherwise import the shared ones on the loop (or wait there for the thread's import lock)
        await runtime.warm_imports(SCREENS_AHEAD)
        from tui.screens.main.screen import MainScreen
        from tui.screens.no_credentials import NoCredentialsScreen

        try:
            session = await factory()
        except MituiError as exc:
            self.connect_error = exc
            self.switch_screen(NoCredentialsScreen(exc, demo_available=self.demo_factory is not None))
            return
        except Exception as exc:  # never a traceback: any other failure is a sign-in problem to explain
            error = MituiError("Could not connect", f"{type(exc).__name__}: {clean(exc)}")
            self.connect_error = error
            self.switch_screen(NoCredentialsScreen(error, demo_available=self.demo_factory is not None))
            return
        await self._close_session()
        self.session = session
        session.about_to_load()
        self.switch_screen(MainScreen(session))

    def open_demo(self) -> None:
        from tui.screens.connecting import ConnectingScreen

        if self.demo_factory is None:
            self.say("The demo is not available here.", "warning")
            return
        self.switch_screen(ConnectingScreen("Starting the sandbox tenant…"))
        self.open_session(self.demo_factory)

    def retry_connect(self) -> None:
        from tui.screens.connecting import ConnectingScreen

        self.switch_screen(ConnectingScreen())
        self.open_session(self.session_factory)

    async def _close_session(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            with contextlib.suppress(Exception):  # closing must not turn a clean exit into a traceback
                await session.close()

    async def on_unmount(self) -> None:
        await self._close_session()

    # --- shared helpers for screens ---------------------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        return True if self.session is None else bool(self.session.read_only)

    def say(self, message: str, severity: str = "information", *, title: str = "", timeout: float = 5) -> None:
        """A notification whose text is shown literally (it may carry names from Azure)."""
        self.notify(clean(message), title=clean(title), severity=severity, timeout=timeout, markup=False)  # type: ignore[arg-type]

    def show_error(self, error: BaseException, title: str | None = None) -> None:
        """An error dialog with what went wrong and what to do. Never a traceback."""
        from tui.screens.error import ErrorScreen

        if not isinstance(error, MituiError):
            error = MituiError(title or "Unexpected error", f"{type(error).__name__}: {clean(error)}")
        self.push_screen(ErrorScreen(error))

    # --- actions ----------------------------------------------------------------------------------------------
    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every key of the current screen is also a command in the palette (ctrl+p)."""
        seen: set[str] = set()
        for binding_key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.description or binding.action in seen or not active.enabled:
                continue
            seen.add(binding.action)
            node = active.node

            def run(action: str = binding.action, node: Any = node) -> None:
                self.call_later(self.run_action, action, node)

            key = self.get_key_display(binding) or binding_key
            yield SystemCommand(binding.description, f"{binding.tooltip or binding.description} (key: {key})", run)
        yield from super().get_system_commands(screen)


# the screens to come and the service modules the main screen uses when first used: imported on the event loop, a
# first filter or details pane would wait for them
SCREENS_AHEAD = (
    "tui.screens.main.screen",
    "tui.screens.no_credentials",
    "tui.services.filtering",
    "tui.services.snippets",
)


def known_binding_ids() -> set[str]:
    """Every binding id a user may remap in the config file's [keymap]: the app's and those of every screen defined
    in the tui.screens package."""
    return binding_ids(MituiApp, *screen_classes("tui.screens"))


def screen_classes(package: str) -> list[type[Screen[Any]]]:
    """Every Screen (ModalScreen included) defined in the modules of ``package``, its subpackages' too."""
    root = importlib.import_module(package)
    modules = [root] + [
        importlib.import_module(info.name) for info in pkgutil.walk_packages(root.__path__, f"{package}.")
    ]
    return [
        cls
        for module in modules
        for cls in vars(module).values()
        if inspect.isclass(cls) and issubclass(cls, Screen) and cls.__module__ == module.__name__
    ]


def binding_ids(*classes: type[Any]) -> set[str]:
    return {b.id for cls in classes for b in cls.BINDINGS if isinstance(b, Binding) and b.id}


__all__ = ["MituiApp", "SessionFactory", "SignInRequired"]
