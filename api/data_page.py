"""``/data``: the plan as a workbook in the browser: download, upload, preview, publish.

Off unless an administrator's token is set (``UVTS_ADMIN_TOKEN`` or ``uvts serve
--admin-token``); without it the page says how to turn it on and every POST is refused.
With it:

* ``GET /data``: the page (download link, upload form);
* ``GET /data/arbetsbok.xlsx?plan=…``: the plan as an editable workbook;
* ``POST /data/granska`` (multipart: ``arbetsbok``, ``token``): the workbook is read
  (:func:`uvts.graph.workbook_import.read_plan_workbook`) into a staging folder; the page
  shows every error by cell, or a preview of exactly what will change (the diff);
* ``POST /data/publicera`` (``granskning``, ``token``, ``meddelande``): publishes the
  previewed folder (the versions module's ``publish`` when installed, otherwise the plan
  folder is replaced atomically) and reloads the app's store.

Every POST needs the token (compared with :func:`hmac.compare_digest`), is refused when it
comes from another origin (``Origin`` or ``Sec-Fetch-Site``), and uploads are size-limited.
Publishing holds a lock, so two uploads at once never interleave their writes.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import hmac
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from fastapi import File, Form, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .errors import ApiError

__all__ = ["make_router", "UPLOAD_LIMIT", "describe_change"]

UPLOAD_LIMIT = 10 * 1024 * 1024
_PUBLISH_LOCK = threading.Lock()
_ID = re.compile(r"^[0-9a-f]{64}$")


def _enabled(request: Request) -> bool:
    return bool(getattr(request.app.state.settings, "admin_token", None))


def _check_write(request: Request, token: str | None) -> None:
    """A write: same origin, the administrator's token (constant-time comparison)."""
    settings = request.app.state.settings
    if not getattr(settings, "admin_token", None):
        raise ApiError(403, "Sidan Data är avstängd. En administratör slår på den med UVTS_ADMIN_TOKEN.")
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise ApiError(403, "Ändringar tas bara emot från tjänstens egen sida (begäran kom från en annan webbplats).")
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        host = request.headers.get("host", "")
        if urlsplit(origin).netloc != host:
            raise ApiError(403, "Ändringar tas bara emot från tjänstens egen sida (begäran kom från en annan webbplats).")
    elif origin == "null":
        raise ApiError(403, "Ändringar tas bara emot från tjänstens egen sida.")
    given = (token or "").encode("utf-8")
    if not hmac.compare_digest(given, settings.admin_token.encode("utf-8")):
        raise ApiError(403, "Fel token. Skriv administratörens token (den som tjänsten startades med).")


def _uploads() -> Path:
    from uvts.graph.paths import state_dir

    return state_dir() / "uploads"


def describe_change(change: dict, names: dict) -> dict:
    """A change dict in Swedish words for the page (no ids: names and titles)."""
    from uvts.graph.plandiff import FIELD_SV, TYPE_SV

    try:  # the versions diff's Swedish field names, where it has them
        from uvts.graph.diff import FIELD_NAMES
        FIELD_SV = {**FIELD_SV, **FIELD_NAMES}
    except ImportError:
        pass

    what = TYPE_SV.get(change["type"], change["type"])
    name = names.get((change["type"], change["id"]), change["id"])
    kind = {"added": "Ny", "removed": "Borttagen", "changed": "Ändrad"}[change["kind"]]

    def show(v):
        if v is None or v == [] or v == "":
            return "(tomt)"
        if isinstance(v, bool):
            return "ja" if v else "nej"
        if isinstance(v, str) and ("any", v) in names:
            return names[("any", v)]
        if isinstance(v, list):
            return "; ".join(str(names.get(("any", x), x)) for x in v)
        if isinstance(v, dict):
            return ", ".join(f"{FIELD_SV.get(k, k)}: {show(x)}" for k, x in v.items() if x not in (None, [], {}))
        return str(v)

    out = {"kind": change["kind"], "heading": f"{kind} {what}: {name}",
           "field": FIELD_SV.get(change.get("field") or "", change.get("field") or ""),
           "before": show(change.get("before")), "after": show(change.get("after")), "href": None}
    if change["type"] == "intervention" and change["kind"] != "removed":
        out["href"] = f"/insatser/{change['id']}"
    return out


def _names(plans) -> dict:
    names: dict = {}
    for p in plans:
        for d, iv in p.interventions():
            names[("intervention", p.intervention_id(d, iv))] = f"{iv.title} ({d.name})"
        for d in p.departments:
            names[("department", d.id)] = names[("any", d.id)] = d.name
        for kind, items in (("actor", p.actors), ("forum", p.forums), ("place", p.places)):
            for item in items:
                names[(kind, item.id)] = names[("any", item.id)] = item.name
        for rf in p.risk_factors:
            names[("risk-factor", rf.id)] = names[("any", rf.id)] = rf.label.sv
        for lv in p.levels:
            names[("any", lv.id)] = lv.label.sv
        names[("plan", p.plan.id)] = p.plan.title
    return names


def _page(request: Request, status: int = 200, **context) -> HTMLResponse:
    from .pages import CSP, NAV, render

    if _enabled(request) and not context.get("plans_list"):
        context["plans_list"] = _plan_links(_current_plans(request))
    body = render("data.html", nav=NAV, active=None, q=None, plan=None, plans=[], title="Data",
                  plan_phrase="planerna", enabled=_enabled(request), **context)
    return HTMLResponse(body, status_code=status, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store",
                                                           "Referrer-Policy": "same-origin"})


def _plan_links(plans) -> list[dict]:
    return [{"href": "/data/arbetsbok.xlsx?" + urlencode({"plan": p.plan.id}), "name": p.plan.municipality.name,
             "title": p.plan.title} for p in plans]


def _served_dirs(request: Request) -> list[Path]:
    """The plan folders the app serves: the published version's copy, or the configured folders."""
    return list(getattr(request.app.state, "data_dirs", None) or request.app.state.settings.data_dirs())


def _current_plans(request: Request):
    from uvts.graph.load import load_plans

    return load_plans(_served_dirs(request))


def _defaults(**kw) -> dict:
    base = {"plans_list": [], "errors": None, "changes": None, "upload": None, "token": None, "file": None,
            "message": None, "published": None, "problem": None}
    base.update(kw)
    return base


def make_router(settings):
    from fastapi import APIRouter

    router = APIRouter(include_in_schema=False)

    @router.get("/data", response_class=HTMLResponse)
    async def data_page(request: Request):
        if not _enabled(request):
            return _page(request, **_defaults())
        plans = await asyncio.to_thread(_current_plans, request)
        return _page(request, **_defaults(plans_list=_plan_links(plans)))

    @router.get("/data/arbetsbok.xlsx")
    async def download(request: Request):
        if not _enabled(request):
            raise ApiError(403, "Sidan Data är avstängd. En administratör slår på den med UVTS_ADMIN_TOKEN.")
        plans = await asyncio.to_thread(_current_plans, request)
        wanted = request.query_params.get("plan")
        chosen = [p for p in plans if wanted in (None, p.plan.id)]
        if len(chosen) != 1:
            raise ApiError(404 if wanted else 400, "Välj en plan: ?plan=" + " eller ".join(p.plan.id for p in plans))
        from uvts.graph.workbook import workbook_bytes

        plan = chosen[0]
        version = getattr(getattr(request.app.state, "version", None), "id", None)
        data = await asyncio.to_thread(lambda: workbook_bytes(plan, version=version))
        name = re.sub(r"[^a-z0-9-]", "", plan.plan.id) + ".xlsx"
        return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})

    @router.post("/data/granska", response_class=HTMLResponse)
    async def preview(request: Request, arbetsbok: UploadFile = File(...), token: str = Form("")):
        try:
            _check_write(request, token)
        except ApiError as exc:
            return _page(request, exc.status, **_defaults(problem=exc.message))
        raw = await arbetsbok.read(UPLOAD_LIMIT + 1)
        if len(raw) > UPLOAD_LIMIT:
            return _page(request, 413, **_defaults(problem=f"Filen är för stor: högst {UPLOAD_LIMIT // (1024 * 1024)} MB "
                                                           "tas emot."))
        name = Path(arbetsbok.filename or "arbetsbok.xlsx").name or "arbetsbok.xlsx"
        try:
            staged, changes, file = await asyncio.to_thread(_stage, request, raw, name)
        except _Problems as exc:
            return _page(request, 422, **_defaults(errors=exc.lines, file=name))
        return _page(request, **_defaults(changes=changes, upload=staged, token=token, file=file,
                                          message=f"Ändringar från arbetsboken {file}"))

    @router.post("/data/publicera", response_class=HTMLResponse)
    async def publish(request: Request, granskning: str = Form(...), token: str = Form(""),
                      meddelande: str = Form("")):
        try:
            _check_write(request, token)
        except ApiError as exc:
            return _page(request, exc.status, **_defaults(problem=exc.message))
        if not _ID.match(granskning) or not (_uploads() / granskning / "plan" / "plan.yaml").exists():
            return _page(request, 404, **_defaults(problem="Granskningen finns inte längre; ladda upp arbetsboken igen."))
        message = " ".join(meddelande.split())[:500] or None
        try:
            result = await asyncio.to_thread(_publish, request, granskning, message)
        except _Problems as exc:
            return _page(request, 409, **_defaults(errors=exc.lines))
        version = result.pop("version_obj", None)
        if version is not None:
            from .live import switch_to

            if getattr(getattr(request.app.state, "version", None), "id", None) != version.id:
                await switch_to(request.app, version)  # served at once, not at the follower's next look
        else:
            await _reload(request.app)
        return _page(request, **_defaults(published=result))

    return router


class _Problems(Exception):
    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def _stage(request: Request, raw: bytes, name: str):
    """Read the upload into ``uploads/<sha256>/plan``; return (id, described changes, file name)."""
    import hashlib

    from uvts.graph.errors import DataError
    from uvts.graph.load import load_plan
    from uvts.graph.plandiff import diff_plans
    from uvts.graph.workbook_import import import_workbook

    sha = hashlib.sha256(raw).hexdigest()
    folder = _uploads() / sha
    try:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        import_workbook(folder / name, folder / "plan", name=name, raw=raw)
    except DataError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise _Problems([str(p) for p in exc.problems]) from None
    after = load_plan(folder / "plan")
    current = _current_plans(request)
    before = [p for p in current if p.plan.id == after.plan.id]
    if not before:
        shutil.rmtree(folder, ignore_errors=True)
        raise _Problems([f"{name}: planen '{after.plan.title}' finns inte bland tjänstens planer; arbetsboken måste "
                         "komma från en av dem (ladda ned den här)"])
    changes = diff_plans(before, [after])
    names = _names(before) | _names([after])
    (folder / "name.txt").write_text(name, encoding="utf-8")
    return sha, [describe_change(c, names) for c in changes], name


def _publish(request: Request, upload: str, message: str | None) -> dict:
    """Publish the previewed folder: it replaces its plan's configured folder (atomically), and with
    versions (issue 13) the served plans are published as a new version under the versions lock."""
    from uvts.graph.load import load_plan
    from uvts.graph.workbook_cli import publish_dirs

    from .live import is_versioned

    settings = request.app.state.settings
    folder = _uploads() / upload
    staged = folder / "plan"
    name = (folder / "name.txt").read_text(encoding="utf-8") if (folder / "name.txt").exists() else "arbetsbok.xlsx"
    with _PUBLISH_LOCK:
        plan = load_plan(staged)
        target = None
        for d in settings.data_dirs():
            try:
                if load_plan(d).plan.id == plan.plan.id:
                    target = Path(d)
            except Exception:
                continue
        if target is not None:  # the configured folder holds the plan: it gets the new data
            incoming = target.parent / f".{target.name}.incoming-{os.getpid()}"
            old = target.parent / f".{target.name}.previous-{os.getpid()}"
            for leftover in (incoming, old):
                if leftover.exists():
                    shutil.rmtree(leftover)
            shutil.copytree(staged, incoming)
            os.replace(target, old)
            os.replace(incoming, target)
            shutil.rmtree(old, ignore_errors=True)
        version = None
        if is_versioned(settings):
            from uvts.graph import versions

            source = target if target is not None else staged
            version, _created = versions.publish(publish_dirs(_served_dirs(request), source), message=message,
                                                 source={"kind": "workbook", "name": name, "sha256": upload})
        elif target is None:
            raise _Problems([f"planen '{plan.plan.title}' finns inte bland tjänstens planmappar"])
        shutil.rmtree(folder, ignore_errors=True)
    return {"title": plan.plan.title, "version": version.id if version else None, "version_obj": version,
            "message": message, "when": _dt.datetime.now().strftime("%Y-%m-%d %H:%M")}


async def _reload(app) -> None:
    """Reopen the app's store on the published data (the catalogues are made again on use)."""
    from uvts.graph.store import open_store

    settings = app.state.settings
    store, _ = await asyncio.to_thread(open_store, settings.data_dirs(), settings.store, settings.store_path, False)
    old = app.state.store
    app.state.store = store
    if hasattr(app.state, "catalogs"):
        del app.state.catalogs
    try:
        old.close()
    except Exception:
        pass
