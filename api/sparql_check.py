"""The endpoint's checks of a request: see :mod:`uvts.graph.sparqlguard`, where they live so that
the library and the command line refuse the same queries with the same messages."""

from uvts.graph import sparqlguard as _guard
from uvts.graph.sparqlguard import *  # noqa: F401,F403
from uvts.graph.sparqlguard import __all__  # noqa: F401

CACHE_SIZE = _guard.CACHE_SIZE
CACHE_MAX_TEXT = _guard.CACHE_MAX_TEXT
_CACHE = _guard._CACHE
