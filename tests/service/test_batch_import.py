"""Batch intake (NDJSON over HTTP) and `triage import` of a CSV backlog."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import create_engine, text

CASE = "Trưởng thôn Đông thu mỗi hộ 500 nghìn tiền làm đường mà không có phiếu thu, không công khai."


def test_batch_gives_one_result_or_error_per_line(client, make_key, settings):
    lines = [json.dumps({"text": CASE}, ensure_ascii=False), "{broken",
             json.dumps({"text": "  "}), json.dumps({"text": "ok", "channel": "fax"}),
             json.dumps({"text": CASE + " Lần 2.", "idempotency_key": "b-2"}, ensure_ascii=False)]
    r = client.post("/api/v1/feedback:batch", headers={**make_key("intake"),
                    "Content-Type": "application/x-ndjson"}, content="\n".join(lines).encode())
    assert r.status_code == 200
    rows = [json.loads(x) for x in r.text.splitlines()]
    assert [x["line"] for x in rows] == [1, 2, 3, 4, 5]
    assert [x["status"] for x in rows] == [201, 422, 422, 422, 201]
    assert rows[1]["error"]["code"] == "validation_error"
    assert rows[2]["error"]["code"] == "empty_text"
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM feedback")).scalar_one() == 2
    engine.dispose()


def test_import_csv_backlog(settings, tmp_path):
    src = tmp_path / "backlog.csv"
    src.write_text("text,channel,locality\n"
                   f"\"{CASE}\",hom_thu,01\n"
                   "\"Cho hỏi thủ tục làm căn cước ở đâu?\",email,\n"
                   "\"\",email,\n", encoding="utf-8")
    env = {**os.environ, "TRIAGE_DATABASE_URL": settings.database_url,
           "TRIAGE_MODELS_DIR": str(settings.models_dir),
           "TRIAGE_IDENTITY_KEY_FILE": str(settings.identity_key_file)}
    proc = subprocess.run([sys.executable, "-m", "triage.cli", "import", str(src)], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr          # one bad line
    assert "line 4: " in proc.stderr and "2 stored, 1 errors of 3 lines" in proc.stdout
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, locality FROM feedback ORDER BY created_at")).all()
    engine.dispose()
    assert [r[0] for r in rows] == ["new", "new"] and rows[0][1] == "01"
