"""Importing a file into a ledger (contract §3.1): create, append or upsert, all or nothing.

The file is read by daicho.importing (pure Python) within the configured limits
(`import_reading`); the import maps its columns to fields (`import_mapping`), converts and cleans
every value through the field registry (`import_cleaning`), checks unique values and upsert keys
against the ledger (`import_keys`) and writes everything in one transaction as one history batch
('import' action, `import_run`) that can later be rolled back as a whole (`import_rollback`).

This module is the importer's front door: the names the API, the wizard, the CLI and the job use.
"""

from __future__ import annotations

from daicho.errors import FieldValueError
from daicho.services.import_mapping import (
    PARSEABLE,
    column_matches,
    key_field,
    normalize_header,
    resolve_ledger,
)
from daicho.services.import_names import proposed_name
from daicho.services.import_reading import (
    ColumnChoice,
    ImportOptions,
    Progress,
    check_upload_size,
    import_limits,
    read,
)
from daicho.services.import_rollback import rollback_import
from daicho.services.import_run import MODES, create_from_table, run_import

__all__ = ["MODES", "PARSEABLE", "ColumnChoice", "FieldValueError", "ImportOptions", "Progress",
           "check_upload_size", "column_matches", "create_from_table", "import_limits",
           "key_field", "normalize_header", "proposed_name", "read", "resolve_ledger",
           "rollback_import", "run_import"]
