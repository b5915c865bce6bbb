"""Onboard the development instance and say when it is ready.

`scripts/develop` runs this twice. With --prepare, before Home Assistant starts: on a new
.dev/config it marks onboarding's core_config step as done in HA's onboarding store. Then beside
Home Assistant: on a new .dev/config it creates the login dev / dev and finishes the other
onboarding steps, so a developer lands straight in the UI; on every run it logs in as dev / dev,
creates what is missing of the demo home, its dashboard and the Energy dashboard (dev_setup.py;
not with --no-demo) and prints one "ready" line once Home Assistant is running. It only talks to
the local instance.

Why core_config is skipped: finishing that step starts the onboarding flows of met,
radio_browser, google_translate and shopping_list (homeassistant/components/onboarding/views.py,
CoreConfigOnboardingView). They pip-install PyMetno, radios, pycountry and gTTS and call the
internet; Open HEM's development instance needs none of them. Marking the step done is all the
step does besides; the location and units it would confirm come from configuration.yaml.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import sys
import time
from typing import TYPE_CHECKING, Any
from urllib import error, parse, request

if TYPE_CHECKING:
    from scripts import dev_setup  # how mypy names it (explicit package bases)
else:
    import dev_setup  # this script's folder is on sys.path when it runs

DEFAULT_URL = "http://localhost:8123"
USERNAME = PASSWORD = "dev"  # noqa: S105 - a throw-away login for a local development instance


class Instance:
    """The Home Assistant at one URL (the tests run theirs on a free port)."""

    def __init__(self, url: str = DEFAULT_URL) -> None:
        """Talk to ``url`` (no trailing slash)."""
        self.url = url
        self.client_id = f"{url}/"

    def call(self, path: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
        """A JSON request; urllib's errors pass through."""
        return _call(self.url + path, body, token)

    def token(self, auth_code: str) -> str:
        """Swap an authorisation code for an access token."""
        form = {"grant_type": "authorization_code", "code": auth_code, "client_id": self.client_id}
        data = parse.urlencode(form).encode()
        with request.urlopen(request.Request(self.url + "/auth/token", data=data), timeout=10) as r:
            token: str = json.loads(r.read())["access_token"]
            return token


def _call(url: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = request.Request(url, data=data, headers=headers)
    with request.urlopen(req, timeout=10) as response:
        return json.loads(response.read() or b"null")


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


def wait_for_http(ha: Instance, timeout_s: float) -> bool:
    """Wait until the frontend is set up (after its dependencies auth and onboarding)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            ha.call("/manifest.json")
        except error.URLError, ConnectionError, TimeoutError:
            time.sleep(0.5)
            continue
        return True
    return False


def steps_done(ha: Instance) -> set[str] | None:
    """The onboarding steps done, or None once onboarding is complete (its API is gone)."""
    try:
        steps: list[dict[str, Any]] = ha.call("/api/onboarding")
    except error.HTTPError as err:
        if err.code == 404:
            return None
        raise
    return {step["step"] for step in steps if step["done"]}


def onboard(ha: Instance, done: set[str]) -> None:
    """Create the dev user and finish the steps not yet done."""
    if "user" in done:
        return  # someone else's account: leave the rest to the browser
    user = ha.call(
        "/api/onboarding/users",
        {
            "client_id": ha.client_id,
            "name": "Developer",
            "username": USERNAME,
            "password": PASSWORD,
            "language": "en",
        },
    )
    token = ha.token(user["auth_code"])
    for step in ("core_config", "analytics"):
        if step not in done:
            ha.call(f"/api/onboarding/{step}", {}, token)
    if "integration" not in done:
        body = {"client_id": ha.client_id, "redirect_uri": ha.url}
        ha.call("/api/onboarding/integration", body, token)


def login(ha: Instance) -> str | None:
    """Log in as dev / dev the way the login page does; None if that login does not work."""
    flow = ha.call(
        "/auth/login_flow",
        {
            "client_id": ha.client_id,
            "handler": ["homeassistant", None],
            "redirect_uri": ha.client_id,
        },
    )
    result = ha.call(
        f"/auth/login_flow/{flow['flow_id']}",
        {"client_id": ha.client_id, "username": USERNAME, "password": PASSWORD},
    )
    if result["type"] != "create_entry":
        return None
    return ha.token(result["result"])


def wait_until_running(ha: Instance, token: str, timeout_s: float) -> bool:
    """Wait until Home Assistant has started (state RUNNING)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ha.call("/api/core/state", token=token)["state"] == "RUNNING":
            return True
        time.sleep(0.5)
    return False


def main() -> int:
    """Prepare, or onboard, set up the demo and report when Home Assistant is ready."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--prepare", action="store_true", help="run before HA starts")
    parser.add_argument("--no-demo", action="store_true", help="only onboard and log in")
    args = parser.parse_args()
    if args.prepare:
        prepare(args.config)
        return 0
    ha = Instance(args.url)
    start = time.monotonic()
    if not wait_for_http(ha, args.timeout):
        print("dev_onboard: Home Assistant did not answer; see its log above", file=sys.stderr)
        return 1
    if (done := steps_done(ha)) is not None:
        onboard(ha, done)
    if (token := login(ha)) is None:
        print(f"dev_onboard: ready at {ha.url} (the dev / dev login was changed: use your own)")
        return 0
    if not wait_until_running(ha, token, args.timeout - (time.monotonic() - start)):
        print("dev_onboard: Home Assistant is still starting; see its log above", file=sys.stderr)
        return 1
    if not args.no_demo:
        try:
            created = asyncio.run(dev_setup.async_setup_at(ha.url, token))
        except (dev_setup.SetupError, OSError) as err:
            print(f"dev_onboard: could not set up the demo home: {err}", file=sys.stderr)
            return 1
        if created:
            print(f"dev_onboard: created {', '.join(created)}")
    print(f"dev_onboard: ready at {ha.url}, log in as {USERNAME} / {PASSWORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
