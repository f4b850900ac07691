"""Authentication for scripts/schemathesis, each credential sent only to the operations whose
`security` names it, so that the checks which drop or forge a credential test what the document
says: the session cookie (and its CSRF token) from a login as the user the script created, the
API key the script created, and an access token from a token login. When a fuzzed request ends
the session (a logout, a revocation), the next 401 logs in again, so later cases are
authenticated too."""

import json
import os
import urllib.request

import schemathesis

BASE = os.environ["FUZZ_BASE"]
COOKIE = os.environ.get("SESSIOND_COOKIE_NAME", "sessiond")
# One user agent for the logins and the cases: a session whose client changes scores as stolen.
USER_AGENT = "sessiond-schemathesis"


def asks_for(scheme, unless=None):
    """Whether an operation's `security` names `scheme` (and not `unless`)."""

    def matcher(ctx):
        schemes = set()
        for requirement in ctx.operation.definition.raw.get("security", []):
            schemes.update(requirement)
        return scheme in schemes and unless not in schemes

    return matcher


def post(path, body):
    req = urllib.request.Request(
        BASE + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
    )
    return urllib.request.urlopen(req)


def credentials():
    return {"username": os.environ["FUZZ_USER"], "password": os.environ["FUZZ_PASSWORD"]}


# The admin API takes the key or a superadmin's cookie; the fuzzer's user is no superadmin, so
# it gets the key there.
@schemathesis.auth(refresh_interval=30).apply_to(asks_for("session_cookie", unless="api_key"))
class SessionCookie:
    def get(self, case, context):
        with post("/api/session/login", credentials()) as res:
            csrf = json.load(res)["csrf_token"]
            for cookie in res.headers.get_all("Set-Cookie"):
                name, _, rest = cookie.partition("=")
                if name == COOKIE:
                    return rest.split(";", 1)[0], csrf
        raise RuntimeError("the login set no session cookie")

    def set(self, case, data, context):
        token, csrf = data
        case.headers = case.headers or {}
        case.headers["Cookie"] = f"{COOKIE}={token}"
        case.headers["X-CSRF-Token"] = csrf
        case.headers["User-Agent"] = USER_AGENT


@schemathesis.auth(refresh_interval=30).apply_to(asks_for("access_token", unless="session_cookie"))
class AccessToken:
    def get(self, case, context):
        with post("/api/token/login", credentials()) as res:
            return json.load(res)["access_token"]

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
        case.headers["User-Agent"] = USER_AGENT


@schemathesis.auth().apply_to(asks_for("api_key"))
class ApiKey:
    def get(self, case, context):
        return os.environ["FUZZ_API_KEY"]

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
