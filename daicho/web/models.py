"""What the web UI keeps for itself: saved views of a ledger, who has a record open and the
ledgers each user opened lately."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from daicho.models import Ledger

ROW_HEIGHTS = ("compact", "normal", "tall")
MAX_FROZEN = 5  # columns a view may keep in place besides the record number


class SavedView(models.Model):
    """A named way of looking at a ledger. owner None = shared with everyone who sees the ledger.

    filters and sort use the API's own syntax (CODE:OP:VALUE, -CODE) so a view is also a
    ready-made API or export query."""

    ledger = models.ForeignKey(Ledger, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    columns = models.JSONField(default=list, blank=True)  # field codes in display order; [] = all
    widths = models.JSONField(default=dict, blank=True)  # field code -> width in CSS pixels
    filters = models.JSONField(default=list, blank=True)
    sort = models.CharField(max_length=400, blank=True)
    search = models.CharField(max_length=1000, blank=True)
    chart = models.JSONField(default=dict, blank=True)  # web.saved_views.CHART_KEYS
    # The grid's layout: how many of the first shown columns stay in place while scrolling
    # sideways, and the row height ("compact", "normal" or "tall": wrapped text).
    frozen = models.PositiveSmallIntegerField(default=1)
    row_height = models.CharField(max_length=10, default="normal")
    # The grid's grouping: CODE, or CODE:year / CODE:month / CODE:fy for a date ("" = none).
    group_by = models.CharField(max_length=80, blank=True, default="")
    # A calendar or kanban board instead of the grid (daicho.web.boards): {"kind": "calendar"
    # | "kanban", "field": CODE, "mode"?: "month" | "week", "cards"?: [CODE]}; {} = the grid.
    board = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["ledger", "owner"], name="web_view_ledger_owner")]

    def __str__(self) -> str:
        return self.name


class RecordPresence(models.Model):
    """Who had a record's page open, refreshed by the page's polling (「○○さんが編集中」).

    The list page polls too: record_id LIST_PAGE (0, never a record's id) says the person has
    the ledger's list open; a cell they are editing there also counts as having that record
    open, so the record page shows them as well."""

    LIST_PAGE = 0

    ledger = models.ForeignKey(Ledger, on_delete=models.CASCADE, related_name="+")
    record_id = models.BigIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ledger", "record_id", "user"],
                                    name="web_presence_unique"),
        ]
        indexes = [models.Index(fields=["ledger", "record_id", "last_seen"],
                                name="web_presence_recent")]


class RecentLedger(models.Model):
    """When a user last opened a ledger's list page: the home page's 「最近開いた台帳」."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ledger = models.ForeignKey(Ledger, on_delete=models.CASCADE, related_name="+")
    opened_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "ledger"], name="web_recent_unique"),
        ]
        indexes = [models.Index(fields=["user", "opened_at"], name="web_recent_user")]
