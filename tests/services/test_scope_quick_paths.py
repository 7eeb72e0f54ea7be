"""scopes: the quick paths for ids as ARM sends them (a resource's type, its subscription and group) give what the
segment-by-segment reading gives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tui.services.scopes import resource_group_of, resource_type_of, subscription_and_group, subscription_of


def test_the_types_of_common_ids() -> None:
    sub = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590"
    assert resource_type_of(f"{sub}/resourceGroups/rg/providers/Microsoft.Web/sites/app") == "Microsoft.Web/sites"
    nested = f"{sub}/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/databases/db"
    assert resource_type_of(nested) == "Microsoft.Sql/servers/databases"
    extension = f"{sub}/resourceGroups/rg/providers/Microsoft.Web/sites/app/providers/Microsoft.Insights/diag/x"
    assert resource_type_of(extension) == "Microsoft.Insights/diag"
    assert resource_type_of(f"{sub}/resourceGroups/rg") is None
    assert resource_type_of(f"{sub}/resourceGroups/rg/providers/Microsoft.Web") is None
    assert resource_type_of(f"{sub}/resourceGroups/rg/PROVIDERS/Microsoft.Web/sites/a/providers") is None
    assert resource_type_of("") is None


_SEGMENT = st.sampled_from(["providers", "Providers", "Microsoft.Web", "sites", "app", "rg", "x", ""])


@given(st.lists(_SEGMENT, max_size=9), st.booleans(), st.booleans())
def test_the_quick_path_reads_as_the_segments_do(segments: list[str], lead: bool, trail: bool) -> None:
    resource_id = ("/" if lead else "") + "/".join(segments) + ("/" if trail else "")
    # (doubled slashes name the same segments, and take the segment-by-segment reading)
    assert resource_type_of(resource_id) == resource_type_of(resource_id.replace("/", "//"))


@given(
    st.lists(_SEGMENT | st.sampled_from(["subscriptions", "SUBSCRIPTIONS", "resourceGroups", "s1"]), max_size=7),
    st.booleans(),
)
def test_subscription_and_group_read_as_each_alone(segments: list[str], lead: bool) -> None:
    scope = ("/" if lead else "") + "/".join(segments)
    assert subscription_and_group(scope) == (subscription_of(scope), resource_group_of(scope))
