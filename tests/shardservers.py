"""Real Xapian servers on 127.0.0.1 for the shard tests: `xapian-tcpsrv` (one shard database
each) and `xapian-replicate-server`, from Debian's xapian-tools (.ci/run installs it), and the
shards' count servers (`python -m search.xapian.countserver`). Each
server runs in its own process group, so stopping it stops the children it forked for its
connections too; the tests' fixtures stop every server they start."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

READY_SECONDS = 10.0
ROOT = Path(__file__).resolve().parent.parent


def tool(name: str) -> str:
    """The path of a xapian-tools program (an error that says what to install if absent)."""
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is missing: apt-get install xapian-tools (.ci/run does)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One server process on 127.0.0.1:port; `stop`, `pause`/`resume` (SIGSTOP: a shard that
    takes connections but never answers), `start` again on the same port."""

    def __init__(self, args: list[str], port: int, cwd: Path | None = None) -> None:
        self.args, self.port, self.cwd = args, port, cwd
        self.proc: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.proc = subprocess.Popen(
            self.args,
            cwd=self.cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + READY_SECONDS
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{self.args[0]} did not start on {self.port}") from None
                time.sleep(0.05)

    def _signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)

    def pause(self) -> None:
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is None:
            return
        self._signal(signal.SIGCONT)
        self._signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc = None


def tcpsrv(database: Path, port: int | None = None) -> Server:
    """A started `xapian-tcpsrv` serving `database` (read-only)."""
    port = port or free_port()
    args = [tool("xapian-tcpsrv"), "--interface", "127.0.0.1", "--port", str(port)]
    return Server([*args, str(database)], port).start()


def countserver(database: Path, port: int | None = None) -> Server:
    """A started count server of the shard database `database` (its arrays read: ready)."""
    port = port or free_port()
    args = [sys.executable, "-m", "search.xapian.countserver", "--db", str(database)]
    return Server([*args, "--host", "127.0.0.1", "--port", str(port)], port, cwd=ROOT).start()


def replicate_server(parent: Path) -> Server:
    """A started `xapian-replicate-server` for the databases under `parent`."""
    port = free_port()
    args = [tool("xapian-replicate-server"), "-I", "127.0.0.1", "-p", str(port), str(parent)]
    return Server(args, port).start()


def replicate_once(server: Server, master: str, replica: Path) -> None:
    """`xapian-replicate -o`: bring the replica at `replica` up to the master's revision."""
    args = [tool("xapian-replicate"), "-h", "127.0.0.1", "-p", str(server.port), "-m", master]
    subprocess.run([*args, "-o", "-q", str(replica)], check=True, timeout=60)
