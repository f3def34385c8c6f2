"""The production stack under test: granian, one task worker, and an SMTP sink that counts."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from aiosmtpd.controller import Controller

BASE_DIR = Path(__file__).resolve().parent.parent
STOP_TIMEOUT = 15

# The servers get only these from the caller's environment, plus the production values the
# bench sets: a DATABASE_URL or GRANIAN_* variable on the machine never leaks in.
INHERITED_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# What the servers import from the project (the rest is tests, tools and the bench itself).
PROJECT_PACKAGES = ("config", "letters", "signatories")


def compile_bytecode():
    """Compile the environment's and the project's modules, as a deployment does at install
    (`uv sync --compile-bytecode`, docs/deploy.md).

    A server that compiles its modules on import instead keeps the compiler's leftovers in its
    heap: on a new checkout the three web processes measured 147 MB of PSS during the CSV
    stream against 130 MB with the .pyc files in place (and 162 MB after a full load). A second
    run finds them written and compiles nothing.
    """
    import sysconfig

    paths = [sysconfig.get_paths()["purelib"], *(str(BASE_DIR / p) for p in PROJECT_PACKAGES)]
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", *paths], check=True)


def clean_env(variables):
    env = {name: os.environ[name] for name in INHERITED_VARIABLES if name in os.environ}
    return env | {"PYTHONUNBUFFERED": "1"} | variables


class MailCounter:
    """An aiosmtpd handler that accepts every message and only counts them."""

    def __init__(self):
        self.received = 0
        self.port = None
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.received += 1
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_sink():
    counter = MailCounter()
    controller = Controller(counter, hostname="127.0.0.1", port=free_port())
    controller.start()
    counter.port = controller.port
    try:
        yield counter
    finally:
        controller.stop()


class Server:
    def __init__(self, name, command, env, log_dir, *, nice=0):
        self.name = name
        self.log = Path(log_dir) / f"{name}.log"
        with self.log.open("wb") as output:
            # A session of its own: Ctrl-C in the terminal reaches the bench, which then stops
            # the servers in order, instead of reaching them half-way through a request.
            self.process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if nice:
            lower_priority(self.process.pid, nice)

    @property
    def pid(self):
        return self.process.pid

    def tail(self, lines=30):
        text = self.log.read_text("utf-8", "replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_TIMEOUT)
        # granian's workers are its children, in the same process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_TIMEOUT)


def granian(port, env, log_dir, *, workers, blocking_threads, backpressure):
    # The production launcher: granian with Django loaded before the fork (config/serve.py).
    command = [sys.executable, "-m", "config.serve"]
    command += [
        "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--blocking-threads", str(blocking_threads),
        "--backpressure", str(backpressure), "--log-level", "warning",
        "config.wsgi:application",
    ]  # fmt: skip
    return Server("granian", command, env, log_dir)


# The worker's share of the CPU when the web wants it too: the least there is, as CPUWeight=1
# in deploy/systemd. Mail then waits for a burst of signers to pass instead of taking CPU from
# the pages they are waiting for; it still gets what the web leaves idle (docs/deploy.md).
WORKER_NICE = 19


def db_worker(env, log_dir):
    command = [sys.executable, "manage.py", "db_worker", "--no-startup-delay"]
    return Server("db_worker", command, env, log_dir, nice=WORKER_NICE)


def lower_priority(pid, nice):
    """Give the session that `pid` leads a smaller share of the CPU.

    Linux shares the CPU between sessions (autogroups) before it looks at a process's nice
    value, so a nice process in a session of its own would still get as much as the whole web
    server; the session's own nice value is what counts there. Without autogroups, the
    process's nice value does; both are set.
    """
    os.setpriority(os.PRIO_PROCESS, pid, nice)
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))


def wait_until_ready(url, servers, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        for server in servers:
            if server.process.poll() is not None:
                raise SystemExit(f"{server.name} exited early:\n{server.tail()}")
        with (
            contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError),
            urllib.request.urlopen(url + "/readyz", timeout=2) as response,  # noqa: S310 (our URL)
        ):
            if response.status == 200:
                return
        if time.monotonic() > deadline:
            raise SystemExit(f"{url}/readyz not ready after {timeout} s:\n{servers[0].tail()}")
        time.sleep(0.2)


# Peak memory, from the kernel's per-process high-water mark of resident memory (VmHWM).


def process_tree(pid):
    """`pid` and all its descendants."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                # The command name, in parentheses, may itself contain spaces and parentheses.
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(parents.get(current, []))
    return tree


def _memory_mb(pids, file, field):
    """{pid: the kB figure `field` of /proc/<pid>/<file>, in MB} for the processes still running."""
    sizes = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
                if line.startswith(field + ":"):
                    sizes[pid] = int(line.split()[1]) / 1024
    return sizes


def peak_memory_mb(pids):
    """{pid: VmHWM in MB} for the processes still running."""
    return _memory_mb(pids, "status", "VmHWM")


def reset_peak_memory(pids):
    """Start each process's high-water mark again from its current size (Linux ≥ 4.0)."""
    for pid in pids:
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/clear_refs").write_text("5")


def proportional_memory_mb(pids):
    """{pid: PSS in MB} for the processes still running.

    The proportional set size counts a page shared by n processes as 1/n in each, so the sum
    over granian's processes is the memory they take together; the sum of their resident sizes
    counts the shared libraries and the pages the workers share with the supervisor again for
    every process.
    """
    return _memory_mb(pids, "smaps_rollup", "Pss")


class PeakProportionalMemory:
    """Sample the processes' PSS in a thread; keep the peak of their sum, and that sample.

    The kernel keeps no high-water mark of PSS as it does of RSS (VmHWM), so this samples it:
    a peak shorter than the interval can pass unseen. Reading smaps_rollup walks the process's
    page tables, a fraction of a millisecond for a worker of 100 MB.
    """

    def __init__(self, pids, interval=0.1):
        self.pids, self.interval = pids, interval
        self.peak = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while True:
            sizes = proportional_memory_mb(self.pids)
            if sum(sizes.values()) > sum(self.peak.values()):
                self.peak = sizes
            if self._stop.wait(self.interval):
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# CPU time, to see where a run's two cores went: web processes, worker, PostgreSQL, wrk.

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pids):
    """{pid: user + system clock ticks so far}."""
    ticks = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


def postgres_pids():
    """The local PostgreSQL server's processes (read only; this machine runs one server)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
    return pids


def cpu_snapshot(servers):
    groups = {server.name: process_tree(server.pid) for server in servers}
    groups["postgres"] = postgres_pids()
    return {name: cpu_ticks(pids) for name, pids in groups.items()}


def cpu_seconds_between(before, after):
    """CPU seconds each group used; a process that started meanwhile counts from its start."""
    return {
        name: sum(t - before[name].get(pid, 0) for pid, t in after[name].items()) / TICKS
        for name in after
    }


def machine_busy_seconds():
    """CPU seconds all processes on the machine have used since boot (every core)."""
    user, nice, system, idle, iowait, *rest = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + sum(rest)) / TICKS


def wait_until_quiet(servers, *, cores=0.15, timeout=120):
    """Wait until the servers and PostgreSQL are nearly idle; return the seconds waited.

    When wrk stops, the servers still owe answers to requests it queued, and a slow endpoint
    can leave many seconds of work behind; the next endpoint must not be measured against it.
    """
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = cpu_snapshot(servers)
        time.sleep(0.5)
        used = sum(cpu_seconds_between(before, cpu_snapshot(servers)).values())
        if used / 0.5 < cores:
            break
    return time.monotonic() - started
