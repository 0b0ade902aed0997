"""Run a user's own SPARQL (``uvts query --sparql``) guarded like the web service does.

The same checks as the endpoint (:mod:`uvts.graph.sparqlguard`: size limits, no ``SERVICE``,
``LOAD`` or ``FROM`` of a graph the store does not have) and then the query itself in a child
process under a memory limit (:mod:`uvts.graph.guarded`), so a crash of the engine becomes a
Swedish message and exit code 1, never a dead process.
"""

from __future__ import annotations

from .guarded import run_guarded
from .plans import plan_scope, select_in_plan
from .sparqlguard import inspect_query, refuse_unknown_graphs
from .store import SelectResult

__all__ = ["run_user_select", "check_user_query"]


def check_user_query(store, query: str, plan: str | None = None) -> None:
    """Refuse (:class:`~uvts.graph.sparqlguard.SparqlRefusal`) what the web service refuses, with its words."""
    info = inspect_query(query)
    if info.has_dataset:
        scope = plan_scope(store, plan)
        refuse_unknown_graphs([*info.from_graphs, *info.from_named], store.graphs() if scope is None else scope)


def _select(store, query: str, plan: str | None, limit: int | None) -> SelectResult:
    return select_in_plan(store, query, plan, None, limit=limit)


def run_user_select(store, query: str, plan: str | None = None, limit: int | None = None,
                    memory_mb: int | None = None) -> SelectResult:
    """Check ``query`` and run it (SELECT or ASK) in a guarded child process."""
    check_user_query(store, query, plan)
    path = getattr(store, "path", None)
    if getattr(store, "kind", None) == "oxigraph" and path is not None:
        # An on-disk store is not safe to use across fork (its engine has threads and locks):
        # the child opens it again, read-only.
        store.close()
        return run_guarded(_select_on_disk, str(path), query, plan, limit, memory_mb=memory_mb)
    return run_guarded(_select, store, query, plan, limit, memory_mb=memory_mb)


def _select_on_disk(path: str, query: str, plan: str | None, limit: int | None) -> SelectResult:
    from .store import OxigraphStore

    return select_in_plan(OxigraphStore(path, read_only=True), query, plan, None, limit=limit)
