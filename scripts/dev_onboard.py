"""Onboard the development instance and say when it is ready.

`scripts/develop` runs this twice. With --prepare, before Home Assistant starts: on a new
.dev/config it marks onboarding's core_config step as done in HA's onboarding store. Then beside
Home Assistant: on a new .dev/config it creates the login dev / dev and finishes the other
onboarding steps, so a developer lands straight in the UI; on every run it logs in as dev / dev
and prints one "ready" line once Home Assistant is running. It only talks to the local instance.

Why core_config is skipped: finishing that step starts the onboarding flows of met,
radio_browser, google_translate and shopping_list (homeassistant/components/onboarding/views.py,
CoreConfigOnboardingView). They pip-install PyMetno, radios, pycountry and gTTS and call the
internet; Open HEM's development instance needs none of them. Marking the step done is all the
step does besides; the location and units it would confirm come from configuration.yaml.
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


def prepare(config: Path) -> None:
    """On a new configuration, write HA's onboarding store with core_config already done."""
    store = config / ".storage" / "onboarding"
    if store.exists():
        return
    # Imported here: only a new configuration needs it, and importing HA takes a moment.
    from homeassistant.components.onboarding import (  # noqa: PLC0415
        STORAGE_KEY,
        STORAGE_VERSION,
    )
    from homeassistant.components.onboarding.const import STEP_CORE_CONFIG  # noqa: PLC0415

    store.parent.mkdir(parents=True, exist_ok=True)
    data = {"done": [STEP_CORE_CONFIG]}
    store.write_text(json.dumps({"version": STORAGE_VERSION, "key": STORAGE_KEY, "data": data}))


def _wait_for_http(timeout_s: float) -> bool:
    """Wait until the frontend is set up (after its dependencies auth and onboarding)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            _call("/manifest.json")
        except error.URLError, ConnectionError, TimeoutError:
            time.sleep(1)
            continue
        return True
    return False


def _steps_done() -> set[str] | None:
    """The onboarding steps done, or None once onboarding is complete (its API is gone)."""
    try:
        steps: list[dict[str, Any]] = _call("/api/onboarding")
    except error.HTTPError as err:
        if err.code == 404:
            return None
        raise
    return {step["step"] for step in steps if step["done"]}


def _onboard(done: set[str]) -> None:
    """Create the dev user and finish the steps not yet done."""
    if "user" in done:
        return  # someone else's account: leave the rest to the browser
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
    for step in ("core_config", "analytics"):
        if step not in done:
            _call(f"/api/onboarding/{step}", {}, token)
    if "integration" not in done:
        _call("/api/onboarding/integration", {"client_id": CLIENT_ID, "redirect_uri": BASE}, token)


def _login() -> str | None:
    """Log in as dev / dev the way the login page does; None if that login does not work."""
    flow = _call(
        "/auth/login_flow",
        {"client_id": CLIENT_ID, "handler": ["homeassistant", None], "redirect_uri": CLIENT_ID},
    )
    result = _call(
        f"/auth/login_flow/{flow['flow_id']}",
        {"client_id": CLIENT_ID, "username": USERNAME, "password": PASSWORD},
    )
    if result["type"] != "create_entry":
        return None
    return _token(result["result"])


def _wait_until_running(token: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _call("/api/core/state", token=token)["state"] == "RUNNING":
            return True
        time.sleep(1)
    return False


def main() -> int:
    """Prepare, or onboard and report when Home Assistant is ready."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--prepare", action="store_true", help="run before HA starts")
    args = parser.parse_args()
    if args.prepare:
        prepare(args.config)
        return 0
    start = time.monotonic()
    if not _wait_for_http(args.timeout):
        print("dev_onboard: Home Assistant did not answer; see its log above", file=sys.stderr)
        return 1
    if (done := _steps_done()) is not None:
        _onboard(done)
    if (token := _login()) is None:
        print(f"dev_onboard: ready at {BASE} (the dev / dev login was changed: use your own)")
        return 0
    if not _wait_until_running(token, args.timeout - (time.monotonic() - start)):
        print("dev_onboard: Home Assistant is still starting; see its log above", file=sys.stderr)
        return 1
    print(f"dev_onboard: ready at {BASE}, log in as {USERNAME} / {PASSWORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
