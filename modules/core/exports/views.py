"""The accountant's desk in the admin: start an export, watch it, download it; import files."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from modules.core.businesses.admin_kit import admin_page, render_page
from modules.core.businesses.services import businesses_for
from modules.core.registry.roles import business_codes_for

from . import imports, services, spreadsheets, streaming
from .models import ExportJob
from .specs import all_imports, import_spec
from .specs import spec as get_spec
from .specs import specs_for

POLL_SECONDS = 2
IMPORT_PERMISSION = "exports.import_data"


def upload_max_bytes() -> int:
    from django.conf import settings

    return getattr(settings, "EXPORTS_UPLOAD_MAX_BYTES", 2 * 1024 * 1024)


def _business_choices(user, *, allow_all=True):
    choices = [(b.code, b.name) for b in businesses_for(user)]
    if allow_all and business_codes_for(user) is None:
        choices.insert(0, ("", "All businesses"))
    return choices


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label="What")
    business = forms.ChoiceField(required=False)
    start = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    file_format = forms.ChoiceField(label="File", choices=[("csv", "CSV"), ("xlsx", "Excel (.xlsx)")],
                                    initial="csv")

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(s.key, s.label) for s in specs_for(user)]
        self.fields["business"].choices = _business_choices(user)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("The start date is after the end date.")
        return data


def _require_desk(request):
    if not specs_for(request.user) or not businesses_for(request.user).exists():
        raise PermissionDenied


@admin_page("Exports", template="exports/desk.html")
def desk_view(request):
    """GET: the form and my recent exports. POST: start one (a background job when large)."""
    _require_desk(request)
    user = request.user
    form = ExportForm(user, request.POST or None, initial={"kind": request.GET.get("kind"),
                                                           "file_format": request.GET.get("format", "csv")})
    if request.method == "POST" and form.is_valid():
        spec = get_spec(form.cleaned_data["kind"])
        if spec is None or not services.may_export(user, spec):
            raise PermissionDenied
        filters = services.clean_filters(user, spec, form.cleaned_data)
        file_format = form.cleaned_data["file_format"]
        queryset = services.scoped_queryset(spec, user, filters)
        if services.is_large(spec, queryset):
            job = services.start_export(user, spec, file_format, filters)
            return redirect(f"{reverse('admin:exports:desk')}#export-{job.pk}")
        return inline_export(user, spec, file_format, filters, queryset)
    jobs = ExportJob.objects.filter(requested_by=user, mode=ExportJob.Mode.BACKGROUND)[:10]
    return {"form": form, "jobs": jobs, "poll_seconds": POLL_SECONDS, "inline_max": services.inline_max_rows(),
            "may_import": user.has_perm(IMPORT_PERMISSION)}


def inline_export(user, spec, file_format, filters, queryset):
    """A small export, written in the request (at most EXPORTS_INLINE_MAX_ROWS rows) and audited."""
    resource = spec.resource_class()
    buffer = io.StringIO() if file_format == "csv" else io.BytesIO()
    if file_format == "csv":
        buffer.write("\ufeff")
    rows = streaming.write(resource, queryset, file_format, buffer, title=spec.label)
    job = services.record(user, kind=spec.key, label=spec.label, file_format=file_format, filters=filters,
                          mode=ExportJob.Mode.INLINE, rows=rows)
    body = buffer.getvalue().encode("utf-8") if file_format == "csv" else buffer.getvalue()
    response = HttpResponse(body, content_type=services.FORMATS[file_format])
    response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    return response


def _my_job(request, job_id) -> ExportJob:
    """Only the person who asked for an export sees its progress or file: anybody else gets 404."""
    return get_object_or_404(ExportJob, pk=job_id, requested_by=request.user, mode=ExportJob.Mode.BACKGROUND)


def progress_view(request, job_id):
    job = _my_job(request, job_id)
    return TemplateResponse(request, "exports/_progress.html", {"job": job, "poll_seconds": POLL_SECONDS})


def download_view(request, job_id):
    """The file, to the person who asked for it only (nobody else learns it exists: 404). Behind
    nginx (``EXPORTS_X_ACCEL_PREFIX``, set by the production settings) Django only decides and nginx
    sends the file from its ``internal`` location; ``/media/private/`` itself answers 404 there.
    Elsewhere (``make run``, tests) Django streams it."""
    job = _my_job(request, job_id)
    path = services.file_of(job) if job.downloadable else None
    if path is None:
        raise Http404("This file has expired or is not ready. Start the export again.")
    content_type = services.FORMATS[job.file_format]
    prefix = settings.EXPORTS_X_ACCEL_PREFIX
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix + quote(path.name)
        response["Content-Disposition"] = content_disposition_header(True, job.filename)
    else:
        response = FileResponse(open(path, "rb"), as_attachment=True, filename=job.filename,
                                content_type=content_type)
    patch_cache_control(response, private=True, no_store=True)
    return response


# --- imports -----------------------------------------------------------------------------------

class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label="What is in the file")
    business = forms.ChoiceField(label="Business")
    file = forms.FileField(label="File (CSV or Excel .xlsx)")

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(spec.key, spec.label) for spec in all_imports()]
        self.fields["business"].choices = _business_choices(user, allow_all=False)
        self.dataset = None

    def clean_file(self):
        """Size and type first, then the file is read (with bounded work: see spreadsheets.py);
        a file that cannot be read, or holds too much, is this field's error."""
        upload = self.cleaned_data["file"]
        limit = upload_max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                f"This file is too big ({upload.size / 1024 / 1024:.1f} MB). The limit is "
                f"{limit / 1024 / 1024:.0f} MB: split it into smaller files.")
        extension = Path(upload.name).suffix.lower().lstrip(".")
        if extension not in ("csv", "xlsx"):
            raise forms.ValidationError("Choose a CSV file or an Excel .xlsx file.")
        upload.seek(0)
        try:
            self.dataset = spreadsheets.read_dataset(upload.read(), extension)
        except spreadsheets.FileProblem as problem:
            raise forms.ValidationError(problem.messages) from problem
        return upload


def _require_import(request):
    if not request.user.has_perm(IMPORT_PERMISSION) or not businesses_for(request.user).exists():
        raise PermissionDenied


def _uploads() -> Path:
    folder = services.exports_root() / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@admin_page("Import a spreadsheet", permission=IMPORT_PERMISSION, template="exports/import.html")
def import_view(request):
    """Upload → dry run → preview (counts and a row-level error table). Nothing is written. A file
    that is refused as a whole (too big, unreadable, a zip bomb) answers 400 with the form's error."""
    _require_import(request)
    form = ImportUploadForm(request.user, request.POST or None, request.FILES or None)
    context = {"form": form, "kinds": all_imports(), "limit_mb": upload_max_bytes() // (1024 * 1024)}
    if request.method == "POST" and not form.is_valid():
        return render_page(request, "exports/import.html", {"title": "Import a spreadsheet", **context}, status=400)
    if request.method == "POST":
        kind = import_spec(form.cleaned_data["kind"])
        business = businesses_for(request.user).get(code=form.cleaned_data["business"])
        upload = form.cleaned_data["file"]
        extension = Path(upload.name).suffix.lower().lstrip(".")
        token = secrets.token_urlsafe(16)
        stored = _uploads() / f"{token}.{extension}"
        with open(stored, "wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        outcome = imports.run_import(kind, form.dataset, business=business, user=request.user, dry_run=True)
        if outcome.ok and (outcome.new or outcome.updated):
            request.session.setdefault("exports_imports", {})[token] = {
                "kind": kind.key, "business": business.code, "file": stored.name, "name": upload.name}
            request.session.modified = True
        else:
            stored.unlink(missing_ok=True)  # nothing to confirm: don't keep the file
            token = None
        context.update({"outcome": outcome, "kind": kind, "business": business, "token": token,
                        "file_name": upload.name})
        return render_page(request, "exports/import_preview.html", {"title": "Check the file", **context})
    return context


@require_POST
def import_confirm_view(request):
    """Write the previewed file: all rows or none. The temporary file is deleted either way."""
    _require_import(request)
    pending = request.session.get("exports_imports", {})
    token = request.POST.get("token", "")
    entry = pending.pop(token, None)
    request.session.modified = True
    if entry is None:
        messages.error(request, "This import was already saved or has expired. Upload the file again.")
        return redirect("admin:exports:import")
    stored = _uploads() / Path(entry["file"]).name
    kind = import_spec(entry["kind"])
    business = businesses_for(request.user).filter(code=entry["business"]).first()
    if business is None or kind is None:
        stored.unlink(missing_ok=True)
        raise PermissionDenied
    try:
        dataset = spreadsheets.read_dataset(stored.read_bytes(), stored.suffix.lstrip("."))
        outcome = imports.run_import(kind, dataset, business=business, user=request.user, dry_run=False)
    except (spreadsheets.FileProblem, FileNotFoundError):
        outcome = imports.Outcome(problems=[imports.RowProblem(0, "", "The uploaded file is gone. Upload it again.")])
    finally:
        stored.unlink(missing_ok=True)
    if outcome.committed:
        services.record(request.user, kind=f"import.{kind.key}", label=f"Import: {kind.label}", file_format=
                        stored.suffix.lstrip("."), filters={"business": business.code, "file": entry["name"]},
                        mode=ExportJob.Mode.IMPORT, rows=outcome.new + outcome.updated)
        messages.success(request, f"Saved: {outcome.new} new, {outcome.updated} updated, "
                                  f"{outcome.unchanged} unchanged.")
        return redirect("admin:exports:import")
    return render_page(request, "exports/import_preview.html", {
        "title": "Nothing was saved", "outcome": outcome, "kind": kind, "business": business, "token": None,
        "file_name": entry["name"], "failed_commit": True})


def template_view(request, kind):
    """An empty example file with the right header line."""
    _require_import(request)
    spec = import_spec(kind)
    if spec is None:
        raise Http404
    columns = spec.columns
    response = HttpResponse("\ufeff" + ",".join(columns) + "\r\n", content_type=services.FORMATS["csv"])
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.csv"'
    return response


admin_urlpatterns = [
    path("desk/", desk_view, name="desk"),
    path("desk/<int:job_id>/progress/", progress_view, name="progress"),
    path("desk/<int:job_id>/download/", download_view, name="download"),
    path("desk/import/", import_view, name="import"),
    path("desk/import/confirm/", import_confirm_view, name="import_confirm"),
    path("desk/import/template/<str:kind>.csv", template_view, name="import_template"),
]
