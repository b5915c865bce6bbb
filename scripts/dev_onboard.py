"""Finish Home Assistant's onboarding for the development instance.

`scripts/develop` runs this beside Home Assistant. On a new .dev/config it creates the
login dev / dev and skips the onboarding wizard, so a developer lands straight in the UI.
It only ever talks to the local instance and exits once onboarding is done.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys
import time
from typing import Any
from urllib import error, parse, request

BASE = "http://localhost:8123"
CLIENT_ID = f"{BASE}/"
INTERNET_INTEGRATIONS = {"met", "radio_browser", "google_translate", "shopping_list"}
USERNAME = PASSWORD = "dev"  # noqa: S105 - a throw-away login for a local development instance


def _call(path: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = request.Request(BASE + path, data=data, headers=headers)
    with request.urlopen(req, timeout=10) as response:
        return json.loads(response.read() or b"null")


def _token(auth_code: str) -> str:
    form = parse.urlencode(
        {"grant_type": "authorization_code", "code": auth_code, "client_id": CLIENT_ID}
    ).encode()
    with request.urlopen(request.Request(BASE + "/auth/token", data=form), timeout=10) as resp:
        token: str = json.loads(resp.read())["access_token"]
        return token


def _wait_for_onboarding(timeout_s: float) -> list[dict[str, Any]] | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            steps: list[dict[str, Any]] = _call("/api/onboarding")
        except error.URLError, ConnectionError, TimeoutError:
            time.sleep(1)
            continue
        return steps
    return None


def _remove_internet_integrations(token: str, settle_s: float = 20) -> None:
    """Onboarding adds weather, radio and TTS entries that need the internet: remove them.

    Home Assistant creates them in the background after onboarding, so watch for a while.
    """
    deadline = time.monotonic() + settle_s
    while time.monotonic() < deadline:
        entries: list[dict[str, Any]] = _call("/api/config/config_entries/entry", token=token)
        for entry in entries:
            if entry["domain"] in INTERNET_INTEGRATIONS:
                req = request.Request(
                    f"{BASE}/api/config/config_entries/entry/{entry['entry_id']}",
                    method="DELETE",
                    headers={"Authorization": f"Bearer {token}"},
                )
                request.urlopen(req, timeout=10).close()
        time.sleep(1)


def main() -> int:
    """Onboard the development instance if it is new."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    if (args.config / ".storage" / "onboarding").exists():
        return 0
    steps = _wait_for_onboarding(args.timeout)
    if steps is None:
        print("dev_onboard: Home Assistant did not answer; onboard in the browser", file=sys.stderr)
        return 1
    if any(step["step"] == "user" and step["done"] for step in steps):
        return 0
    user = _call(
        "/api/onboarding/users",
        {
            "client_id": CLIENT_ID,
            "name": "Developer",
            "username": USERNAME,
            "password": PASSWORD,
            "language": "en",
        },
    )
    token = _token(user["auth_code"])
    _call("/api/onboarding/core_config", {}, token)
    _call("/api/onboarding/analytics", {}, token)
    _call("/api/onboarding/integration", {"client_id": CLIENT_ID, "redirect_uri": BASE}, token)
    _remove_internet_integrations(token)
    print(f"dev_onboard: ready at {BASE} - log in as {USERNAME} / {PASSWORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
