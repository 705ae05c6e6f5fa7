"""The LDAP / Active Directory sign-in backend, ahead of the local one (docs/permissions.md).

django-auth-ldap does the directory work: bind, find the user's entry, read their groups. What
daicho makes of them — login, name, department, roles, admin — is decided here and written by
`daicho.services.accounts.sync_directory_user`, so the user and their Profile change in one
transaction with the access log, as every other user change does. The sign-in lockout of
daicho.services.signin applies before the directory is asked at all."""

from __future__ import annotations

import functools
import logging
from typing import Any

import ldap
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest
from django_auth_ldap.backend import LDAPBackend
from django_auth_ldap.config import (
    GroupOfNamesType,
    GroupOfUniqueNamesType,
    LDAPGroupType,
    LDAPSearch,
    LDAPSettings,
    NestedActiveDirectoryGroupType,
)

from daicho.auth_ldap import LdapSettings, normal_dn
from daicho.errors import DaichoError
from daicho.services import accounts, signin

log = logging.getLogger(__name__)


class MemberOfGroupType(LDAPGroupType):  # type: ignore[misc]  # django-auth-ldap ships no types
    """Groups read from the user's own memberOf attribute (Active Directory; OpenLDAP with the
    memberof overlay), without searching the groups."""

    def user_groups(self, ldap_user: Any, group_search: Any) -> list[tuple[str, dict[str, Any]]]:
        attrs = {k.lower(): v for k, v in (ldap_user.attrs or {}).items()}
        return [(normal_dn(dn), {}) for dn in attrs.get("memberof", [])]


_GROUPS: dict[str, tuple[type[LDAPGroupType], str]] = {
    "groupOfNames": (GroupOfNamesType, "(objectClass=groupOfNames)"),
    "groupOfUniqueNames": (GroupOfUniqueNamesType, "(objectClass=groupOfUniqueNames)"),
    "activeDirectory": (NestedActiveDirectoryGroupType, "(objectClass=group)"),
    "memberOf": (MemberOfGroupType, "(objectClass=*)"),
}


@functools.lru_cache(maxsize=8)
def _django_auth_ldap_settings(conf: LdapSettings) -> LDAPSettings:
    options: dict[int, Any] = {
        ldap.OPT_NETWORK_TIMEOUT: conf.timeout,  # an unreachable directory must not hang sign-in
        ldap.OPT_TIMEOUT: conf.timeout,
        ldap.OPT_REFERRALS: 0,  # AD's referrals point at servers we cannot bind to
    }
    if conf.ca_file:
        options[ldap.OPT_X_TLS_CACERTFILE] = conf.ca_file
        options[ldap.OPT_X_TLS_REQUIRE_CERT] = ldap.OPT_X_TLS_DEMAND
        options[ldap.OPT_X_TLS_NEWCTX] = 0  # last: makes the TLS options above take effect
    attrlist = ["*", "memberOf"] if conf.group_type == "memberOf" else None
    group_type, group_filter = _GROUPS[conf.group_type]
    values: dict[str, Any] = {
        "SERVER_URI": conf.uri,
        "START_TLS": conf.start_tls,
        "CONNECTION_OPTIONS": options,
        "BIND_DN": conf.bind_dn,
        "BIND_PASSWORD": conf.bind_password,
        "USER_DN_TEMPLATE": conf.user_dn_template or None,
        "USER_SEARCH": LDAPSearch(conf.user_search_base, ldap.SCOPE_SUBTREE, conf.user_filter,
                                  attrlist) if conf.user_search_base else None,
        "USER_ATTRLIST": attrlist,
        # With a template and a search, the template is only what the user binds as; their
        # entry is then found by the search, read with their own rights.
        "BIND_AS_AUTHENTICATING_USER": bool(conf.user_dn_template and conf.user_search_base),
        "REFRESH_DN_ON_BIND": bool(conf.user_dn_template and conf.user_search_base),
        "GROUP_TYPE": group_type(),
        "GROUP_SEARCH": LDAPSearch(conf.group_search_base, ldap.SCOPE_SUBTREE, group_filter),
        # The Django user is written by sync_directory_user, never by django-auth-ldap itself.
        "ALWAYS_UPDATE_USER": False,
        "USER_ATTR_MAP": {},
    }
    # A prefix no setting has: only `values` configure django-auth-ldap.
    return LDAPSettings("DAICHO_LDAP_BACKEND_UNUSED_", values)


def _entry(conf: LdapSettings, login: str, ldap_user: Any) -> accounts.DirectoryEntry:
    attrs = {k.lower(): v for k, v in (ldap_user.attrs or {}).items()}

    def first(attr: str) -> str:
        values = attrs.get(attr.lower()) or [""]
        return str(values[0]).strip()

    groups = {normal_dn(dn) for dn in ldap_user.group_dns} if conf.uses_groups else set()
    if conf.require_group and conf.require_group not in groups:
        raise ldap_user.AuthenticationFailed(f"not a member of {conf.require_group}")
    org = first(conf.org_attr) if conf.org_attr else ""
    if not org:
        org = next((code for dn, code in conf.org_map if dn in groups), "")
    return accounts.DirectoryEntry(
        login=login,
        name=first(conf.name_attr) or first("cn"),
        org=org or None,
        decides_org=bool(conf.org_attr or conf.org_map),
        roles=frozenset(name for dn, names in conf.role_map if dn in groups for name in names),
        decided_roles=frozenset(name for _dn, names in conf.role_map for name in names),
        admin=(conf.admin_group in groups) if conf.admin_group else None,
    )


def _conf() -> LdapSettings | None:
    """Read at each sign-in, so that tests may switch settings under a running process."""
    conf = getattr(django_settings, "DAICHO_LDAP", None)
    return conf if isinstance(conf, LdapSettings) else None


class LdapBackend(LDAPBackend):  # type: ignore[misc]  # django-auth-ldap ships no types
    """Answers None (the next backend, the local one, is asked) for a wrong password, an unknown
    login, a user outside the required group, a local account, a deactivated user, or a
    directory that cannot be reached."""

    @property
    def conf(self) -> LdapSettings:
        conf = _conf()
        if conf is None:
            raise ImproperlyConfigured("the LDAP backend is listed but DAICHO_LDAP_URI is not set")
        return conf

    @property
    def settings(self) -> LDAPSettings:
        return _django_auth_ldap_settings(self.conf)

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> Any:
        if not username or not password or _conf() is None:
            return None
        login = str(username).strip()
        if signin.locked_until(login, request) is not None:
            signin.refused(login, request)
            raise PermissionDenied  # authenticate() stops here and reports a failed sign-in
        # On failure the local backend, asked next, notes the failed attempt: once per attempt;
        # a success is noted once the sign-in is complete (daicho.web.views.auth).
        return super().authenticate(request, username=login, password=password)

    def ldap_to_django_username(self, username: str) -> str:
        # Directories match logins without regard to case; daicho keeps one spelling.
        return username.lower()

    def get_or_build_user(self, username: str, ldap_user: Any) -> tuple[Any, bool]:
        entry = _entry(self.conf, username, ldap_user)
        try:
            user = accounts.sync_directory_user(entry, source="ldap")
        except DaichoError as exc:
            log.warning("LDAP sign-in of %s refused: %s", username, exc.message)
            raise ldap_user.AuthenticationFailed(exc.message) from None
        # Not "built": django-auth-ldap then leaves the user as sync_directory_user saved it.
        return user, False

    def get_user(self, user_id: int) -> Any:
        # No directory lookup per request: the session stands for the sign-in already checked.
        return get_user_model().objects.filter(pk=user_id, is_active=True).first()
