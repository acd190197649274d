"""python -m fhir_server serve: embedded MongoDB, data kept between runs, clean stop on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from fhir_server.storage.embedded_mongo import free_port

REPO = Path(__file__).resolve().parents[2]


def _start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "fhir_server", "serve", "--workers", "1"], cwd=REPO,
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/fhir/metadata", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("server did not answer")


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGINT)
    return proc.wait(60)


def _mongod_running(data_dir: Path) -> bool:
    out = subprocess.run(["pgrep", "-f", "--", f"--dbpath {data_dir}"], capture_output=True, text=True).stdout
    return bool(out.strip())


def test_embedded_serve_keeps_data_and_stops_mongod(tmp_path):
    port = free_port()
    env = {"FHIR_PORT": str(port), "FHIR_DATA_DIR": str(tmp_path), "FHIR_MONGO_PORT": str(free_port()),
           "FHIR_AUTH": "off", "MONGODB_URI": ""}
    proc = _start(env)
    try:
        _wait(port, proc)
        body = json.dumps({"resourceType": "Patient", "id": "kept", "name": [{"family": "Сидоров"}]}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/fhir/Patient/kept", data=body, method="PUT",
                                         headers={"Content-Type": "application/fhir+json"})
        assert urllib.request.urlopen(request, timeout=10).status == 201
    finally:
        _stop(proc)
    assert not _mongod_running(tmp_path / "mongo")
    again = _start(env)
    try:
        _wait(port, again)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/fhir/Patient/kept", timeout=10) as response:
            assert json.load(response)["name"][0]["family"] == "Сидоров"
    finally:
        _stop(again)
    assert not _mongod_running(tmp_path / "mongo")


def test_auth_off_refused_off_loopback(tmp_path):
    env = {**os.environ, "FHIR_AUTH": "off", "FHIR_HOST": "0.0.0.0", "FHIR_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "fhir_server", "serve"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "loopback" in result.stderr


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_reads_through_every_worker_see_each_write_at_once(mongo_uri, tmp_path):
    """Two gunicorn workers, each with its read cache: a read right after a write, on any
    keep-alive connection (so through either worker), answers the version just written."""
    import http.client
    import uuid

    port = free_port()
    env = {"FHIR_PORT": str(port), "FHIR_DATA_DIR": str(tmp_path), "FHIR_AUTH": "off", "MONGODB_URI": mongo_uri,
           "FHIR_DB_NAME": f"t_{uuid.uuid4().hex[:12]}"}
    proc = subprocess.Popen([sys.executable, "-m", "fhir_server", "serve", "--workers", "2"], cwd=REPO,
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def call(conn: http.client.HTTPConnection, method: str, rid: str, body: dict | None = None) -> tuple[int, str]:
        data = json.dumps(body).encode() if body else None
        conn.request(method, f"/fhir/Patient/{rid}", body=data, headers={"Content-Type": "application/fhir+json"})
        response = conn.getresponse()
        payload = response.read()
        etag = response.getheader("ETag") or ""
        if response.status == 200 and method == "GET":
            version = etag.removeprefix("W/").strip('"')
            assert json.loads(payload)["name"][0]["family"] == f"v{version}"
        return response.status, etag

    def rounds(rid: str) -> None:
        connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(6)]
        try:
            for version in range(1, 41):
                writer = connections[version % len(connections)]
                status, etag = call(writer, "PUT", rid, {"resourceType": "Patient", "id": rid,
                                                         "name": [{"family": f"v{version}"}]})
                assert status in (200, 201) and etag == f'W/"{version}"'
                for reader in connections:
                    assert call(reader, "GET", rid) == (200, f'W/"{version}"')
            call(connections[0], "DELETE", rid)
            assert [call(reader, "GET", rid)[0] for reader in connections] == [410] * len(connections)
        finally:
            for conn in connections:
                conn.close()

    try:
        _wait(port, proc)
        workers = _children(proc.pid)
        assert len(workers) == 2
        # Keep-alive connections stay with the worker that accepted them, and now and then one
        # worker accepts them all: go again until both workers served.
        for attempt in range(4):
            before = [_cpu_ticks(w) for w in workers]
            rounds(f"cached-{attempt}")
            used = [_cpu_ticks(w) - b for w, b in zip(workers, before, strict=True)]
            if min(used) >= 3:
                break
        assert min(used) >= 3, f"one worker served every connection: CPU ticks {used}"
    finally:
        _stop(proc)
