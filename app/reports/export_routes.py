"""Downloads: indicators and anonymised responses (CSV, XLSX), and the trust admin's backup."""

from flask import Response as HttpResponse
from flask import abort, request
from flask_login import current_user

from app import clock
from app.auth.scope import role_required, school_or_404, visible_schools
from app.models.audit import record
from app.reports import bp, exports
from app.reports.services import surveys_of_schools
from app.services import commit

RESULT_ROLES = ("trust_admin", "cio", "head", "wellbeing", "governor")
ANALYST_ROLES = ("trust_admin", "cio", "head")
FORMATS = ("csv", "xlsx")


@bp.route("/results/export/indicators.<fmt>")
@role_required(*RESULT_ROLES)
def export_trust_indicators(fmt):
    schools = visible_schools(current_user, *RESULT_ROLES)
    survey = _survey_of(schools)
    table = exports.indicator_table(survey, schools)
    name = f"indicators-{survey.id}"
    return _download(fmt, name, {"Indicators": table}, "export_indicators", survey=survey,
                     schools=len(schools))


@bp.route("/schools/<int:school_id>/export/indicators.<fmt>")
@role_required(*RESULT_ROLES)
def export_school_indicators(school_id, fmt):
    school = school_or_404(current_user, school_id, *RESULT_ROLES)
    survey = _survey_of([school])
    table = exports.indicator_table(survey, [school])
    return _download(fmt, f"indicators-{school.urn}-{survey.id}", {"Indicators": table},
                     "export_indicators", school=school, survey=survey)


@bp.route("/schools/<int:school_id>/export/responses.<fmt>")
@role_required(*ANALYST_ROLES)
def export_school_responses(school_id, fmt):
    school = school_or_404(current_user, school_id, *ANALYST_ROLES)
    survey = _survey_of([school])
    sheets = {"Responses": exports.response_table(survey, [school]),
              "Codebook": exports.codebook(survey.instrument)}
    return _download(fmt, f"responses-{school.urn}-{survey.id}", sheets, "export_responses",
                     school=school, survey=survey)


@bp.route("/results/export/responses.<fmt>")
@role_required("trust_admin", "cio")
def export_trust_responses(fmt):
    schools = visible_schools(current_user, "trust_admin", "cio")
    survey = _survey_of(schools)
    sheets = {"Responses": exports.response_table(survey, schools),
              "Codebook": exports.codebook(survey.instrument)}
    return _download(fmt, f"responses-{survey.id}", sheets, "export_responses", survey=survey,
                     schools=len(schools))


@bp.route("/export/backup.xlsx")
@role_required("trust_admin")
def export_backup():
    schools = visible_schools(current_user, "trust_admin")
    if not schools:
        abort(404)
    sheets = exports.backup_sheets(schools[0].trust)
    return _download("xlsx", f"backup-{clock.today().isoformat()}", sheets, "export_backup",
                     rows=int(len(sheets["Answers"])))


def _survey_of(schools):
    """The ?survey_id= survey, if it includes one of these schools; 404 otherwise."""
    wanted = request.args.get("survey_id", type=int)
    survey = next((s for s in surveys_of_schools([s.id for s in schools]) if s.id == wanted), None)
    if survey is None:
        abort(404)
    return survey


def _download(fmt, name, sheets, action, school=None, survey=None, **detail):
    """Write the file, record who exported what, and send it as an attachment."""
    if fmt not in FORMATS:
        abort(404)
    if fmt == "csv":
        body, mimetype = exports.write_csv(next(iter(sheets.values()))), exports.CSV_TYPE
    else:
        body, mimetype = exports.write_xlsx(sheets), exports.XLSX_TYPE
    if survey is not None:
        detail["survey_id"] = survey.id
    record(action, user=current_user, school=school, format=fmt, file=f"{name}.{fmt}", **detail)
    commit()
    return HttpResponse(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"',
        "Cache-Control": "no-store",
    })
