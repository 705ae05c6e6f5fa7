from django.urls import include, path

from daicho.web.views import (
    auth,
    chart,
    designer,
    grid,
    history,
    home,
    imports,
    manage,
    pickers,
    records,
    saved,
)

app_name = "web"

_ledger = "ledgers/<int:ledger_id>/"
_record = _ledger + "records/<int:record_id>/"
_field = _ledger + "fields/<str:code>/"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("ledgers/new", home.create_ledger, name="ledger_create"),
    path(_ledger, grid.ledger, name="ledger"),
    path(_ledger + "save", grid.grid_save, name="grid_save"),
    path(_ledger + "totals", grid.totals, name="totals"),
    path(_ledger + "chart", chart.chart, name="chart"),
    path(_ledger + "trash", history.trash, name="trash"),
    path(_ledger + "views/save", saved.view_save, name="view_save"),
    path(_ledger + "views/<int:view_id>/delete", saved.view_delete, name="view_delete"),
    path(_ledger + "records/new", records.record_new, name="record_new"),
    path(_record, records.record, name="record"),
    path(_record + "delete", records.record_delete, name="record_delete"),
    path(_record + "restore", records.record_restore, name="record_restore"),
    path(_record + "presence", records.presence, name="presence"),
    path(_record + "history", history.record_history, name="history"),
    path(_record + "revert", history.record_revert, name="revert"),
    path(_ledger + "fields/", designer.fields, name="fields"),
    path(_ledger + "fields/add", designer.field_add, name="field_add"),
    path(_ledger + "fields/order", designer.field_order, name="field_order"),
    path(_ledger + "settings", designer.ledger_update, name="ledger_update"),
    path(_field + "update", designer.field_update, name="field_update"),
    path(_field + "retype", designer.field_retype, name="field_retype"),
    path(_field + "move", designer.field_move, name="field_move"),
    path(_field + "delete", designer.field_delete, name="field_delete"),
    path(_field + "restore", designer.field_restore, name="field_restore"),
    path(_field + "pick", pickers.pick_link, name="pick_link"),
    path("pick/users", pickers.pick_users, name="pick_users"),
    path("pick/orgs", pickers.pick_orgs, name="pick_orgs"),
    path("import/", imports.upload, name="import_upload"),
    path(_ledger + "import", imports.upload, name="ledger_import"),
    path("import/columns", imports.columns, name="import_columns"),
    path("import/check", imports.check, name="import_check"),
    path("import/run", imports.run, name="import_run"),
    path("import/jobs/<int:job_id>", imports.job, name="import_job"),
    path("import/rollback", imports.rollback, name="import_rollback"),
    path("manage/users", manage.users, name="users"),
    path("manage/tokens", manage.tokens, name="tokens"),
    path("manage/tokens/<int:token_id>/revoke", manage.token_revoke, name="token_revoke"),
]
