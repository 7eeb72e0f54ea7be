"""Clouds by name and from /metadata/endpoints; SDK errors become the service's errors with a hint."""

from __future__ import annotations

import pytest

from tui.azure.clouds import cloud_by_name, discover_cloud
from tui.azure.demo import connect_emulator
from tui.emulator.server import Emulator
from tui.services.errors import InvalidInput, SignInRequired, Unreachable


def test_named_clouds_have_their_graph_and_scopes() -> None:
    assert cloud_by_name(None).graph_url == "https://graph.microsoft.com"
    usgov = cloud_by_name("usgov")
    assert usgov.graph_url == "https://graph.microsoft.us"
    assert usgov.arm_scope == "https://management.usgovcloudapi.net/.default"
    assert cloud_by_name("AzureChinaCloud").graph_scope == "https://microsoftgraph.chinacloudapi.cn/.default"
    with pytest.raises(InvalidInput):
        cloud_by_name("mars")


def test_custom_cloud_from_metadata(demo_emulator: Emulator) -> None:
    conn = demo_emulator.connection
    cloud = discover_cloud(conn.arm, conn.ca_file)
    assert cloud.custom and cloud.arm_url == conn.arm.rstrip("/")
    assert cloud.graph_url == conn.graph.rstrip("/")
    with pytest.raises(Unreachable, match="not trusted"):
        discover_cloud(conn.arm)  # without its CA
    with pytest.raises(InvalidInput):
        discover_cloud("ftp://example")


@pytest.mark.asyncio(loop_scope="session")
async def test_signed_in_principal_and_tenant(demo_emulator: Emulator, tmp_path) -> None:  # noqa: ANN001
    session = await connect_emulator(demo_emulator, audit_log=str(tmp_path / "a.jsonl"))
    try:
        assert session.tenant_id == demo_emulator.connection.tenant_id
        assert session.caller.display_name == "Alex Admin" and session.caller.kind == "user"
        assert session.cloud_name == "MituiSandbox"
    finally:
        await session.close()


@pytest.mark.asyncio(loop_scope="session")
async def test_a_wrong_identity_header_is_a_sign_in_error(demo_emulator: Emulator, tmp_path) -> None:  # noqa: ANN001
    from tui.azure.connect import ConnectOptions, connect

    conn = demo_emulator.connection
    options = ConnectOptions(arm_endpoint=conn.arm, credential="managed-identity", ca_file=conn.ca_file)
    env = {"IDENTITY_ENDPOINT": conn.identity_endpoint, "IDENTITY_HEADER": "wrong"}
    with pytest.raises(SignInRequired) as info:
        await connect(options, env=env)
    assert "\n" not in info.value.one_line()
