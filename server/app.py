"""The shared server's ASGI application: every CLI command and read, over HTTP.

FastAPI (on Starlette, served by uvicorn): it builds the OpenAPI document from the
same pydantic models the CLI and the import use, so the document cannot drift from
what the server accepts. The server alone opens the store (its credentials and the
master key); each request is run as the user it authenticated as:

- `POST /cli` runs one command line exactly as the CLI does (same validation,
  refusals, output and exit code) and answers its stdout, stderr and exit code;
  the remote CLI (`cli.remote`) prints them.
- `POST /commands` takes one import line ({"command": "refer", ...}) and executes it
  through the same path as `forloeb refer …`; refusals are an HTTP status and
  `{"error": one line, "exit": the CLI's exit code}`.
- `GET /courses`, `/courses/{ref}`, `/caseload`, `/due`, `/outcomes`, `/audit/{cpr}`,
  `/workflow`, `/programmes`, `/programmes/{name}`, `/projections/status`, `/users`,
  `/tokens`: what the CLI's `--format json` prints, typed by the same models
  (`cli.read_models`), which the OpenAPI document's components hold.

Commands run one at a time under a lock, each after the previous one's writes, so a
client always reads its own writes. The lock stays (measured under load by `python -m
bench --only load`): every append already takes the store's one append lock (the
log-wide hash chain), a command is CPU work in this one process under the GIL, and
`captured` redirects the process's stdout; running commands side by side would add
version-conflict retries and interleaved output, and gain no more than the overlap of
a few database round trips. More cores are used by more server processes on the one
store (the store's optimistic concurrency and command ids keep every command exactly
once; tested with two). A remote client's request id becomes the command id of a
write that names none, so a request sent again after a lost reply is not applied twice.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from server.bearer import BearerAuthenticator, Refused
from server.oidc import Identity
from server.out_files import OutFile, TooLarge, private_out

if TYPE_CHECKING:
    from cli.config import Config
    from projections.catalog import Views
    from server.tenants import Tenants
    from storage.store import StoreConfig
    from workflows.service import CourseService

LOG = logging.getLogger("forloeb.server")
MAX_BODY_BYTES = 1_000_000
"""The largest request body the server reads (a bigger one gets 413)."""
PEER_USER = "forloeb.peer_user"
"""The ASGI scope key the Unix-socket protocol sets to the connecting OS user's name."""


class CliRequest(BaseModel):
    """One command line to run as the authenticated user."""

    argv: list[str] = Field(max_length=200, description="the arguments after `forloeb`")
    columns: int = Field(default=80, ge=20, le=1000, description="the terminal's width")
    stdin: str | None = Field(
        default=None, description="the command's standard input (`import -`; prompts' answers)"
    )
    request_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=r"^[\x20-\x7e]+$",
        description="the client's id for this request: a write naming no command id records "
        "it as its command id, so the same request sent again is not applied twice",
    )


class CliReply(BaseModel):
    """What the command printed and its exit code, as the CLI would."""

    exit: int
    stdout: str
    stderr: str
    files: list[OutFile] = Field(
        default_factory=list,
        description="the files a command wrote under `--out`, which ran in a private "
        "temporary folder on the server: the client writes them where `--out` names",
    )


class ErrorReply(BaseModel):
    """A refusal: the CLI's one line and its exit code."""

    error: str
    exit: int


class ServerRefusal(Exception):
    """A request refused before or while running: the HTTP status, the line, the exit code."""

    def __init__(
        self, status: int, error: str, exit_code: int, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.exit_code = exit_code
        self.headers = headers or {}


@dataclass
class Served:
    """What the server keeps open: the store, its configuration, the service, the views."""

    store: StoreConfig
    config: Config
    service: CourseService
    views: Views
    authenticator: BearerAuthenticator
    lock: threading.Lock
    auth_config: dict[str, str] | None = None
    """What `GET /auth/config` tells `forloeb login`: the OpenID provider and client."""
    config_stamp: tuple[int, int] | None = None
    """The configuration file's (mtime, size) when `config` was read from it."""

    def current_config(self) -> Config:
        """The configuration as its file is now: users added or removed (by `forloeb users`
        on this server, or an edit) count from the next request, as for a new CLI process.
        A file that no longer loads is logged and the last good configuration kept."""
        from cli.config import load_config

        try:
            found = self.config.path.stat()
        except OSError:
            return self.config
        stamp = (found.st_mtime_ns, found.st_size)
        if stamp != self.config_stamp:
            self.config_stamp = stamp
            try:
                self.config = load_config(self.config.path)
            except Exception as error:
                LOG.warning("%s not reloaded, the last good one kept: %s", self.config.path, error)
        return self.config

    def route(self, identity: Identity) -> Served:
        """The store serving `identity`: this one, the only one (see `server.tenants`)."""
        return self

    def close(self) -> None:
        self.views.close()
        self.service.close()


def status_for(error: BaseException | None, code: int) -> int:
    """The HTTP status for a command's failure (its exit code's class)."""
    from domain.errors import CourseError, CourseNotFound, InvalidInput
    from workflows.access import NotAllowed

    if code == 0:
        return 200
    if isinstance(error, NotAllowed):
        return 403
    if isinstance(error, CourseNotFound):
        return 404
    if isinstance(error, InvalidInput) or code == 2:
        return 422
    if isinstance(error, CourseError) or code == 1:
        return 409
    return 500


@contextlib.contextmanager
def captured(columns: int, stdin: str = "") -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """stdout and stderr captured, stdin given, the terminal `columns` wide (under the
    served lock)."""
    out, err = io.StringIO(), io.StringIO()
    raw = stdin.encode("utf-8", errors="surrogateescape")
    given = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8")
    previous_stdin, sys.stdin = sys.stdin, given
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(columns)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield out, err
    finally:
        sys.stdin = previous_stdin
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous


def run_cli(
    served: Served,
    argv: list[str],
    principal: str,
    columns: int = 80,
    stdin: str = "",
    request_id: str | None = None,
) -> tuple[CliReply, int]:
    """Run `forloeb ARGV` as `principal` on the served store: its reply and HTTP status
    (`request_id`: the command id of a write that names none)."""
    from cli.context import AppContext
    from cli.errors import EXIT_BAD_INPUT
    from cli.main import forloeb
    from cli.remote_out import BadOut

    app = AppContext(
        actor=principal,
        principal=principal,
        request_id=request_id,
        _store=served.store,
        _config=served.config,
        _service=served.service,
        _views=served.views,
    )
    try:
        with private_out(argv) as redirected:
            with served.lock, captured(columns, stdin) as (out, err):
                app._config = served.current_config()
                forloeb.last_error = None
                code = forloeb.main(
                    redirected.argv, prog_name="forloeb", standalone_mode=False, obj=app
                )
                error = forloeb.last_error
                forloeb.last_error = None
            code = code if isinstance(code, int) else 0
            if code == 0:
                redirected.collect()
    except BadOut as refused:
        return CliReply(exit=EXIT_BAD_INPUT, stdout="", stderr=f"error: {refused}\n"), 400
    except TooLarge as too_large:
        return CliReply(exit=1, stdout="", stderr=f"error: {too_large}\n"), 413
    stdout, stderr = redirected.as_given(out.getvalue()), redirected.as_given(err.getvalue())
    reply = CliReply(exit=code, stdout=stdout, stderr=stderr, files=redirected.files)
    return reply, status_for(error, code)


def json_read(served: Served, principal: str, argv: list[str]) -> Any:
    """A read command's `--format json` output, or the refusal as a `ServerRefusal`."""
    reply, status = run_cli(served, [*argv, "--format", "json"], principal)
    if reply.exit != 0:
        raise ServerRefusal(status, one_line(reply.stderr), reply.exit)
    return json.loads(reply.stdout)


def one_line(stderr: str) -> str:
    """The CLI's error line without its `error: ` prefix."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    line = lines[-1] if lines else "refused"
    return line.removeprefix("error: ")


def authenticate(served: Served | Tenants, request: Request) -> tuple[Served, str]:
    """The forloeb user the request speaks for (the Unix socket's peer, else its token's),
    and the store serving them (their municipality's, on a server of several)."""
    peer = request.scope.get(PEER_USER)
    if isinstance(peer, str):
        return served.route(Identity(user=peer, subject=f"peer:{peer}")), peer
    client = request.client.host if request.client else "unknown"
    try:
        identity = served.authenticator.authenticate(request.headers.get("authorization"), client)
        return served.route(identity), identity.user
    except Refused as refusal:
        headers: dict[str, str] = {}
        if refusal.www_authenticate:
            headers["WWW-Authenticate"] = refusal.www_authenticate
        if refusal.retry_after is not None:
            headers["Retry-After"] = str(refusal.retry_after)
        return_line = refusal.reason
        if refusal.status == 401:
            return_line = f"not logged in: {refusal.reason}"
        raise ServerRefusal(refusal.status, return_line, 1, headers) from None


def command_schemas() -> dict[str, Any]:
    """The JSON schemas of every command model, for the OpenAPI document's components."""
    from pydantic.json_schema import models_json_schema

    from workflows.commands import COMMANDS_BY_NAME

    _, schema = models_json_schema(
        [(cls, "validation") for cls in COMMANDS_BY_NAME.values()],
        ref_template="#/components/schemas/{model}",
    )
    defs: dict[str, Any] = schema.get("$defs", {})
    return defs


def plain_reads() -> list[tuple[str, type[BaseModel], str, str, list[str]]]:
    """Each read that takes no parameter: path, response model, route name, what it
    answers, and the command it runs."""
    from cli import read_models as read
    from projections.pull import OutcomesPull

    return [
        ("/courses", read.CourseList, "courses", "The course list", ["courses"]),
        ("/caseload", read.CaseloadReport, "caseload", "Caseloads", ["caseload"]),
        ("/due", read.DueReport, "due", "What is due", ["due"]),
        ("/outcomes", OutcomesPull, "outcomes", "Outcomes", ["outcomes"]),
        ("/programmes", read.ProgrammeList, "programmes", "The programmes",
         ["programmes", "list"]),
        ("/projections/status", read.ProjectionsStatus, "projections_status",
         "The views' positions", ["projections", "status"]),
        ("/users", read.UserList, "users", "The users", ["users", "list"]),
        ("/tokens", read.TokenList, "tokens", "The access tokens", ["tokens", "list"]),
    ]  # fmt: skip


def plain_read(served: Served | Tenants, argv: list[str]) -> Callable[[Request], Any]:
    """The endpoint answering `forloeb ARGV --format json` as the authenticated user."""

    def answer(request: Request) -> Any:
        return json_read(*authenticate(served, request), argv)

    return answer


def read_schemas() -> dict[str, Any]:
    """The JSON schemas of every read command's output (`cli.read_models`), for the
    OpenAPI document's components: also those of the reads served only through /cli, and
    the write replies."""
    from pydantic.json_schema import models_json_schema

    from cli.read_models import READ_MODELS
    from cli.read_models.write_reply import WRITE_MODELS

    _, schema = models_json_schema(
        [(model, "serialization") for model in (READ_MODELS | WRITE_MODELS).values()],
        ref_template="#/components/schemas/{model}",
    )
    defs: dict[str, Any] = schema.get("$defs", {})
    return defs


def create_app(served: Served | Tenants) -> FastAPI:
    """The application serving `served`."""
    from cli import read_models as read
    from cli.read_models.write_reply import WriteReply

    api = FastAPI(
        title="forloeb",
        summary="Citizen courses (borgerforløb): every forloeb command and read, shared.",
        version="1",
        responses={
            401: {"model": ErrorReply, "description": "no token, or a refused one"},
            403: {"model": ErrorReply, "description": "the user may not do this"},
            413: {"model": ErrorReply, "description": "the request is too large"},
            429: {"model": ErrorReply, "description": "too many failed attempts"},
        },
    )

    @api.exception_handler(ServerRefusal)
    async def refused(_request: Request, refusal: ServerRefusal) -> JSONResponse:
        body = ErrorReply(error=refusal.error, exit=refusal.exit_code).model_dump()
        return JSONResponse(body, status_code=refusal.status, headers=refusal.headers)

    @api.post("/cli", response_model=CliReply, summary="Run one command line as the CLI does.")
    def cli(request: Request, body: CliRequest) -> JSONResponse:
        here, principal = authenticate(served, request)
        reply, status = run_cli(
            here, body.argv, principal, body.columns, body.stdin or "", body.request_id
        )
        return JSONResponse(reply.model_dump(), status_code=status)

    @api.post(
        "/commands",
        response_model=WriteReply,
        summary='Execute one import line ({"command": NAME, field: value, ...}).',
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "oneOf": [
                                {"$ref": f"#/components/schemas/{name}"}
                                for name in sorted(command_schemas())
                                if name in _command_class_names()
                            ]
                        }
                    }
                },
            }
        },
    )
    def commands(request: Request, line: dict[str, Any] = Body(...)) -> Any:  # noqa: B008
        return execute_line(*authenticate(served, request), line)

    @api.get("/auth/config", summary="Which OpenID provider `forloeb login` uses (no login).")
    def auth_config() -> Any:
        if served.auth_config is None:
            raise ServerRefusal(404, "this server accepts no OpenID provider's tokens", 1)
        return served.auth_config

    @api.get(
        "/courses/{ref}",
        response_model=read.CourseReport,
        summary="One course (as `forloeb show REF --format json`).",
    )
    def show(request: Request, ref: str) -> Any:
        return json_read(*authenticate(served, request), ["show", ref])

    for path, model, name, title, argv in plain_reads():
        api.add_api_route(
            path,
            plain_read(served, argv),
            methods=["GET"],
            response_model=model,
            name=name,
            summary=f"{title} (as `forloeb {' '.join(argv)} --format json`).",
        )

    @api.get(
        "/audit/{cpr}",
        response_model=read.AuditReport,
        summary="A citizen's audit (as `forloeb audit CPR --format json`).",
    )
    def audit(request: Request, cpr: str, purpose: str | None = None) -> Any:
        argv = ["audit", cpr, *(["--purpose", purpose] if purpose else [])]
        return json_read(*authenticate(served, request), argv)

    @api.get(
        "/workflow",
        response_model=read.Workflow,
        summary="States and moves (as `forloeb workflow --format json`).",
    )
    def workflow(request: Request, programme: str | None = None) -> Any:
        argv = ["workflow", *(["--programme", programme] if programme else [])]
        return json_read(*authenticate(served, request), argv)

    @api.get(
        "/programmes/{name}",
        response_model=read.ProgrammeReport,
        summary="One programme (as `forloeb programmes show NAME --format json`).",
    )
    def programme(request: Request, name: str) -> Any:
        return json_read(*authenticate(served, request), ["programmes", "show", name])

    original = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            document = original()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(command_schemas())
            schemas.update(read_schemas())
            api.openapi_schema = document
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]
    return BodyLimit(api)  # type: ignore[return-value]


def _command_class_names() -> set[str]:
    from workflows.commands import COMMANDS_BY_NAME

    return {cls.__name__ for cls in COMMANDS_BY_NAME.values()}


def execute_line(served: Served, principal: str, line: dict[str, Any]) -> Any:
    """Execute one import line as `forloeb NAME …` would; its outcome as the CLI's JSON."""
    from cli.context import AppContext
    from cli.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_REFUSED
    from cli.vocabulary import command_from_line
    from cli.write import run_write
    from domain.errors import CourseError, InvalidInput

    app = AppContext(
        actor=principal,
        principal=principal,
        _store=served.store,
        _config=served.config,
        _service=served.service,
        _views=served.views,
    )
    with served.lock, captured(80) as (out, _):
        app._config = served.current_config()
        try:
            if "actor" in line and isinstance(line["actor"], str):
                app.actor = line["actor"]  # an admin's line on someone's behalf
            command = command_from_line(line)
            run_write(app, command.model_copy(update={"actor": None}), "json")
        except (InvalidInput, CourseError) as error:
            code = EXIT_BAD_INPUT if isinstance(error, InvalidInput) else EXIT_REFUSED
            raise ServerRefusal(status_for(error, code), refusal_line(error), code) from None
        except Exception as error:
            from pydantic import ValidationError

            if isinstance(error, ValidationError):
                from domain.validation import first_error

                field, reason = first_error(error)
                raise ServerRefusal(422, f"{field}: {reason}", EXIT_BAD_INPUT) from None
            from cli.errors import write_trace

            path = write_trace(error)
            raise ServerRefusal(
                500,
                f"internal error: {type(error).__name__}; trace in the server's {path.name}",
                EXIT_INTERNAL,
            ) from None
    return json.loads(out.getvalue())


def refusal_line(error: BaseException) -> str:
    """The one line the CLI prints for a refusal (without `error: `)."""
    from cli.vocabulary import reason
    from domain.errors import CourseError

    return reason(error) if isinstance(error, CourseError) else str(error)


class BodyLimit:
    """ASGI middleware: a request body over MAX_BODY_BYTES gets 413, never read whole."""

    def __init__(self, app: FastAPI, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and (not value.isdigit() or int(value) > self.limit):
                await _too_large(send)
                return
        seen = 0

        async def limited() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(send)


class _TooLarge(Exception):
    pass


async def _too_large(send: Any) -> None:
    body = json.dumps({"error": f"request body over {MAX_BODY_BYTES} bytes", "exit": 2}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def print_openapi(served: Served | None = None) -> str:
    """The OpenAPI document as committed in docs/openapi.json."""
    api = create_app(served or _unserved())
    return json.dumps(api.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _unserved() -> Served:
    return Served(None, None, None, None, None, threading.Lock())  # type: ignore[arg-type]
