"""Optional sign-in against the city's LDAP / Active Directory (docs/permissions.md).

This module only reads the DAICHO_LDAP_* environment into an `LdapSettings`; the backend that
talks to the directory is `daicho.auth_ldap.backend`, listed in AUTHENTICATION_BACKENDS only when
DAICHO_LDAP_URI is set. With DAICHO_LDAP_URI unset nothing here imports python-ldap."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

BACKEND = "daicho.auth_ldap.backend.LdapBackend"
GROUP_TYPES = ("groupOfNames", "groupOfUniqueNames", "activeDirectory", "memberOf")


@dataclass(frozen=True)
class LdapSettings:
    """Group DNs are kept in python-ldap's normal form, lower-cased, so they compare as strings."""

    uri: str
    start_tls: bool = False
    ca_file: str = ""
    timeout: float = 5.0
    bind_dn: str = ""
    bind_password: str = ""
    # Either a DN template ("uid=%(user)s,ou=people,dc=…"), a search (base + filter), or both:
    # then the template is what the user binds as (e.g. "%(user)s@city.local") and the search
    # finds their entry, read with their own rights.
    user_dn_template: str = ""
    user_search_base: str = ""
    user_filter: str = "(uid=%(user)s)"
    name_attr: str = "displayName"
    group_type: str = "groupOfNames"
    group_search_base: str = ""
    require_group: str = ""
    admin_group: str = ""
    role_map: tuple[tuple[str, tuple[str, ...]], ...] = ()  # group DN → role names
    org_map: tuple[tuple[str, str], ...] = ()  # group DN → department code, first match wins
    org_attr: str = ""  # an attribute of the user holding the department code

    @property
    def uses_groups(self) -> bool:
        return bool(self.role_map or self.org_map or self.require_group or self.admin_group)


def normal_dn(dn: str) -> str:
    import ldap.dn  # only reached when LDAP is configured

    try:
        return str(ldap.dn.dn2str(ldap.dn.str2dn(dn.strip()))).lower()
    except ldap.DECODING_ERROR:
        raise ValueError(f"not a distinguished name: {dn!r}") from None


def _json_map(environ: Mapping[str, str], name: str) -> dict[str, object]:
    raw = environ.get(name, "").strip()
    if not raw:
        return {}
    try:
        found = json.loads(raw)
    except ValueError:
        raise ValueError(f"{name}: not valid JSON") from None
    if not isinstance(found, dict):
        raise ValueError(f"{name}: a JSON object of group DN → value")
    return found


def from_env(environ: Mapping[str, str] | None = None) -> LdapSettings | None:
    """None when DAICHO_LDAP_URI is unset. A wrong setting raises ValueError naming it, so that
    daicho refuses to start rather than sign people in with half a configuration."""
    env = os.environ if environ is None else environ
    uri = env.get("DAICHO_LDAP_URI", "").strip()
    if not uri:
        return None

    def text(name: str, default: str = "") -> str:
        return env.get(f"DAICHO_LDAP_{name}", default).strip()

    group_type = text("GROUP_TYPE", "groupOfNames")
    if group_type not in GROUP_TYPES:
        raise ValueError(f"DAICHO_LDAP_GROUP_TYPE: one of {', '.join(GROUP_TYPES)}")
    try:
        timeout = float(text("TIMEOUT", "5"))
    except ValueError:
        raise ValueError("DAICHO_LDAP_TIMEOUT: a number of seconds") from None
    role_map: list[tuple[str, tuple[str, ...]]] = []
    for dn, roles in _json_map(env, "DAICHO_LDAP_ROLE_MAP").items():
        names = [roles] if isinstance(roles, str) else roles
        if not isinstance(names, list) or not names or not all(
                isinstance(r, str) and 1 <= len(r) <= 150 for r in names):
            raise ValueError("DAICHO_LDAP_ROLE_MAP: each value is a role name or a list of them")
        role_map.append((normal_dn(dn), tuple(names)))
    org_map: list[tuple[str, str]] = []
    for dn, code in _json_map(env, "DAICHO_LDAP_ORG_MAP").items():
        if not isinstance(code, str) or not code:
            raise ValueError("DAICHO_LDAP_ORG_MAP: each value is a department code")
        org_map.append((normal_dn(dn), code))
    found = LdapSettings(
        uri=uri,
        start_tls=text("START_TLS") in ("1", "true", "yes"),
        ca_file=text("CA_FILE"),
        timeout=timeout,
        bind_dn=text("BIND_DN"),
        bind_password=env.get("DAICHO_LDAP_BIND_PASSWORD", ""),
        user_dn_template=text("USER_DN_TEMPLATE"),
        user_search_base=text("USER_SEARCH_BASE"),
        user_filter=text("USER_FILTER", "(uid=%(user)s)"),
        name_attr=text("NAME_ATTR", "displayName"),
        group_type=group_type,
        group_search_base=text("GROUP_SEARCH_BASE"),
        require_group=normal_dn(text("REQUIRE_GROUP")) if text("REQUIRE_GROUP") else "",
        admin_group=normal_dn(text("ADMIN_GROUP")) if text("ADMIN_GROUP") else "",
        role_map=tuple(role_map),
        org_map=tuple(org_map),
        org_attr=text("ORG_ATTR"),
    )
    if not found.user_dn_template and not found.user_search_base:
        raise ValueError("DAICHO_LDAP_URI is set: set DAICHO_LDAP_USER_DN_TEMPLATE or "
                         "DAICHO_LDAP_USER_SEARCH_BASE too")
    if found.user_dn_template and "%(user)s" not in found.user_dn_template:
        raise ValueError("DAICHO_LDAP_USER_DN_TEMPLATE must contain %(user)s")
    if found.user_search_base and "%(user)s" not in found.user_filter:
        raise ValueError("DAICHO_LDAP_USER_FILTER must contain %(user)s")
    if found.uses_groups and group_type != "memberOf" and not found.group_search_base:
        raise ValueError("DAICHO_LDAP_GROUP_SEARCH_BASE is needed to read group memberships "
                         "(or DAICHO_LDAP_GROUP_TYPE=memberOf)")
    if found.ca_file and not os.path.isfile(found.ca_file):
        raise ValueError(f"DAICHO_LDAP_CA_FILE: no file {found.ca_file!r}")
    return found
