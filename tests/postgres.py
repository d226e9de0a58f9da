"""A throwaway PostgreSQL server for the test run: initdb in a temp dir, started on a free port."""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import time


def pg_bin(name):
    found = shutil.which(name)
    if found and "local" not in found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise RuntimeError(
            f"PostgreSQL's {name} was not found. Install Debian's postgresql package "
            "(bash .ci/run does), or set SV_TEST_DATABASES=sqlite to run on SQLite only."
        )
    return candidates[-1]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """Start with start(), stop with stop(); url(dbname) gives a psycopg URL."""

    def __init__(self, base_dir):
        self.base_dir = base_dir
        self.data_dir = os.path.join(base_dir, "data")
        self.port = free_port()
        # initdb refuses to run as root, so as root the cluster belongs to the postgres user.
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args):
        subprocess.run(self.run_as + list(args), check=True, capture_output=True, text=True)

    def start(self):
        if self.run_as:
            uid = pwd.getpwnam("postgres").pw_uid
            os.chown(self.base_dir, uid, -1)
        self._run(pg_bin("initdb"), "-D", self.data_dir, "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--no-sync")
        self._run(
            pg_bin("pg_ctl"), "-D", self.data_dir, "-l", os.path.join(self.base_dir, "log"),
            "-o", f"-p {self.port} -k {self.base_dir} -c listen_addresses=127.0.0.1 -c fsync=off",
            "-w", "start",
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("PostgreSQL did not start; see " + os.path.join(self.base_dir, "log"))

    def stop(self):
        self._run(pg_bin("pg_ctl"), "-D", self.data_dir, "-m", "immediate", "stop")

    def url(self, dbname="postgres"):
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"
