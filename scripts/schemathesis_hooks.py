"""Authentication for scripts/schemathesis: the browser routes get a real session cookie and its
CSRF token, from a login as the user the script created. When a fuzzed request ends the session
(a logout, a revocation), the next 401 logs in again, so later cases are authenticated too."""

import json
import os
import urllib.request

import schemathesis

BASE = os.environ["FUZZ_BASE"]
COOKIE = os.environ.get("SESSIOND_COOKIE_NAME", "sessiond")
# One user agent for the login and the cases: a session whose client changes scores as stolen.
USER_AGENT = "sessiond-schemathesis"


def login():
    body = json.dumps(
        {
            "username": os.environ["FUZZ_USER"],
            "password": os.environ["FUZZ_PASSWORD"],
        }
    ).encode()
    req = urllib.request.Request(
        BASE + "/api/session/login",
        data=body,
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
    )
    with urllib.request.urlopen(req) as res:
        csrf = json.load(res)["csrf_token"]
        for cookie in res.headers.get_all("Set-Cookie"):
            name, _, rest = cookie.partition("=")
            if name == COOKIE:
                return rest.split(";", 1)[0], csrf
    raise RuntimeError("the login set no session cookie")


@schemathesis.auth(refresh_interval=30).apply_to(tag="browser").apply_to(
    tag="forward-auth"
).apply_to(path="/logout")
class SessionCookie:
    def get(self, case, context):
        return login()

    def set(self, case, data, context):
        token, csrf = data
        case.headers = case.headers or {}
        case.headers["Cookie"] = f"{COOKIE}={token}"
        case.headers["X-CSRF-Token"] = csrf
        case.headers["User-Agent"] = USER_AGENT
