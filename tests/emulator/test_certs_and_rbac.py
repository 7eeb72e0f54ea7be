"""The local CA and server certificate, and RBAC evaluation (actions, notActions, wildcards, inheritance)."""

from __future__ import annotations

import os
import stat

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from tui.emulator import rbac
from tui.emulator.builder import TenantBuilder
from tui.emulator.certs import issue_server_tls, load_or_create_ca


def test_ca_is_made_once_and_reused_with_a_private_key_file(tmp_path):
    cert, _ = load_or_create_ca(tmp_path)
    again, _ = load_or_create_ca(tmp_path)
    assert cert.serial_number == again.serial_number
    assert stat.S_IMODE(os.stat(tmp_path / "ca-key.pem").st_mode) == 0o600
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.key_cert_sign and ku.crl_sign
    cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)


def test_server_certificate_names_loopback_and_chains_to_the_ca(tmp_path):
    tls = issue_server_tls(tmp_path)
    leaf = x509.load_pem_x509_certificates(tls.cert_file.read_bytes())[0]
    ca = x509.load_pem_x509_certificate(tls.ca_file.read_bytes())
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku
    aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    leaf.verify_directly_issued_by(ca)
    assert stat.S_IMODE(os.stat(tls.key_file).st_mode) == 0o600


def _tenant():
    b = TenantBuilder(seed="rbac")
    ada = b.add_user("Ada", admin=True)
    bob = b.add_user("Bob")
    sub = b.add_subscription("One")
    rg = b.add_resource_group(sub, "rg-a")
    rg_b = b.add_resource_group(sub, "rg-b")
    kv = b.add_resource(rg, "Microsoft.KeyVault/vaults", "kv-a")
    b.assign_role(ada, "Contributor", sub)
    b.assign_role(bob, "User Access Administrator", rg)
    return b.build(), ada, bob, sub, rg, rg_b, kv


def test_actions_not_actions_and_inheritance():
    tenant, ada, bob, sub, rg, rg_b, kv = _tenant()
    write_ra = "Microsoft.Authorization/roleAssignments/write"
    s = f"/subscriptions/{sub.subscription_id}"
    # Contributor: * minus Microsoft.Authorization/*/Write (case-insensitive), inherited by groups and resources
    assert rbac.allowed(tenant, ada.id, "Microsoft.KeyVault/vaults/write", kv.id)
    assert rbac.allowed(tenant, ada.id, "microsoft.keyvault/VAULTS/read", kv.id.upper())
    assert not rbac.allowed(tenant, ada.id, write_ra, s)
    assert not rbac.allowed(tenant, ada.id, write_ra, kv.id)
    # UAA at rg-a: Microsoft.Authorization/* there and below, nothing on rg-b or the subscription
    assert rbac.allowed(tenant, bob.id, write_ra, kv.id)
    assert rbac.allowed(tenant, bob.id, write_ra, rg.id)
    assert not rbac.allowed(tenant, bob.id, write_ra, rg_b.id)
    assert not rbac.allowed(tenant, bob.id, write_ra, s)
    assert rbac.has_any_right_in(tenant, bob.id, s)  # a right below makes the subscription visible
    assert not rbac.has_any_right_in(tenant, bob.id, rg_b.id)
    granting = rbac.roles_granting(tenant, write_ra, s)
    assert "Owner" in granting and "User Access Administrator" in granting and "Contributor" not in granting


def test_index_follows_changes_to_the_tenant():
    tenant, ada, bob, sub, rg, rg_b, kv = _tenant()
    assert not rbac.allowed(tenant, bob.id, "Microsoft.Authorization/roleAssignments/write", rg_b.id)
    TenantBuilder(tenant=tenant, seed=None).assign_role(bob, "Owner", rg_b)
    assert rbac.allowed(tenant, bob.id, "Microsoft.Authorization/roleAssignments/write", rg_b.id)
    around = rbac.assignments_around(tenant, rg.id)
    assert {ra.principal_id for ra in around} == {ada.id, bob.id}
    assert all(ra.scope != rg_b.id for ra in around)
    at = rbac.assignments_around(tenant, kv.id, below=False)
    assert {ra.scope for ra in at} == {f"/subscriptions/{sub.subscription_id}", rg.id}
