"""A private PostgreSQL cluster and a production stack on it, for tests that break things.

The team's shared PostgreSQL must never be restarted by a test, so these tests start their own
cluster (initdb into a temporary folder, trust authentication, 127.0.0.1 on a free port) and
may stop, kill and start it at will. Without the PostgreSQL server binaries the tests fail:
a fault suite that skips itself would report faults handled that were never tried.
"""

import contextlib
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.production import (
    BASE_DIR,
    SmtpSink,
    free_port,
    site_env,
    start_web,
    start_worker,
    wait_until_ready,
)

POSTGRES_BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
DATABASE = "undersigned_faults"
# Short delays so a test sees a retried email within seconds.
RETRY_DELAYS = "1,2,3,5"


@dataclass
class PrivatePostgres:
    """One PostgreSQL cluster of our own, run as the postgres user when we are root."""

    data: Path
    port: int
    log: Path

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def pg_ctl(self, *args):
        command = [str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), *args]
        subprocess.run(as_postgres(command), check=True, capture_output=True, timeout=60)

    def start(self):
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}"
        self.pg_ctl("-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode="fast"):
        """mode "immediate" is a crash: no checkpoint, connections cut mid-transaction."""
        self.pg_ctl("-m", mode, "-w", "stop")

    def query(self, sql, params=()):
        with psycopg.connect(self.url, autocommit=True) as connection:
            return connection.execute(sql, params).fetchall()


def as_postgres(command):
    """PostgreSQL refuses to run as root; as root, run the command as the postgres user."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@pytest.fixture(scope="module")
def private_postgres():
    initdb = POSTGRES_BIN / "initdb"
    if not initdb.exists():
        pytest.fail(
            f"{initdb} is missing: the fault tests need the PostgreSQL server binaries "
            "(apt install postgresql-15, or POSTGRES_BIN=<folder with initdb and pg_ctl>)."
        )
    folder = Path(tempfile.mkdtemp(prefix="undersigned-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
    cluster = PrivatePostgres(data=folder / "data", port=free_port(), log=folder / "server.log")
    subprocess.run(
        as_postgres(
            [str(initdb), "-D", str(cluster.data), "-U", "postgres", "-A", "trust", "--no-sync"]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    # fsync guards against the machine losing power, not against PostgreSQL being killed:
    # a commit is in the kernel's cache before PostgreSQL answers, so turning it off keeps
    # the tests' crashes honest and the shared machine's disks quiet.
    with (cluster.data / "postgresql.conf").open("a") as conf:
        conf.write("fsync = off\nmax_connections = 60\n")
    cluster.start()
    try:
        with psycopg.connect(
            f"postgres://postgres@127.0.0.1:{cluster.port}/postgres", autocommit=True
        ) as connection:
            connection.execute(f"CREATE DATABASE {DATABASE}")
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


def start_manage(env, *args):
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process):
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output
    return output


@dataclass
class FaultSite:
    url: str
    mail: SmtpSink
    database: PrivatePostgres
    env: dict
    logs: Path
    web: object
    workers: list

    @property
    def worker(self):
        return self.workers[-1]

    def start_worker(self):
        self.workers.append(start_worker(self.env, self.logs, f"db_worker-{len(self.workers)}"))
        return self.worker

    def manage(self, *args):
        """Run a manage.py command against the site's database, as a timer would."""
        return finish(self.start_manage(*args))

    def start_manage(self, *args):
        """Start a manage.py command; `finish` waits for it. Django's start-up is slow on a
        busy machine, so the tests let it overlap with other waiting."""
        return start_manage(self.env, *args)

    def output(self):
        return "\n".join(
            f"--- {server.name}\n{server.output()}" for server in [self.web, *self.workers]
        )


@pytest.fixture(scope="module")
def fault_site(private_postgres, tmp_path_factory):
    """granian, a task worker and an SMTP sink on the private cluster, configured as production."""
    mail = SmtpSink()
    mail.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    static_root = tmp_path_factory.mktemp("staticfiles")
    env = site_env(
        url=url,
        database=private_postgres.url,
        mail_port=mail.port,
        static_root=static_root,
        # A web process and a worker stay well under max_connections after a restart, and a
        # request gives up on the pool (503) while PostgreSQL is down rather than wait long.
        DATABASE_POOL_MIN="1",
        DATABASE_POOL_MAX="8",
        DATABASE_POOL_TIMEOUT="3",
        EMAIL_RETRY_DELAYS_SECONDS=RETRY_DELAYS,
    )
    site = FaultSite(url, mail, private_postgres, env, tmp_path_factory.mktemp("logs"), None, [])
    collecting = start_manage(env, "collectstatic", "--noinput")
    site.manage(
        "shell",
        "-c",
        "from django.core.management import call_command; call_command('migrate', verbosity=0);"
        "from tests.builders import make_letter; make_letter(slug='faults', title='Faults')",
    )
    finish(collecting)
    try:
        site.web = start_web(env, port, site.logs)
        site.start_worker()
        wait_until_ready(url, [site.web, site.worker])
        yield site
    finally:
        for server in [site.web, *site.workers]:
            if server is not None:
                server.stop()
        mail.stop()


@pytest.fixture
def site(fault_site):
    yield fault_site
    # When a test fails, pytest shows what the servers said.
    print(fault_site.output())


def wait_for(condition, *, timeout, message, interval=0.2):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(message() if callable(message) else message)
        time.sleep(interval)
    return result
