"""A test mode for the app's own tests: a real session for a user in one call, with no login
form. ``app.test_client_class = SessiondTestClient``, then ``app.test_client(user="alice")``;
or ``login_as(client, "alice")`` on any test client."""

from __future__ import annotations

from typing import Any, Optional

from flask import Flask
from flask.testing import FlaskClient

from ..models import CreatedSession
from .extension import SessiondApp


def login_as(
    client: FlaskClient, username: str, *, role: Optional[str] = None, **fields: Any
) -> CreatedSession:
    """Creates a session for ``username`` in the real sessiond (making the user when needed)
    and puts its cookie in ``client``'s jar."""
    app: Flask = client.application
    ext = app.extensions["sessiond"]
    assert isinstance(ext, SessiondApp), "Sessiond(app) was not set up"
    created = ext.client.create_session(username, create_user=True, role=role, **fields)
    client.set_cookie(ext.cookie_name, created.token)
    return created


class SessiondTestClient(FlaskClient):
    """``app.test_client(user="alice", role="oss")`` starts signed in as alice."""

    def __init__(self, *args: Any, user: Optional[str] = None, role: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session_created: Optional[CreatedSession] = None
        if user is not None:
            self.session_created = login_as(self, user, role=role)
