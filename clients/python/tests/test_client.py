"""The client against the real server: every call of the backend API, its errors as classes,
and the async twin."""

from __future__ import annotations

import asyncio
import inspect
import re
from pathlib import Path

import httpx
import pytest

import sessiond
from sessiond import errors
from sessiond.errors import EndCode

from .conftest import PASSWORD, ROOT, Server, free_port, unique


def test_a_session_is_created_validated_read_patched_and_revoked(server: Server, api_key: str) -> None:
    user = unique()
    with sessiond.Client(server.url, api_key) as c:
        created = c.create_session(user, create_user=True, role="netadmin", data={"plan": "pro"})
        assert len(created.token) == 43 and created.username == user and created.role == "netadmin"
        assert created.set_cookie and created.set_cookie.startswith("sessiond=")
        assert created.idle_expires_at.tzinfo is not None

        v = c.validate(created.token)
        assert (v.session_id, v.username, v.data) == (created.session_id, user, {"plan": "pro"})
        assert c.get_session(v.session_id).username == user
        assert [s.session_id for s in c.user_sessions(user)] == [v.session_id]

        stale = c.get_data(v.session_id)
        d = c.patch_data(v.session_id, {"theme": "dark", "plan": None})
        assert d.data == {"theme": "dark"} and d.version != stale.version
        with pytest.raises(errors.PreconditionFailed):
            c.patch_data(v.session_id, {"x": 1}, if_version=stale.version)
        assert c.patch_data(v.session_id, {"x": 1}, if_version=d.version).data == {"theme": "dark", "x": 1}

        assert c.revoke_session(v.session_id) is True
        with pytest.raises(errors.Revoked) as ended:
            c.validate(created.token)
        assert ended.value.end is EndCode.REVOKED and ended.value.status == 401
        assert isinstance(ended.value, sessiond.SessionEnded)
        page = c.revocations()
        mine = [r for r in page.revocations if r.session_id == v.session_id]
        assert mine and mine[0].reason is sessiond.EndReason.API_REVOKED
        with pytest.raises(errors.SessionNotFound):
            c.get_session(v.session_id)


def test_activity_moves_the_idle_deadline_and_a_passive_validation_does_not(server: Server, api_key: str) -> None:
    with sessiond.Client(server.url, api_key) as c:
        created = c.create_session(unique(), create_user=True)
        first = c.validate(created.token)
        assert c.validate(created.token).last_activity == first.last_activity
        a = c.record_activity(first.session_id, "page_view", {"path": "/x"})
        assert a.session_id == first.session_id and a.idle_expires_at >= first.idle_expires_at


def test_logout_ends_the_session_as_logged_out_and_logout_everywhere_counts(server: Server, api_key: str) -> None:
    user = unique()
    with sessiond.Client(server.url, api_key) as c:
        one = c.create_session(user, create_user=True)
        two = c.create_session(user)
        c.logout(one.token, c.validate(one.token).csrf_token)
        with pytest.raises(errors.LoggedOut):
            c.validate(one.token)
        assert c.revoke_user_sessions(user) == 1
        with pytest.raises(errors.Revoked):
            c.validate(two.token)


def test_a_refused_session_says_why_it_ended(server: Server, api_key: str) -> None:
    user = unique()
    with sessiond.Client(server.url, api_key) as c:
        changed = c.create_session(user, create_user=True)
        out = c.create_session(user)
        c.logout(out.token, c.validate(out.token).csrf_token)
        server.cli("users", "set-password", user, "--password-stdin", stdin="a new passphrase\n")
        with pytest.raises(sessiond.SessionEnded) as ended:
            c.validate(changed.token)
        assert (ended.value.end, ended.value.reason) == (EndCode.REVOKED, sessiond.EndReason.PASSWORD_CHANGED)
        with pytest.raises(errors.LoggedOut) as logged_out:
            c.validate(out.token)
        assert logged_out.value.reason is sessiond.EndReason.USER_LOGOUT
        with pytest.raises(errors.NoSession) as unknown:
            c.validate("A" * 43)
        assert unknown.value.reason is None


def test_refusals_raise_the_class_of_their_code(server: Server, api_key: str) -> None:
    with sessiond.Client(server.url, api_key) as c:
        with pytest.raises(errors.NoSession):
            c.validate("A" * 43)
        with pytest.raises(errors.UserNotFound):
            c.create_session(unique())
        with pytest.raises(errors.InvalidRequest):
            c.create_session(unique(), create_user=True, role="no-such-role")
        with pytest.raises(errors.InsufficientScope):
            c.create_session(unique(), create_user=True, role="superadmin")
    with sessiond.Client(server.url, "sk_" + "x" * 40) as bad:
        with pytest.raises(errors.InvalidApiKey) as e:
            bad.validate("A" * 43)
        assert e.value.request_id and "x" * 40 not in str(e.value) + repr(bad)
    with sessiond.Client(f"http://127.0.0.1:{free_port()}", api_key, timeout=1) as down:
        with pytest.raises(sessiond.TransportError):
            down.validate("A" * 43)


def test_every_documented_error_code_has_its_class() -> None:
    table = (ROOT / "docs" / "api.md").read_text().split("## Every error code", 1)[1]
    codes = set(re.findall(r"`([a-z_]+)`", "\n".join(l.split("|")[2] for l in table.splitlines() if l.startswith("| ") and l.count("|") >= 4)))
    codes |= {c.value for c in EndCode}
    codes.discard("code")
    assert codes - set(errors.BY_CODE) == set()
    for code, cls in errors.BY_CODE.items():
        assert cls.code == code


def test_every_documented_end_reason_is_typed() -> None:
    doc = (ROOT / "docs" / "api.md").read_text()
    feed = doc.split("`reason` says why in more detail", 1)[1].split("## End codes", 1)[0]
    names = set(re.findall(r"`([a-z_]+)`", feed)) | {"idle", "absolute"}
    assert len(names) > 15 and names - {r.value for r in sessiond.EndReason} == set()


def test_the_async_client_has_every_call_of_the_sync_one(server: Server, api_key: str) -> None:
    def calls(cls: type) -> dict[str, inspect.Signature]:
        return {n: inspect.signature(f) for n, f in vars(cls).items() if inspect.isfunction(f) and not n.startswith("_")}

    sync, aio = calls(sessiond.Client), calls(sessiond.AsyncClient)
    assert sync.keys() == aio.keys()
    for name in sync:
        assert inspect.iscoroutinefunction(getattr(sessiond.AsyncClient, name)), name
        assert list(sync[name].parameters) == list(aio[name].parameters), name

    async def flow() -> None:
        async with sessiond.AsyncClient(server.url, api_key) as c:
            user = unique()
            created = await c.create_session(user, create_user=True)
            many = await asyncio.gather(*(c.validate(created.token) for _ in range(20)))
            assert {v.session_id for v in many} == {created.session_id}
            assert await c.revoke_user_sessions(user) == 1
            with pytest.raises(errors.Revoked):
                await c.validate(created.token)

    asyncio.run(flow())


def test_access_tokens_verify_locally_from_the_jwks(server: Server, api_key: str) -> None:
    user = unique()
    server.add_user(user)
    pair = httpx.post(f"{server.url}/api/token/login", json={"username": user, "password": PASSWORD}).json()
    with sessiond.Client(server.url, api_key) as c:
        claims = c.verify_access_token(pair["access_token"])
        assert claims.name == user and claims.sid == pair["session_id"]
        head, body, sig = pair["access_token"].split(".")
        forged = f"{head}.{body}.{sig[:-4]}AAAA"
        with pytest.raises(errors.InvalidToken):
            c.verify_access_token(forged)
        with pytest.raises(errors.InvalidToken):
            c.verify_access_token("not.a.jwt")


def test_the_package_version_is_the_servers() -> None:
    cargo = (ROOT / "Cargo.toml").read_text()
    m = re.search(r'^version = "([^"]+)"', cargo, re.M)
    assert m and sessiond.__version__ == m.group(1)
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert f'version = "{sessiond.__version__}"' in pyproject
