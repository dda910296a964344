"""PDF downloads as responses, shared by the pages and the API: render, audit, answer.

Rendering holds one of the reader's download slots (``casework.web.download_slots``): a
reader with as many PDFs and exports under way as allowed gets 429 and Retry-After.
"""

from __future__ import annotations

from flask import make_response
from flask_babel import gettext as _

from casework import permissions
from casework.errors import ValidationFailed
from casework.languages import language_from, reader_language, written_in
from casework.models import Case, User
from casework.reports import documents, operations
from casework.reports.figures import Period
from casework.reports.summary import Audience
from casework.vocabulary import label
from casework.web.download_slots import take_download_slot
from casework.web.edge import require, unit_of_work


def pdf_response(pdf: bytes, filename: str):
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Confidential: not kept by browsers' or proxies' caches.
    response.headers["Cache-Control"] = "no-store"
    return response


def audience_from(value: str | None) -> Audience:
    """The audience named in ``?audience=`` (internal when absent).

    :raise ValidationFailed: not one of internal, partner.
    """
    try:
        return Audience(value or Audience.INTERNAL.value)
    except ValueError:
        raise ValidationFailed(_("Use one of: internal, partner."), "audience") from None


def summary_download(reader: User, case: Case, audience_value: str | None,
                     lang_value: str | None = None):
    """A case's summary PDF for ``reader`` (who may read the case), audited; in the
    language ``lang_value`` names, else the reader's.

    :raise PermissionDenied: the reader may not download it.
    :raise ValidationFailed: an unknown audience or language.
    :raise TooManyRequests: the reader has as many downloads under way as they may.
    """
    require(permissions.can_download_summary(reader, case))
    audience = audience_from(audience_value)
    language = reader_language(reader, language_from(lang_value))
    with take_download_slot(reader), written_in(language):
        by = label(reader.role) if audience == Audience.PARTNER else reader.name
        pdf, summary = documents.summary_pdf(case, audience, generated_by=by)
    with unit_of_work():
        operations.record_summary_download(reader, case, audience, summary.fingerprint)
    return pdf_response(pdf, documents.summary_filename(case, audience))


def landscape_download(reader: User, args):
    """The risk landscape report (Lagebericht) for the period and market in ``args``, in
    the language of ``args["lang"]``, else the reader's.

    :raise PermissionDenied: the reader's role does not read the dashboard.
    :raise ValidationFailed: the period, market or language is not valid.
    :raise TooManyRequests: the reader has as many downloads under way as they may.
    """
    require(permissions.can_view_dashboard(reader))
    period = Period.from_values(args.get("from"), args.get("to"), args.get("market"))
    language = reader_language(reader, language_from(args.get("lang")))
    with take_download_slot(reader), written_in(language):
        pdf, _figures = documents.landscape_pdf(reader, period, generated_by=reader.name)
    with unit_of_work():
        operations.record_landscape_download(reader, period)
    return pdf_response(pdf, documents.landscape_filename(period))
