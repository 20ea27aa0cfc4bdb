"""The OpenAPI description is the truth: schemathesis, every check on, against the app on a live
server — each operation with the token it is meant for (a kiosk's, a staff member's, an admin's; see
schemathesis_hooks.py) and without one. No 5xx, no answer outside its schema, nothing valid refused,
nothing invalid taken.

Bounded for CI: a few examples per operation and a time budget; the seed is fixed, so a failure
comes back the same on the next run (GOVHALL_SCHEMATHESIS_SEED changes it, _EXAMPLES deepens it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import ARTIFACTS, LiveServer, make_hall
from queue_server import store
from queue_server.accounts import issue_staff_token, register_kiosk
from queue_server.config import load_config
from queue_server.voice import build_default_pack

HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
EXAMPLES = os.environ.get("GOVHALL_SCHEMATHESIS_EXAMPLES", "6")
SEED = os.environ.get("GOVHALL_SCHEMATHESIS_SEED", "20261130")


def test_the_api_answers_as_its_openapi_says(tmp_path):
    config = make_hall(tmp_path)
    # with a voice pack, as installed: its absence is a 503 the description also names
    config["server"]["voice_dir"] = str(tmp_path / "voice")
    build_default_pack(load_config(environ={}), tmp_path / "voice")
    db = store.connect(config["server"]["database"])
    _, kiosk = register_kiosk(db, "一号自助机")
    tokens = {"GOVHALL_TEST_KIOSK_TOKEN": kiosk, "GOVHALL_TEST_STAFF_TOKEN": issue_staff_token(db, "王丽"),
              "GOVHALL_TEST_ADMIN_TOKEN": issue_staff_token(db, "周管理")}
    db.conn.close()
    server = LiveServer(config)
    report = ARTIFACTS / "schemathesis" / "report.txt"
    report.parent.mkdir(parents=True, exist_ok=True)
    try:
        env = dict(os.environ, **tokens, SCHEMATHESIS_HOOKS=HOOKS.stem,
                   PYTHONPATH=os.pathsep.join([str(HOOKS.parent), os.environ.get("PYTHONPATH", "")]))
        run = subprocess.run(
            [str(Path(sys.executable).with_name("schemathesis")), "run", f"{server.url}/api/v1/openapi.json",
             "--checks", "all", "--max-examples", EXAMPLES, "--seed", SEED, "--workers", "1",
             "--phases", "examples,coverage,fuzzing,stateful", "--max-time", "30",
             "--generation-database", "none", "--request-timeout", "10", "--no-color",
             # the event stream never ends: tests/queue_server/test_stream_audience.py reads it
             "--exclude-path", "/stream"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    finally:
        server.stop()
    report.write_text(run.stdout + run.stderr, encoding="utf-8")
    assert run.returncode == 0, f"schemathesis found failures (whole report: {report}):\n{run.stdout[-12000:]}"
    assert "No issues found" in run.stdout or " passed" in run.stdout, run.stdout[-3000:]
