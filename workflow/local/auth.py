"""`make local AUTH=cognito`: sign-in against moto's Cognito, checked as API Gateway's
Cognito authorizer checks it.

moto's cognito-idp answers USER_PASSWORD_AUTH (the flow the page uses in the cloud
too) and signs its tokens with RS256 under a key it publishes at
`/<pool>/.well-known/jwks.json`; the verifier here checks a token's signature
against that key set, its expiry, its issuer (this pool) and that it is an ID token
for the page's client. Anything else is the 401 API Gateway answers.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from workflow.local.environment import REGION

TEST_USER = "tester"
# Local only: the password moto's pool keeps for the test user (docs/local.md).
TEST_PASSWORD = "Local-Passw0rd!"


class Unauthorized(Exception):
    """The request carries no token this user pool issued and still honours."""


@dataclass(frozen=True)
class LocalSignIn:
    moto_url: str
    user_pool_id: str
    client_id: str

    @classmethod
    def create(cls, cognito: Any, moto_url: str) -> LocalSignIn:
        """The pool and client the stack declares (no self sign-up, a public client), and a test user."""
        pool = cognito.create_user_pool(
            PoolName="text2image-local", AdminCreateUserConfig={"AllowAdminCreateUserOnly": True}
        )["UserPool"]["Id"]
        client = cognito.create_user_pool_client(
            UserPoolId=pool,
            ClientName="page",
            GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        add_user(cognito, pool, TEST_USER, TEST_PASSWORD)
        return cls(moto_url=moto_url, user_pool_id=pool, client_id=client)

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{REGION}.amazonaws.com/{self.user_pool_id}"

    def page_config(self) -> dict[str, str]:
        """auth-config.json, as the stack deploys it, with moto as the Cognito endpoint."""
        return {
            "auth": "cognito",
            "region": REGION,
            "endpoint": f"{self.moto_url}/",
            "userPoolId": self.user_pool_id,
            "clientId": self.client_id,
        }

    def key_set(self) -> KeySet:
        answer = requests.get(f"{self.moto_url}/{self.user_pool_id}/.well-known/jwks.json", timeout=5)
        answer.raise_for_status()
        return KeySet.import_key_set(answer.json())

    def verify(self, headers: Mapping[str, str]) -> dict[str, Any]:
        """The token's claims, or Unauthorized. The token is the `Authorization` header's
        value, with or without `Bearer `, as the Cognito authorizer takes it."""
        token = (headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if not token:
            raise Unauthorized("no token")
        try:
            claims = jwt.decode(token, self.key_set(), algorithms=["RS256"]).claims
        except (JoseError, ValueError) as error:
            raise Unauthorized(f"not a token of this pool: {error}") from None
        if claims.get("iss") != self.issuer:
            raise Unauthorized("issued by another user pool")
        if claims.get("token_use") != "id" or claims.get("aud") != self.client_id:
            raise Unauthorized("not an ID token of the page's client")
        if float(claims.get("exp", 0)) <= time.time():
            raise Unauthorized("expired")
        return dict(claims)


def add_user(cognito: Any, pool: str, username: str, password: str) -> None:
    """As docs/operations.md adds a user: created by the operator, with a permanent password."""
    cognito.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool, Username=username, Password=password, Permanent=True)


def sign_in(endpoint: str, client_id: str, username: str, password: str) -> str:
    """The ID token of USER_PASSWORD_AUTH, as the page (frontend/auth.js) asks for it."""
    answer = requests.post(
        endpoint,
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
            "Content-Type": "application/x-amz-json-1.1",
        },
        json={
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": client_id,
            "AuthParameters": {"USERNAME": username, "PASSWORD": password},
        },
        timeout=10,
    )
    answer.raise_for_status()
    return str(answer.json()["AuthenticationResult"]["IdToken"])
