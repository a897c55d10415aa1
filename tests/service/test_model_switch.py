"""Promotion, rollback and refusal across every worker of a real `triage serve --workers 2`:
a worse candidate is refused; a forced promotion and a rollback reach every worker without
a restart; a model that fails verification is refused and the previous one keeps serving."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from service.db import Database
from service.migrate import migrate
from service.models import ApiKey
from service.security import hash_key, new_key
from service.store import now
from triage.artifacts import read_registry, set_active
from triage.cli import main as triage_main

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _models_by_worker(base: str, headers: dict, rounds: int = 40) -> dict[int, set[str]]:
    """Ask on fresh connections (so both workers answer): pid -> model ids it served."""
    seen: dict[int, set[str]] = defaultdict(set)
    for _ in range(rounds):
        r = httpx.get(f"{base}/api/v1/model", headers=headers, timeout=10)
        assert r.status_code == 200, r.text
        body = r.json()
        seen[body["serving"]["pid"]].add(body["id"])
    return seen


def _until_every_worker_serves(base: str, headers: dict, model_id: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    last: dict = {}
    while time.monotonic() < deadline:
        last = _models_by_worker(base, headers)
        if len(last) >= 2 and all(ids == {model_id} for ids in last.values()):
            return last
        time.sleep(0.3)
    pytest.fail(f"not every worker serves {model_id}: {dict(last)}")


@pytest.fixture
def served(tmp_path, models_dir, taxonomy, small_seed):
    """Two workers on a copy of the test models, plus a worse model that is not active."""
    from training.train import TrainParams, fit_model
    from triage.artifacts import save_model

    models = tmp_path / "models"
    shutil.copytree(models_dir, models)
    good = read_registry(models)["active"]
    per: dict[str, int] = defaultdict(int)
    tiny = []
    for ex in small_seed:  # two examples per code: a clearly worse model
        if per[ex.primary] < 2:
            per[ex.primary] += 1
            tiny.append(ex)
    worse, _ = fit_model(tiny, taxonomy, params=TrainParams(folds=2))
    save_model(worse, models, training_data={"examples": len(tiny)}, metrics={}, activate=False)
    url = f"sqlite:///{tmp_path / 'triage.db'}"
    migrate(url)
    db = Database(url)
    key_id, key = new_key()
    with db.transaction() as s:
        s.add(ApiKey(id=key_id, key_hash=hash_key(key), role="reviewer", created_at=now()))
    db.dispose()
    port = _free_port()
    env = dict(os.environ, TRIAGE_DATABASE_URL=url, TRIAGE_MODELS_DIR=str(models),
               TRIAGE_MODEL_POLL_SECONDS="0.2", TRIAGE_IDENTITY_KEY_FILE=str(tmp_path / "id.key"))
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "triage.cli", "serve", "--port", str(port),
                             "--workers", "2"], env=env, cwd=tmp_path,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
        assert time.monotonic() < deadline, "the server did not become ready"
        time.sleep(0.3)
    eval_subset = tmp_path / "eval.jsonl"
    lines = (ROOT / "data" / "eval" / "eval_a.jsonl").read_text(encoding="utf-8").splitlines()
    eval_subset.write_text("\n".join(lines[:150]) + "\n", encoding="utf-8")
    yield {"base": base, "headers": {"Authorization": f"Bearer {key}"}, "models": models,
           "good": good, "worse": worse.model_id, "url": url, "eval": eval_subset}
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def test_worse_refused_forced_promotion_and_rollback_reach_every_worker(served, capsys):
    base, headers, models = served["base"], served["headers"], served["models"]
    common = ["--models-dir", str(models), "--db", served["url"]]
    _until_every_worker_serves(base, headers, served["good"])

    assert triage_main(["promote", served["worse"], "--eval", str(served["eval"]), *common]) == 1
    assert "not promoted" in capsys.readouterr().err
    assert read_registry(models)["active"] == served["good"]

    assert triage_main(["promote", served["worse"], "--force", "--eval", str(served["eval"]),
                        *common]) == 0
    _until_every_worker_serves(base, headers, served["worse"])

    assert triage_main(["rollback", *common]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == served["good"]
    _until_every_worker_serves(base, headers, served["good"])
    r = httpx.post(f"{base}/api/v1/feedback", headers=headers, json={"text": "x"})
    assert r.status_code == 403  # a reviewer key: the service answers, no restart happened


def test_a_model_failing_verification_is_refused_and_the_previous_keeps_serving(served, capsys):
    base, headers, models = served["base"], served["headers"], served["models"]
    artifact = models / served["worse"] / "model.joblib"
    data = bytearray(artifact.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte: the sha256 no longer matches its card
    artifact.write_bytes(bytes(data))

    rc = triage_main(["promote", served["worse"], "--force", "--models-dir", str(models),
                      "--db", served["url"]])
    assert rc != 0 and "sha256" in capsys.readouterr().err
    assert read_registry(models)["active"] == served["good"]

    set_active(models, served["worse"])  # as if someone edited the registry by hand
    deadline = time.monotonic() + 30
    refused_by: set[int] = set()
    while len(refused_by) < 2:
        assert time.monotonic() < deadline, f"workers did not refuse: {refused_by}"
        r = httpx.get(f"{base}/api/v1/model", headers=headers, timeout=10)
        body = r.json()
        assert r.status_code == 200 and body["id"] == served["good"]
        if (body["serving"]["refused"] or {}).get("id") == served["worse"]:
            assert "sha256" in body["serving"]["refused"]["reason"]
            refused_by.add(body["serving"]["pid"])
        time.sleep(0.1)
    assert httpx.get(f"{base}/readyz", timeout=10).json()["model"] == served["good"]


def test_a_burst_of_keep_alive_connections_is_shared_by_both_workers(served):
    """An intake system opens its connection pool at once: 24 connections, all opened
    before the first request. Each worker has its own listening socket (SO_REUSEPORT) and
    the kernel spreads connections over the sockets: every socket must be served (a
    socket no worker claimed would leave its share of the pool hanging), and both workers
    answer a share."""
    import json

    from benchmarks.service import _Conn

    base, headers = served["base"], served["headers"]
    _until_every_worker_serves(base, headers, served["good"])
    port = int(base.rsplit(":", 1)[1])
    conns = [_Conn(port) for _ in range(24)]  # all connected before the first request
    request = (f"GET /api/v1/model HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               f"Authorization: {headers['Authorization']}\r\n\r\n").encode()
    per_pid: dict[int, int] = defaultdict(int)
    try:
        for c in conns:
            status, body = c.send(request)
            assert status == 200, body
            per_pid[json.loads(body)["serving"]["pid"]] += 1
    finally:
        for c in conns:
            c.close()
    assert len(per_pid) == 2 and min(per_pid.values()) >= 2, dict(per_pid)
