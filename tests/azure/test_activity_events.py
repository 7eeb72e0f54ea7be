"""Activity Log events as mitui keeps them: 90 days of a busy tenant are hundreds of thousands of events, kept while
the TUI shows their usage, so what repeats across them is held once."""

from __future__ import annotations

import json

from tui.azure.usage import operation_from_json

EVENT = {
    "eventDataId": "{id}",
    "eventTimestamp": "2026-12-01T10:00:0{n}.0000000Z",
    "operationName": {"value": "Microsoft.Compute/virtualMachines/write", "localizedValue": "Create or Update VM"},
    "resourceId": "/subscriptions/0000/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-01",
    "status": {"value": "Succeeded"},
    "correlationId": "c0ffee00-0000-0000-0000-00000000000{n}",
    "claims": {"http://schemas.microsoft.com/identity/claims/objectidentifier": "AAAA-BBBB", "appid": "CCCC"},
    "caller": "aaaa-bbbb",
    "subscriptionId": "0000",
}


def test_what_events_repeat_is_held_once() -> None:
    # decoded separately, as two pages of the listing are: equal strings, distinct objects
    events = [json.loads(json.dumps(EVENT).replace("{id}", f"e{n}").replace("{n}", str(n))) for n in (1, 2)]
    first, second = (operation_from_json(e) for e in events)
    assert first is not None and second is not None
    for name in ("operation", "resource_id", "status", "principal_id", "client_id", "caller", "subscription_id"):
        assert getattr(first, name) == getattr(second, name)
        assert getattr(first, name) is getattr(second, name), name
    assert (first.id, second.id) == ("e1", "e2")
    assert first.principal_id == "aaaa-bbbb" and first.operation == "Microsoft.Compute/virtualMachines/write"
