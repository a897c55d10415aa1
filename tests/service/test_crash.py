"""SIGKILL the server in the middle of a stream of intakes: after a restart every item the
server acknowledged (201) is there. Runs a real uvicorn process over real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
from sqlalchemy import create_engine, text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env, port):
    proc = subprocess.Popen([sys.executable, "-m", "triage.cli", "serve", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def test_acknowledged_items_survive_sigkill(settings, make_key):
    headers = make_key("intake")
    port = _free_port()
    env = {**os.environ, "TRIAGE_DATABASE_URL": settings.database_url,
           "TRIAGE_MODELS_DIR": str(settings.models_dir),
           "TRIAGE_IDENTITY_KEY_FILE": str(settings.identity_key_file)}
    proc = _start(env, port)
    acked: list[str] = []
    stop = threading.Event()

    def stream():
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=5) as c:
            i = 0
            while not stop.is_set() and i < 400:
                i += 1
                try:
                    r = c.post("/api/v1/feedback", json={
                        "text": f"Phản ánh số {i}: cán bộ địa chính xã đòi {i} triệu mới ký hồ sơ."})
                    if r.status_code == 201:
                        acked.append(r.json()["id"])
                except httpx.HTTPError:
                    pass

    t = threading.Thread(target=stream)
    t.start()
    while len(acked) < 15 and t.is_alive():
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stop.set()
    t.join()
    assert len(acked) >= 15
    proc = _start(env, port)  # restart on the same database
    try:
        engine = create_engine(settings.database_url)
        with engine.connect() as conn:
            stored = {r[0] for r in conn.execute(text("SELECT id FROM feedback"))}
        engine.dispose()
        assert set(acked) <= stored, f"lost {set(acked) - stored}"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
