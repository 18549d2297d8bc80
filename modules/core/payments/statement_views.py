"""Importing the M-Pesa business portal's statement, and booking what the books lack (one tap)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from modules.core.businesses.admin_kit import render_page, scoped_or_403
from modules.core.businesses.services import businesses_for

from . import statements
from .models import Statement, StatementLine

UPLOAD_FIELD = "statement"


def import_statement(request):
    if not request.user.has_perm("payments.add_statement"):
        raise PermissionDenied
    businesses = list(businesses_for(request.user))
    error = None
    if request.method == "POST":
        business = next((b for b in businesses if b.code == request.POST.get("business")), None)
        upload = request.FILES.get(UPLOAD_FIELD)
        if business is None:
            error = "Choose the business whose M-Pesa number the statement is for."
        elif upload is None:
            error = "Choose the CSV file you downloaded from the M-Pesa business portal."
        elif upload.size > statements.MAX_BYTES:
            error = "The file is larger than 5 MB: export a shorter period."
        else:
            try:
                result = statements.import_statement(business, upload.read(), file_name=upload.name,
                                                     user=request.user)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(request, f"{result.statement.lines_read} lines read, {result.new} new, "
                                          f"{result.matched} matched with the books, KES {result.charges_posted:,} "
                                          f"of charges posted; {len(result.not_booked)} not in the books.")
                return redirect("admin:payments:statement", result.statement.pk)
    return render_page(request, "payments/statement_import.html", {
        "title": "Import an M-Pesa statement", "businesses": businesses, "error": error,
        "recent": Statement.objects.filter(business__in=businesses).select_related("business")[:10],
        "required": statements.REQUIRED})


def statement_page(request, pk):
    statement = scoped_or_403(request, Statement.objects.select_related("business"), "payments.view_statement", pk=pk)
    lines = statement.lines.select_related("mpesa_receipt").order_by("completed_at")
    return render_page(request, "payments/statement.html", {
        "title": str(statement), "statement": statement, "lines": lines,
        "not_booked": [line for line in lines if line.kind == StatementLine.Kind.PAYMENT and not line.mpesa_receipt_id],
        "can_book": request.user.has_perm("payments.add_statement")})


@require_POST
def book_lines(request, pk):
    """Book one line (``line``) or every line the books lack (``all``) to the M-Pesa inbox."""
    statement = scoped_or_403(request, Statement, "payments.add_statement", pk=pk)
    lines = StatementLine.objects.filter(business=statement.business, kind=StatementLine.Kind.PAYMENT,
                                         mpesa_receipt__isnull=True)
    if "all" not in request.POST:
        lines = lines.filter(pk=request.POST.get("line") or 0)
    booked = 0
    for line in lines:
        try:
            statements.book_line(line, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            booked += 1
    if booked:
        messages.success(request, f"{booked} receipt{'s' if booked > 1 else ''} booked to the M-Pesa inbox.")
    back = request.POST.get("next") or ""
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)  # the reconciliation report the tap came from
    return redirect("admin:payments:statement", statement.pk)


urlpatterns = [
    path("payments/statements/import/", import_statement, name="statement_import"),
    path("payments/statements/<int:pk>/", statement_page, name="statement"),
    path("payments/statements/<int:pk>/book/", book_lines, name="statement_book"),
]
