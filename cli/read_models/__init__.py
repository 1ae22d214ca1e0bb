"""One pydantic model per read command's output, shared by `--format json`, the shared
server's typed reads (their `response_model`) and the JSON Schema files in docs/schemas.

`python -m cli.read_models docs/schemas` writes those files again; a test keeps them
equal to the models, and others run each command and validate its output.
"""

from __future__ import annotations

from pydantic import BaseModel

from cli.read_models.admin import TokenList, UserList
from cli.read_models.audit import AuditReport, CitizenExport
from cli.read_models.caseload import CaseloadReport, DueReport
from cli.read_models.checks import ProjectionsStatus, ProjectionsVerify, VerifyReport
from cli.read_models.courses import CourseList, CourseReport
from cli.read_models.outcomes_programme import ProgrammeOutcomes
from cli.read_models.programmes import ProgrammeList, ProgrammeReport, Workflow

__all__ = [
    "READ_MODELS",
    "AuditReport",
    "CaseloadReport",
    "CitizenExport",
    "CourseList",
    "CourseReport",
    "DueReport",
    "ProgrammeList",
    "ProgrammeOutcomes",
    "ProgrammeReport",
    "ProjectionsStatus",
    "ProjectionsVerify",
    "TokenList",
    "UserList",
    "VerifyReport",
    "Workflow",
]

READ_MODELS: dict[str, type[BaseModel]] = {
    "audit": AuditReport,
    "caseload": CaseloadReport,
    "citizen-export": CitizenExport,
    "courses": CourseList,
    "due": DueReport,
    "programmes-list": ProgrammeList,
    "programmes-outcomes": ProgrammeOutcomes,
    "programmes-show": ProgrammeReport,
    "projections-status": ProjectionsStatus,
    "projections-verify": ProjectionsVerify,
    "show": CourseReport,
    "tokens-list": TokenList,
    "users-list": UserList,
    "verify": VerifyReport,
    "workflow": Workflow,
}
"""Each read command (its words joined by `-`) and the model of its JSON."""
