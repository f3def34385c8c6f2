"""Start granian with Django loaded once, before granian forks its workers.

    python -m config.serve --interface wsgi config.wsgi:application --workers 2 …

Every option is granian's own, passed on unchanged. Run as plain `granian`, each worker imports
Django, the URLs, the templates and the libraries behind them after the fork, and holds its own
copy of all of it. Loaded here first, in the supervisor, the workers inherit those pages and share
them copy-on-write. Granian has no option for this (its issues #154 and #809). What it loaded
is then made immortal and frozen, so that the workers write to as few of those pages as they can.

Only what is safe to fork is done here: nothing opens a database or cache connection, a socket
or a thread. `preload()` checks that before handing over to granian.

What changes with it:
- The application is always `config.wsgi`, and the settings are read from the environment
  before granian starts: `--env-files` no longer reaches Django.
- New code or settings take a restart. Granian's SIGHUP forks new workers from the supervisor,
  which still holds the code it loaded; `--reload` is for development, which runs
  `manage.py runserver` instead.
- A template that does not compile stops the server at start, not on the first page that uses
  it.
"""

import contextlib
import ctypes
import gc
import multiprocessing
import os
import pkgutil
import sys
import sysconfig
import threading
from importlib import import_module
from pathlib import Path

from granian.cli import entrypoint

# The project's own packages whose modules the web serves; their management commands,
# migrations and tests are never imported by a request.
APPS = ("config", "letters", "signatories")
NOT_SERVED = frozenset({"management", "migrations", "demo"})
TEMPLATE_SUFFIXES = (".html", ".txt", ".svg", ".xml")


def preload():
    """Import and compile what a request would, then freeze it for the workers to share."""
    from django.urls import get_resolver

    # Sockets the process was started with are not ours to refuse: under systemd, standard
    # output and error are a socket to the journal.
    inherited = open_sockets()
    from config.wsgi import application  # noqa: F401 (runs django.setup())

    import_served_modules()
    # The first {% url %} fills the whole resolver, importing every view module behind it.
    get_resolver().reverse_dict  # noqa: B018
    compile_templates()
    load_first_request_parts()
    refuse_open_resources(inherited=inherited)
    gc.collect()
    immortalize()
    # A full collection in a worker writes to the header of every object it walks, and so
    # copies nearly every shared page: in a process forked after preload(), one gc.collect()
    # took its private memory from 1 to 45 MB, and left it at 1 MB with the objects frozen.
    gc.freeze()
    # Granian starts its workers with the interpreter's default method and replaces any other
    # than fork with spawn (Python 3.14 defaults to forkserver on Linux). A spawned worker
    # imports Django again: the supervisor's copy would only add to the memory.
    multiprocessing.set_start_method("fork", force=True)


def immortalize():
    """Make the objects preloading left immortal, so that no worker writes their reference counts.

    A worker writes the reference count of every object a request touches, and each write
    copies the shared page the object is on into that worker; a page both workers have written
    is held three times, the supervisor keeping the original. CPython never writes the count of
    an immortal object (PEP 683; the patch it grew from, bpo-40255 "Fixing Copy on Writes from
    reference counting", made the collector's objects immortal before a fork, as here).

    Made here: every object the collector tracks (modules' dicts, classes, functions, templates,
    compiled URL patterns; all of them live after gc.collect()) and the untracked objects they
    refer to directly (code objects, strings, numbers). They are never freed, which is what
    they were loaded for. Measured with bench/run.py --skip-seed, peak PSS of the three web
    processes during the CSV after every endpoint: 150-157 MB without, 136-137 with the tracked
    objects alone, 133-134 with both.

    Returns how many objects; 0 where this interpreter does not keep such a count unchanged.
    """
    if not immortal_count_holds():
        return 0
    objects = gc.get_objects()
    for obj in objects:
        set_reference_count(obj, IMMORTAL_REFERENCE_COUNT)
    made = len(objects)
    for obj in objects:
        for referent in gc.get_referents(obj):
            if not gc.is_tracked(referent) and not is_immortal(referent):
                set_reference_count(referent, IMMORTAL_REFERENCE_COUNT)
                made += 1
    return made


# CPython's count for an immortal object on 64-bit builds since 3.12 (_Py_IMMORTAL_REFCNT):
# Py_INCREF and Py_DECREF leave an object with this count as it is.
IMMORTAL_REFERENCE_COUNT = 0xFFFFFFFF


def set_reference_count(obj, count):
    # ob_refcnt is the first field of every object in CPython's default (GIL) build.
    ctypes.c_ssize_t.from_address(id(obj)).value = count


def is_immortal(obj):
    # Only the count can say so before Python 3.14's sys._is_immortal().
    return sys.getrefcount(obj) == IMMORTAL_REFERENCE_COUNT


def immortal_count_holds():
    """Does this interpreter keep IMMORTAL_REFERENCE_COUNT as an immortal object's count?

    The gate is what makes the write safe: the object layout (the count as the first, whole
    field) is that of CPython 3.12 and 3.13's default 64-bit build. The free-threaded build
    counts references another way, a debug build may put other fields first, 3.14 keeps flags
    in the upper half of the field, and other implementations have no such field; a newer
    Python needs this looked at again (and measured) before it is let through. The probe then
    checks that new references leave such a count as it is.
    """
    if (
        sys.implementation.name != "cpython"
        or not (3, 12) <= sys.version_info[:2] <= (3, 13)
        or sys.maxsize < 2**32
        or sysconfig.get_config_var("Py_GIL_DISABLED")
        or hasattr(sys, "gettotalrefcount")
    ):
        return False
    probe = object()
    set_reference_count(probe, IMMORTAL_REFERENCE_COUNT)
    references = [probe, probe, probe]
    held = sys.getrefcount(probe)
    del references
    return held == sys.getrefcount(probe) == IMMORTAL_REFERENCE_COUNT


def import_served_modules():
    for app in APPS:
        package = import_module(app)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if NOT_SERVED.isdisjoint(module.name.split(".")):
                import_module(module.name)


def compile_templates():
    """Compile the project's templates into the engines' cached loaders.

    Those of installed apps (the admin, allauth's defaults) are left to the first request
    that needs one.
    """
    from django.template import engines

    for engine in engines.all():
        for directory in engine.dirs:
            for path in directory.rglob("*"):
                if path.is_file() and path.suffix in TEMPLATE_SUFFIXES:
                    engine.get_template(str(path.relative_to(directory)))


def load_first_request_parts():
    """What Django and the libraries load on a first request rather than at setup."""
    from django.conf import settings
    from django.core.cache import caches
    from django.template import engines
    from django.utils import formats, translation
    from django.utils.module_loading import import_string

    from signatories.domains import registrable_domain

    for alias in settings.CACHES:
        # The backend's client: for Redis, it imports redis-py (about 60 modules, 6 MB) and
        # opens no connection until its first command.
        getattr(caches[alias], "_cache", None)
    for engine in engines.all():
        engine.engine.template_context_processors  # noqa: B018 (imports them)
    import_string(settings.MESSAGE_STORAGE)
    import_string(settings.SESSION_SERIALIZER)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):  # reads the language's catalogs
            formats.get_format("DATE_FORMAT")  # imports its format module
    registrable_domain("example.org")  # reads tldextract's bundled public suffix list


def refuse_open_resources(*, inherited=None):
    """Fail before forking if preloading left a thread, a connection or a socket behind.

    A connection or a socket opened here would be shared by every worker after the fork, and a
    thread (a connection pool's, say) would be missing from them. `inherited` are the sockets
    the process had before preloading.
    """
    from django.db import connections

    main = threading.main_thread()
    left = []
    if threads := [thread.name for thread in threading.enumerate() if thread is not main]:
        left.append(f"threads {threads}")
    if opened := [alias for alias in connections if connections[alias].connection is not None]:
        left.append(f"database connections {opened}")
    if sockets := open_sockets().items() - (inherited or {}).items():
        left.append(f"sockets {dict(sorted(sockets))} (descriptor: inode)")
    if left:
        raise RuntimeError(f"preloading left {', '.join(left)} open; granian would fork them")


def open_sockets():
    """{descriptor: "socket:[inode]"} for the process's open sockets (from Linux's /proc)."""
    descriptors = Path("/proc/self/fd")
    if not descriptors.is_dir():
        return {}
    sockets = {}
    for descriptor in descriptors.iterdir():
        with contextlib.suppress(OSError):  # the listing's own descriptor is closed by now
            if (target := os.readlink(descriptor)).startswith("socket:"):
                sockets[int(descriptor.name)] = target
    return sockets


if __name__ == "__main__":
    preload()
    sys.exit(entrypoint())
