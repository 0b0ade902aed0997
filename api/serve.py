"""``uvts serve``: run the web service with uvicorn.

Options given on the command line override the ``UVTS_*`` environment variables
(see :mod:`uvts.api.settings`). The store is built, when the data has changed, before
the server starts, so that data errors are reported like in every other command.
FastAPI and uvicorn are imported only when the command runs.
"""

from __future__ import annotations

import argparse

__all__ = ["add_commands", "cmd_serve", "settings_from_args"]


def add_commands(subparsers, add_common) -> None:
    p = subparsers.add_parser("serve", help="starta webbtjänsten (SPARQL-slutpunkt på /sparql)",
                              description="Startar webbtjänsten med uvicorn. Flaggor går före miljövariablerna "
                                          "UVTS_*.")
    add_common(p)
    p.add_argument("--host", default="127.0.0.1", help="adress att lyssna på (standard 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port att lyssna på (standard 8000)")
    p.add_argument("--store-path", type=str, metavar="MAPP",
                   help="mapp för den inbäddade lagringen (UVTS_STORE_PATH; standard .uvts/store)")
    p.add_argument("--query-timeout", type=float, metavar="SEKUNDER",
                   help="tidsgräns för en SPARQL-fråga (UVTS_QUERY_TIMEOUT; standard 10)")
    p.add_argument("--result-limit", type=int, metavar="RADER",
                   help="högsta antal rader eller tripler i ett svar (UVTS_RESULT_LIMIT; standard 10000)")
    p.add_argument("--cors-origin", action="append", metavar="URSPRUNG",
                   help="tillåt anrop från denna webbplats, t.ex. https://exempel.se (kan anges flera gånger; "
                        "UVTS_CORS_ORIGINS)")
    p.add_argument("--max-body", type=int, metavar="BYTE",
                   help="största tillåtna storlek på en begäran (UVTS_MAX_BODY; standard 1000000)")
    p.add_argument("--query-workers", type=int, metavar="ANTAL",
                   help="antal processer som kör SPARQL-frågor (UVTS_QUERY_WORKERS; standard 3)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"],
                   help="uvicorns loggnivå (standard info)")
    # The update token is read from the environment (UVTS_UPDATE_TOKEN) or a file, never from
    # the command line, where other users of the machine could read it in the process list.
    p.add_argument("--update-token-file", type=str, metavar="FIL",
                   help="slå på SPARQL Update med token ur FIL (annars UVTS_UPDATE_TOKEN)")
    p.add_argument("--admin-token", type=str, metavar="TOKEN",
                   help="slå på sidan /data (ladda upp och publicera arbetsboken) med denna token (annars UVTS_ADMIN_TOKEN)")
    p.set_defaults(func=cmd_serve)


def settings_from_args(args: argparse.Namespace, environ=None):
    """The service's settings: the environment, overridden by the options that were given."""
    from .settings import Settings

    token = None
    if getattr(args, "update_token_file", None):
        with open(args.update_token_file, encoding="utf-8") as f:
            token = f.read().strip()
    return Settings.from_env(
        environ,
        data=tuple(args.data) if args.data else None,
        store=args.store,  # add_common's --store already defaults to UVTS_STORE
        store_path=args.store_path,
        query_timeout=args.query_timeout,
        result_limit=args.result_limit,
        cors_origins=tuple(args.cors_origin) if args.cors_origin else None,
        max_body=args.max_body,
        query_workers=args.query_workers,
        update_token=token,
        admin_token=getattr(args, "admin_token", None),
        rebuild=bool(getattr(args, "rebuild", False)) or None,
    )


def cmd_serve(args) -> int:
    import sys

    from uvts.graph.store import open_store

    from .settings import SettingsError

    try:
        settings = settings_from_args(args)
    except SettingsError as exc:
        print(f"fel: {exc}", file=sys.stderr)
        return 2
    from .live import initial_publish, is_versioned

    if is_versioned(settings):
        # Publish the configured data now (as uvts build would), so that data errors are reported
        # as by other commands; with an earlier version to serve, bad data leaves that one served.
        version, error = initial_publish(settings)
        if error is not None:
            print(f"varning: data kunde inte publiceras; tjänsten visar version {version.id}:", file=sys.stderr)
            for problem in error.problems:
                print(f"  {problem}", file=sys.stderr)
        print(f"Tjänsten visar version {version.id} ({version.triples} tripler) och byter när en ny publiceras.",
              flush=True)
        settings = settings.with_overrides(rebuild=False, data=())
    else:
        # Build (or check) the store now, so that data errors are reported as by other commands;
        # the server's lifespan then finds it ready.
        store, built = open_store(settings.data_dirs(), settings.store, settings.store_path, settings.rebuild)
        print(("Grafen byggdes" if built else "Grafen var redan byggd") + f": {len(store)} tripler.", flush=True)
        store.close()
        del store
    if settings.store == "oxigraph":
        settings = settings.with_overrides(rebuild=False)
    import uvicorn

    from .app import create_app

    app = create_app(settings)
    print(f"SPARQL-slutpunkten: http://{_host_for_url(args.host)}:{args.port}/sparql", flush=True)
    from .http_layer import ErrorShapeH11Protocol

    # h11 with the HTTP layer's own errors (URL too long, unreadable request) in the error shape.
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, http=ErrorShapeH11Protocol)
    return 0


def _host_for_url(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
