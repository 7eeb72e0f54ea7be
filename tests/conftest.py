"""Shared fixtures: the sandbox tenant, served over real HTTPS for the real SDK clients.

* ``demo_emulator`` (session): the built-in demo tenant. Read-only by convention: tests must not change it.
* ``emulator_factory`` (function): ``emulator_factory(tenant="demo", **Emulator kwargs)`` starts a fresh
  emulator (its own state dir under ``tmp_path``); every one is stopped at teardown. Use it for writes,
  faults, latency or another caller.
* ``arm_kwargs`` (fixture): ``arm_kwargs(emulator)`` gives the keyword arguments that point an azure-mgmt
  client at an emulator (``base_url`` + ``connection_verify`` = the generated CA only).
* ``managed_identity_env``: ``managed_identity_env(emulator)`` sets ``IDENTITY_ENDPOINT`` / ``IDENTITY_HEADER``
  (App Service style) for ``azure.identity.aio.ManagedIdentityCredential`` / ``DefaultAzureCredential`` and
  clears the variables that would make them pick another source.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tui.azure.connect import ConnectOptions, connect
from tui.emulator.server import Emulator
from tui.services.session import Session

_OTHER_CREDENTIAL_VARS = (
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_USERNAME",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
)


@pytest.fixture(scope="session")
def demo_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with Emulator("demo", state_dir=tmp_path_factory.mktemp("emulator-demo")) as emulator:
        yield emulator


@pytest.fixture
def emulator_factory(tmp_path: Path) -> Iterator[Callable[..., Emulator]]:
    started: list[Emulator] = []

    def start(tenant: Any = "demo", **kwargs: Any) -> Emulator:
        kwargs.setdefault("state_dir", tmp_path / f"emulator-{len(started)}")
        emulator = Emulator(tenant, **kwargs).start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


def sdk_kwargs(emulator: Emulator) -> dict[str, Any]:
    """Point an azure-mgmt client at ``emulator``, trusting only its generated CA."""
    return {"base_url": emulator.connection.arm, "connection_verify": emulator.connection.ca_file}


@pytest.fixture
def arm_kwargs() -> Callable[[Emulator], dict[str, Any]]:
    """``arm_kwargs(emulator)`` → ``{"base_url": ..., "connection_verify": <its CA file>}`` for azure-mgmt clients."""
    return sdk_kwargs


@pytest.fixture
def managed_identity_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[Emulator], None]:
    def point_at(emulator: Emulator) -> None:
        for name in _OTHER_CREDENTIAL_VARS:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("IDENTITY_ENDPOINT", emulator.connection.identity_endpoint)
        monkeypatch.setenv("IDENTITY_HEADER", emulator.connection.identity_header)

    return point_at


SessionFactory = Callable[..., Awaitable[Session]]


@pytest.fixture
async def session_for(
    tmp_path: Path, managed_identity_env: Callable[[Emulator], None]
) -> AsyncIterator[SessionFactory]:
    opened: list[Session] = []

    async def open_session(emulator: Emulator, *, read_only: bool = False, **backend_kwargs: Any) -> Session:
        managed_identity_env(emulator)
        options = ConnectOptions(
            arm_endpoint=emulator.connection.arm,
            credential="managed-identity",
            ca_file=emulator.connection.ca_file,
            read_only=read_only,
            audit_log=str(tmp_path / f"audit-{len(opened)}.jsonl"),
        )
        session = await connect(options, **backend_kwargs)
        session.principal_retry_delays = (0.05, 0.1)
        opened.append(session)
        return session

    yield open_session
    for s in opened:
        await s.close()
