"""Verifying sessiond's access tokens locally, from its JWKS (docs/api.md, "Verifying access
tokens in a resource server"): EdDSA only, ``typ: at+jwt``, issuer, audience and expiry
checked with a small leeway. Needs the ``jwt`` extra (``pip install sessiond[jwt]``).

A locally verified token is trusted until its ``exp``: a revocation reaches this process only
when the token expires, unless the app also reads the revocations feed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .errors import InvalidToken
from .models import JsonObject

#: An unknown ``kid`` fetches the JWKS again at most this often, so tokens naming made-up keys
#: cannot make this process flood sessiond.
REFETCH_SECONDS = 5.0
#: Keys kept at most: the JWKS holds a handful (the signing key, the next, recent old ones).
MAX_KEYS = 32


@dataclass(frozen=True)
class AccessClaims:
    """What a verified access token says."""

    sub: str
    sid: str
    name: Optional[str]
    role: Optional[str]
    ctx: Optional[str]
    exp: int
    iat: int
    raw: JsonObject


class KeySet:
    """The JWKS as last fetched, and when: shared logic of the sync and async clients."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        leeway: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer, self.audience, self.leeway = issuer, audience, leeway
        self._clock = clock
        self._keys: dict[str, Any] = {}
        self._fetched: Optional[float] = None

    def kid_of(self, token: str) -> str:
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise InvalidToken("not a JWT", status=401) from e
        if header.get("alg") != "EdDSA" or header.get("typ") != "at+jwt":
            raise InvalidToken("not a sessiond access token (alg or typ)", status=401)
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("no key id", status=401)
        return kid

    def should_fetch(self, kid: str) -> bool:
        if kid in self._keys:
            return False
        return self._fetched is None or self._clock() - self._fetched >= REFETCH_SECONDS

    def update(self, keys: list[JsonObject]) -> None:
        import jwt

        fresh: dict[str, Any] = {}
        for k in keys[:MAX_KEYS]:
            if k.get("kty") == "OKP" and k.get("crv") == "Ed25519" and isinstance(k.get("kid"), str):
                fresh[k["kid"]] = jwt.PyJWK(k, algorithm="EdDSA")
        self._keys = fresh
        self._fetched = self._clock()

    def decode(self, token: str, kid: str) -> AccessClaims:
        import jwt

        key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("signed by a key sessiond does not publish", status=401)
        try:
            c: JsonObject = jwt.decode(
                token,
                key,
                algorithms=["EdDSA"],
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "sid"]},
            )
        except jwt.PyJWTError as e:
            raise InvalidToken(f"access token refused: {e}", status=401) from e

        def opt(name: str) -> Optional[str]:
            v = c.get(name)
            return v if isinstance(v, str) else None

        return AccessClaims(
            sub=str(c["sub"]),
            sid=str(c["sid"]),
            name=opt("name"),
            role=opt("role"),
            ctx=opt("ctx"),
            exp=int(c["exp"]),
            iat=int(c["iat"]),
            raw=c,
        )
