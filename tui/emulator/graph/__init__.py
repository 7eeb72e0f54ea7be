"""Microsoft Graph v1.0 for the sandbox tenant: service principals, app role assignments, directory objects and
JSON batching, with Graph's status codes, error envelopes, paging and authorization.

Every request goes through the shared pipeline (:mod:`tui.emulator.pipeline`; :mod:`.api` is what Graph brings to
it), is routed by one table (:mod:`.routes`) and answered by one module per resource family. Every route is a plain
function of a :class:`~.call.GraphCall`, so ``$batch`` runs its inner requests through exactly the same handlers and
authorization as requests over the wire.

Authorization (what the sandbox enforces, see docs/emulator or the tests):

* reading service principals, users, directory objects and app role assignments: any signed-in user; an
  application (a service principal, e.g. a managed identity) needs one of the Graph app roles
  ``Application.Read.All``, ``Application.ReadWrite.All``, ``Directory.Read.All``, ``Directory.ReadWrite.All``
  (app role assignments also accept ``AppRoleAssignment.ReadWrite.All``) in its token's ``roles``;
* granting or revoking an app role: an application needs ``AppRoleAssignment.ReadWrite.All`` in its token; a
  user (or a service principal holding directory roles) needs the directory role Global Administrator or
  Privileged Role Administrator; Cloud Application Administrator and Application Administrator may grant the
  app roles of the tenant's own apps but not those of Microsoft's resource apps (Microsoft Graph), as in Entra;
* changing or deleting a service principal: ``Application.ReadWrite.All`` / ``Directory.ReadWrite.All`` for an
  application, one of the four administrator roles above for a user. Managed-identity service principals
  cannot be changed through Graph at all (400).
Anything else is 403 ``Authorization_RequestDenied`` "Insufficient privileges to complete the operation."
"""
