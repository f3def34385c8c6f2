"""The launcher that loads Django before granian forks its workers (config/serve.py)."""

import json
import os
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.serve import immortal_count_holds, immortalize, open_sockets, refuse_open_resources
from tests.production import free_port, site_env, start_web, wait_until_ready

# Runs preload() in a process of its own: it freezes that process's garbage collector.
PRELOAD = """
import json, multiprocessing, sys, threading
from config.serve import preload
preload()
from django.db import connections
from django.template import engines
loader = engines["django"].engine.template_loaders[0]

# Is obj's reference count the same after three more references to it?
def count_unchanged(obj):
    before = sys.getrefcount(obj)
    references = [obj, obj, obj]
    return sys.getrefcount(obj) == before

from django.conf import settings
from django.urls import get_resolver
from signatories import views
used_by_requests = {
    "a view function": views.sign,
    "its code": views.sign.__code__,
    "the URL resolver": get_resolver(),
    "the settings' values": settings._wrapped.__dict__,
    "a compiled template": loader.get_template("letters/detail.html"),
    "a module's namespace": vars(views),
}
print(json.dumps({
    "unwritten_counts": {name: count_unchanged(obj) for name, obj in used_by_requests.items()},
    "new_object_count_unchanged": count_unchanged([]),
    "threads": threading.active_count(),
    "connections": [alias for alias in connections if connections[alias].connection],
    "modules": sorted(sys.modules),
    "templates": sorted(key for key in loader.get_template_cache),
    "start_method": multiprocessing.get_start_method(),
}))
"""


def preloaded(**env):
    """What a process holds after preload(), run with these environment variables added."""
    result = subprocess.run(
        [sys.executable, "-c", PRELOAD],
        cwd=settings.BASE_DIR,
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_preload_loads_what_a_request_would_and_leaves_nothing_open():
    loaded = preloaded()

    assert loaded["threads"] == 1
    assert loaded["connections"] == []
    # Granian forks the workers from this process only with this method.
    assert loaded["start_method"] == "fork"
    # Views behind the URLs, the public suffix list's library, the messages storage.
    assert {"letters.views", "signatories.views", "tldextract", "allauth.account.views"} <= set(
        loaded["modules"]
    )
    assert "django.contrib.messages.storage.fallback" in loaded["modules"]
    assert {"letters/detail.html", "base.html", "emails/confirm-body.txt"} <= set(
        loaded["templates"]
    )


@pytest.mark.skipif(
    not immortal_count_holds(), reason="immortal counts as CPython 3.12 and 3.13 keep them"
)
def test_preload_leaves_what_requests_use_immortal_so_no_worker_writes_its_count():
    loaded = preloaded()

    # Immortal (PEP 683): a worker's references to them write nothing to the shared pages.
    assert loaded["unwritten_counts"] == dict.fromkeys(loaded["unwritten_counts"], True)
    # What is made after preloading is counted as usual, and freed.
    assert loaded["new_object_count_unchanged"] is False


@pytest.mark.parametrize(
    "interpreter",
    [
        {"version_info": (3, 14, 0)},
        {"config": {"Py_GIL_DISABLED": 1}},
        {"debug_build": True},
    ],
    ids=["Python 3.14", "free-threaded", "debug build"],
)
def test_nothing_is_made_immortal_where_the_count_is_laid_out_otherwise(monkeypatch, interpreter):
    if "version_info" in interpreter:
        monkeypatch.setattr(sys, "version_info", interpreter["version_info"])
    if "config" in interpreter:
        monkeypatch.setattr(sysconfig, "get_config_var", interpreter["config"].get)
    if interpreter.get("debug_build"):
        monkeypatch.setattr(sys, "gettotalrefcount", lambda: 0, raising=False)
    probe = object()
    before = sys.getrefcount(probe)

    assert immortalize() == 0
    assert sys.getrefcount(probe) == before


def test_preload_loads_the_redis_client_without_connecting():
    loaded = preloaded(CACHE_URL="redis://127.0.0.1:6379/0")

    # preload() itself fails on an open socket; this says the client library was loaded.
    assert "redis.client" in loaded["modules"]
    assert loaded["threads"] == 1


def test_preload_refuses_to_fork_with_a_database_connection_open(db):
    connection.ensure_connection()

    with pytest.raises(RuntimeError, match=r"database connections \['default'\]"):
        refuse_open_resources()


def test_preload_refuses_to_fork_with_a_thread_running():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="left-behind")
    thread.start()
    try:
        with pytest.raises(RuntimeError, match="left-behind"):
            refuse_open_resources()
    finally:
        stop.set()
        thread.join()


def test_preload_accepts_the_sockets_it_starts_with_as_under_systemd():
    # systemd connects a service's standard output and error to the journal with a socket.
    ours, theirs = socket.socketpair()
    with ours:
        with theirs:
            process = subprocess.Popen(
                [sys.executable, "-c", PRELOAD], cwd=settings.BASE_DIR, stdout=theirs, stderr=theirs
            )
        ours.settimeout(60)  # a preload that hangs fails the test instead of holding it
        with ours.makefile("rb") as output:
            lines = output.read().decode().splitlines()
    assert process.wait(timeout=60) == 0, lines
    assert json.loads(lines[-1])["threads"] == 1


def test_preload_refuses_to_fork_with_a_socket_it_opened():
    inherited = open_sockets()
    with socket.socket() as sock:
        assert sock.fileno() in open_sockets()
        with pytest.raises(RuntimeError, match=rf"sockets {{.*\b{sock.fileno()}: 'socket:\["):
            refuse_open_resources(inherited=inherited)


def memory_kb(pid):
    """The kB figures of /proc/<pid>/smaps_rollup, by name."""
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    return {line.split(":")[0]: int(line.split()[1]) for line in rollup if line.endswith(" kB")}


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="Linux's /proc")
def test_the_worker_shares_what_the_launcher_loaded(tmp_path):
    port = free_port()
    env = site_env(
        url=f"http://127.0.0.1:{port}",
        database=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        mail_port=free_port(),
        static_root=tmp_path / "static",
    )
    web = start_web(env, port, tmp_path)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", [web])
        supervisor = web.process.pid
        [worker] = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
        memory = memory_kb(worker)
    finally:
        web.stop()

    # Forked from the loaded supervisor, the worker shares most of what it holds. Run as plain
    # granian it imported Django itself: about 6 MB shared, 57 MB private.
    assert memory["Shared_Dirty"] > memory["Private_Dirty"], memory


def test_the_launcher_stops_cleanly_after_serving_with_its_objects_immortal(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = site_env(
        url=url,
        database=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        mail_port=free_port(),
        static_root=tmp_path / "static",
    )
    web = start_web(env, port, tmp_path)
    try:
        wait_until_ready(url, [web])
        # Through the middleware, the database and the cache (this site has no static files
        # collected, so no page with a template).
        for _ in range(20):
            for path in ["/healthz", "/readyz"]:
                urllib.request.urlopen(url + path, timeout=10).close()  # noqa: S310 (ours)
        # What systemd and docker send to stop it: the supervisor stops its worker, and both
        # shut their interpreters down with the preloaded objects still immortal.
        web.process.send_signal(signal.SIGTERM)
        status = web.process.wait(timeout=30)
    finally:
        web.stop()

    output = web.output()
    assert status == 0, output
    assert "Fatal Python error" not in output
    assert "Traceback" not in output
