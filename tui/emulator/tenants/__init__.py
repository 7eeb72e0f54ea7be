"""The sandbox tenants, each built through the one model (:mod:`tui.emulator.tenant`, :mod:`tui.emulator.builder`):
the demo tenant (Contoso), a tenant from a fixture file, and generated tenants at scale."""
