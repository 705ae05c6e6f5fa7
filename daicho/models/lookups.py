"""What a `copy` lookup copied (daicho.services.lookups): per record and field, the linked
record and its revision at the time of the copy, so the record can say "the master changed
since" without ever changing the copied value by itself."""

from __future__ import annotations

from django.db import models


class LookupCopy(models.Model):
    ledger = models.ForeignKey("daicho.Ledger", on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    record_id = models.BigIntegerField()
    field = models.CharField(max_length=64)  # the lookup field's code
    source_id = models.BigIntegerField()  # the linked record
    source_revision = models.IntegerField()  # its revision when the value was copied

    class Meta:
        app_label = "daicho"
        constraints = [models.UniqueConstraint(fields=["ledger", "record_id", "field"],
                                               name="lookup_copy_one")]
