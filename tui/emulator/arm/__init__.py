"""Azure Resource Manager, as the sandbox tenant serves it: declarative routes (:mod:`.routes`), the API family in
the request pipeline (:mod:`.api`), ``api-version`` and paging, shapes, ``$filter``, and one module per resource
family. The caller's rights are evaluated from its own role assignments (:mod:`tui.emulator.rbac`)."""
