from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.registry.contract import MenuItem, Module, Role, Schedule

MODULE = Module(
    key="exports",
    label=_("Desk"),
    icon="download",
    order=65,
    menu=(
        # Anyone who may view items may export what they see (the page lists only what they may view).
        MenuItem(_("Exports"), "admin:exports:desk", "download", "inventory.view_item"),
        MenuItem(_("Import a spreadsheet"), "admin:exports:import", "upload_file", "exports.import_data"),
        MenuItem(_("Export log"), "admin:exports_exportlogentry_changelist", "history", "exports.view_exportlogentry"),
    ),
    roles=(
        Role("Accountant", permissions=("exports.view_exportjob", "exports.view_exportlogentry")),
        # Give staff this role beside their business role to let them import spreadsheets into
        # their own business (the owner has it through "*"; accountants never do).
        # What they may import is each module's IMPORTS (see specs.py); a module adds what its
        # imported rows need to be seen (purchasing: supplier prices) to this role.
        Role("Importer", permissions=("exports.import_data",)),
    ),
    schedules=(Schedule("exports.cleanup", "modules.core.exports.jobs.cleanup", cron="*/30 * * * *"),
               # an export whose worker died (kill -9, out of memory, reboot) starts again within a minute
               Schedule("exports.resume", "modules.core.exports.jobs.resume", interval=60, timeout=60)),
    admin_urls="modules.core.exports.views.admin_urlpatterns",
    append_only=("exports.ExportLogEntry",),  # the audit trail of exports and imports
)
