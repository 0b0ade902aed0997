"""Settings of the web service, from the environment (``UVTS_*``) and the command line.

A plain frozen dataclass: nothing is read at import time. :meth:`Settings.from_env`
reads the environment; keyword arguments override it (``uvts serve`` passes the options
the user gave). Every value is checked, and a bad one raises :class:`SettingsError`
with a Swedish message that names the variable.

=========================  ==========================================  ===============
environment variable       meaning                                     default
=========================  ==========================================  ===============
``UVTS_DATA``              plan folders, separated by ``os.pathsep``   the repo's data/
``UVTS_STORE``             ``oxigraph``, ``memory``, ``rdflib`` or     ``oxigraph``
                           ``sparql+http://HOST:PORT/PATH``
``UVTS_STORE_PATH``        folder of the embedded store                ``.uvts/store``
``UVTS_QUERY_TIMEOUT``     seconds a SPARQL query may run              ``10``
``UVTS_RESULT_LIMIT``      most rows (or triples) in one answer        ``10000``
``UVTS_UPDATE_TOKEN``      enables SPARQL Update for this bearer token (off)
``UVTS_ADMIN_TOKEN``       enables the /data page (workbook upload and publish) for this token (off)
``UVTS_CORS_ORIGINS``      comma-separated origins allowed by CORS     (none)
``UVTS_MAX_BODY``          largest request body in bytes               ``1000000``
``UVTS_QUERY_WORKERS``     worker processes that run SPARQL queries    ``3``
``UVTS_QUERY_MEMORY``      MB of memory one SPARQL query may take      ``1024``
                           (0: no limit)
``UVTS_CLIENT_QUERIES``    SPARQL queries one client may run at once   ``2`` (1 with
                                                                       one worker)
``UVTS_PUBLIC_URL``        the endpoint's public URL (``sd:endpoint``,  the listening
                           base IRI of queries)                        address + /sparql
=========================  ==========================================  ===============
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Mapping

__all__ = ["Settings", "SettingsError", "ENV_PREFIX"]

ENV_PREFIX = "UVTS_"


class SettingsError(ValueError):
    """A setting has a value the service cannot use (the message is Swedish)."""


@dataclass(frozen=True)
class Settings:
    """Everything the app factory needs to know; see the module docstring for the variables."""

    data: tuple[Path, ...] = ()
    store: str = "oxigraph"
    store_path: Path | None = None
    query_timeout: float = 10.0
    result_limit: int = 10_000
    update_token: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_body: int = 1_000_000
    query_workers: int = 3
    rebuild: bool = False
    query_memory: int = 1024
    client_queries: int | None = None
    public_url: str | None = None
    admin_token: str | None = None   # turns on /data (download, upload, publish); every write needs it

    def __post_init__(self):
        from uvts.graph.store import STORE_KINDS

        object.__setattr__(self, "data", tuple(Path(p) for p in self.data))
        object.__setattr__(self, "cors_origins", tuple(self.cors_origins))
        if self.store_path is not None:
            object.__setattr__(self, "store_path", Path(self.store_path))
        if self.update_token == "":
            object.__setattr__(self, "update_token", None)
        remote = self.store.startswith(("sparql+http://", "sparql+https://"))
        if self.store not in STORE_KINDS and not remote:
            raise SettingsError(f"UVTS_STORE: okänd lagringstyp '{self.store}'; välj en av {', '.join(STORE_KINDS)} "
                                f"eller en SPARQL-server som sparql+http://VÄRD:PORT/sparql")
        if not self.query_timeout > 0:
            raise SettingsError(f"UVTS_QUERY_TIMEOUT: tidsgränsen måste vara större än 0 sekunder, fick {self.query_timeout}")
        if self.result_limit < 1:
            raise SettingsError(f"UVTS_RESULT_LIMIT: radgränsen måste vara minst 1, fick {self.result_limit}")
        if self.max_body < 1024:
            raise SettingsError(f"UVTS_MAX_BODY: gränsen för en begärans storlek måste vara minst 1024 byte, "
                                f"fick {self.max_body}")
        if not 1 <= self.query_workers <= 64:
            raise SettingsError(f"UVTS_QUERY_WORKERS: antalet frågeprocesser måste vara 1–64, fick {self.query_workers}")
        if self.query_memory < 0:
            raise SettingsError(f"UVTS_QUERY_MEMORY: minnesgränsen (megabyte) kan inte vara negativ, fick "
                                f"{self.query_memory}")
        if self.client_queries is not None and not 1 <= self.client_queries <= 64:
            raise SettingsError(f"UVTS_CLIENT_QUERIES: antalet samtidiga frågor per klient måste vara 1–64, fick "
                                f"{self.client_queries}")
        if self.public_url is not None and not self.public_url.startswith(("http://", "https://")):
            raise SettingsError(f"UVTS_PUBLIC_URL: slutpunktens adress måste börja med http:// eller https://, fick "
                                f"{self.public_url!r}")
        if self.admin_token == "":
            object.__setattr__(self, "admin_token", None)
        if self.admin_token is not None and len(self.admin_token) < 12:
            raise SettingsError("UVTS_ADMIN_TOKEN: administratörens token måste ha minst 12 tecken")
        if self.update_token is not None and len(self.update_token) < 8:
            raise SettingsError("UVTS_UPDATE_TOKEN: token för uppdateringar måste ha minst 8 tecken")

    # --- derived values ---------------------------------------------------------------

    def data_dirs(self) -> list[Path]:
        """The plan folders: the configured ones (a folder of plan folders stands for each of
        them), or the repository's data/."""
        from uvts.graph.paths import DEFAULT_DATA, plan_folders

        return plan_folders(list(self.data) or [DEFAULT_DATA])

    def embedded_store_path(self) -> Path:
        """Where the embedded (pyoxigraph) store lives on disk."""
        from uvts.graph.paths import state_dir

        return self.store_path or state_dir() / "store"

    @property
    def updates_enabled(self) -> bool:
        return self.update_token is not None

    def with_overrides(self, **overrides) -> "Settings":
        """A copy with the given fields replaced; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    # --- reading the environment ------------------------------------------------------------

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Settings from ``UVTS_*`` variables, then ``overrides`` (those that are not ``None``)."""
        env = os.environ if environ is None else environ
        values: dict = {}

        def get(name: str) -> str | None:
            raw = env.get(ENV_PREFIX + name)
            return raw.strip() if raw is not None and raw.strip() != "" else None

        if (raw := get("DATA")) is not None:
            values["data"] = tuple(Path(p) for p in raw.split(os.pathsep) if p)
        if (raw := get("STORE")) is not None:
            values["store"] = raw
        if (raw := get("STORE_PATH")) is not None:
            values["store_path"] = Path(raw)
        if (raw := get("QUERY_TIMEOUT")) is not None:
            values["query_timeout"] = _number("UVTS_QUERY_TIMEOUT", raw, float)
        if (raw := get("RESULT_LIMIT")) is not None:
            values["result_limit"] = _number("UVTS_RESULT_LIMIT", raw, int)
        if (raw := env.get(ENV_PREFIX + "UPDATE_TOKEN")) is not None and raw.strip():
            values["update_token"] = raw.strip()
        if (raw := get("ADMIN_TOKEN")) is not None:
            values["admin_token"] = raw
        if (raw := get("CORS_ORIGINS")) is not None:
            values["cors_origins"] = tuple(o.strip() for o in raw.split(",") if o.strip())
        if (raw := get("MAX_BODY")) is not None:
            values["max_body"] = _number("UVTS_MAX_BODY", raw, int)
        if (raw := get("QUERY_WORKERS")) is not None:
            values["query_workers"] = _number("UVTS_QUERY_WORKERS", raw, int)
        if (raw := get("QUERY_MEMORY")) is not None:
            values["query_memory"] = _number("UVTS_QUERY_MEMORY", raw, int)
        if (raw := get("CLIENT_QUERIES")) is not None:
            values["client_queries"] = _number("UVTS_CLIENT_QUERIES", raw, int)
        if (raw := get("PUBLIC_URL")) is not None:
            values["public_url"] = raw
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _number(name: str, raw: str, kind):
    try:
        return kind(raw)
    except ValueError:
        what = "ett heltal" if kind is int else "ett tal"
        raise SettingsError(f"{name}: förväntade {what}, fick {raw!r}") from None
