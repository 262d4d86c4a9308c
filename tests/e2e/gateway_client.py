"""The gateway through Python's requests, as an application would use it
(tests/e2e/gateway_test.sh runs this against a running gateway whose config
sets threads = 2, connections_max = 4, read_timeout_ms = 1000,
requests_per_second = 20 and burst = 30).

Environment: PSS_URL, PSS_KEY (all rights), PSS_READER (read,list on db/*).
Prints one line per check; exits 1 on the first failure.
"""
import base64
import os
import socket
import sys
import time
import urllib.parse

import requests

URL = os.environ["PSS_URL"]
KEY = os.environ["PSS_KEY"]
READER = os.environ["PSS_READER"]
HOST, PORT = urllib.parse.urlparse(URL).hostname, urllib.parse.urlparse(URL).port


def check(what, condition, detail=""):
    if not condition:
        print(f"FAIL: {what} {detail}")
        sys.exit(1)
    print(f"ok: {what}")


def round_trip():
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {KEY}"
    value = os.urandom(4096)
    r = s.put(f"{URL}/v1/secrets/py/bytes", json={"value": base64.b64encode(value).decode()}, timeout=20)
    check("requests: put", r.status_code == 200, r.text)
    version = r.json()["version"]
    r = s.get(f"{URL}/v1/secrets/py/bytes", timeout=20)
    check("requests: get the same bytes", r.status_code == 200 and base64.b64decode(r.json()["value"]) == value)
    check("requests: get names the version", r.json()["version"] == version)
    check("requests: no caching of a value", r.headers.get("Cache-Control") == "no-store")
    r = s.put(f"{URL}/v1/secrets/py/raw", data=b"\x00\xffraw", headers={"Content-Type": "application/octet-stream"},
              timeout=20)
    check("requests: raw put", r.status_code == 200, r.text)
    r = s.get(f"{URL}/v1/secrets/py/raw", headers={"Accept": "application/octet-stream"}, timeout=20)
    check("requests: raw get", r.content == b"\x00\xffraw")
    r = s.get(f"{URL}/v1/secrets/py/none", timeout=20)
    check("requests: 404 is JSON", r.status_code == 404 and r.json()["error"]["code"] == "not_found")


def rate_limit():
    # A route the reader may not use answers 403 after the rate check, so
    # these cost the cluster nothing.
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {READER}"
    codes = [s.get(f"{URL}/v1/secrets/app/x", timeout=5) for _ in range(100)]
    limited = [r for r in codes if r.status_code == 429]
    check("rate: a key above its rate gets 429", len(limited) > 0, str([r.status_code for r in codes]))
    check("rate: 429 says when to retry", all(int(r.headers["Retry-After"]) >= 1 for r in limited))
    check("rate: 429 is JSON", limited[0].json()["error"]["code"] == "rate_limited")
    r = requests.get(f"{URL}/v1/secrets/db/root", headers={"Authorization": f"Bearer {KEY}"}, timeout=20)
    check("rate: another key is not slowed", r.status_code == 200, r.text)


def slow_client():
    started = time.monotonic()
    with socket.create_connection((HOST, PORT), timeout=10) as c:
        c.sendall(b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n")  # and never the end of the headers
        try:
            data = c.recv(4096)
            while data:
                data = c.recv(4096)
        except OSError:
            pass
    waited = time.monotonic() - started
    check(f"slow client: cut off after {waited:.1f} s", waited < 8)


def connection_limit():
    idle = [socket.create_connection((HOST, PORT), timeout=10) for _ in range(4)]
    time.sleep(0.3)
    try:
        r = requests.get(f"{URL}/v1/sys/health", timeout=10)
        check("connections: beyond the limit, 503 at once", r.status_code == 503 and r.json()["error"]["code"] == "busy",
              r.text)
    finally:
        for c in idle:
            c.close()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if requests.get(f"{URL}/v1/sys/health", timeout=10).status_code == 200:
            break
        time.sleep(0.5)
    check("connections: served again once they close", requests.get(f"{URL}/v1/sys/health", timeout=10).status_code == 200)


round_trip()
rate_limit()
slow_client()
connection_limit()
