"""People, departments and API tokens as the web pages list them: the pickers (Japanese-aware
matching), the admin pages' lists and the token page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from daicho.access import AnyUser
from daicho.errors import NotFound
from daicho.models import ApiToken, Org
from daicho.web.names import name_key


def _matching(rows: list[tuple[str, str]], text: str, limit: int) -> list[tuple[str, str]]:
    """(code, name) rows whose name or code holds `text`, Japanese-aware as the search box
    (width, case, kana and blanks folded), names that begin with it first. The directory of a
    city office is a few thousand rows: folded here rather than by a key column in SQL."""
    key = name_key(text)
    if not key:
        return rows[:limit]
    found = []
    for code, name in rows:
        folded = name_key(name)
        if key in folded or key in code.lower():
            found.append((not folded.startswith(key), code, name))
    return [(code, name) for _rank, code, name in sorted(found)[:limit]]


def users_matching(text: str, limit: int = 20) -> list[tuple[str, str]]:
    """Active users by name or login: anyone signed in may list the directory (contract §5)."""
    rows = get_user_model().objects.filter(is_active=True).order_by("username") \
        .values_list("username", "profile__name")
    return _matching([(login, name or login) for login, name in rows], text, limit)


def orgs_matching(text: str, limit: int = 20) -> list[tuple[str, str]]:
    rows = Org.objects.filter(abolished_on=None).order_by("code")  # today's departments only
    return _matching(list(rows.values_list("code", "name")), text, limit)


def all_orgs() -> list[Org]:
    return list(Org.objects.order_by("code"))


def logins() -> list[str]:
    return list(get_user_model().objects.filter(is_active=True).order_by("username")
                .values_list("username", flat=True))


def user_list() -> list[Any]:
    return list(get_user_model().objects.select_related("profile", "profile__org")
                .order_by("username"))


def tokens_for(user: AnyUser, *, everyone: bool) -> list[ApiToken]:
    tokens = ApiToken.objects.select_related("user").order_by("-created_at")
    return list(tokens if everyone else tokens.filter(user_id=int(user.pk or 0)))


def token_for(user: AnyUser, token_id: Any, *, everyone: bool) -> ApiToken:
    tokens = ApiToken.objects.select_related("user")
    if not everyone:
        tokens = tokens.filter(user_id=int(user.pk or 0))
    try:
        return tokens.get(id=int(token_id))
    except (TypeError, ValueError, ApiToken.DoesNotExist):
        raise NotFound() from None
