"""Sign-in for the page (`-c apiAuth=cognito`): a Cognito user pool and a public app client.

The page signs in with USER_PASSWORD_AUTH (InitiateAuth from the browser, no client
secret), the flow moto's Cognito also answers, so `make local AUTH=cognito` runs the
same code. Self sign-up is off: the operator adds users (docs/operations.md).
The API's methods take the ID token in `Authorization` (a Cognito authorizer).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from constructs import Construct

# How long a sign-in lasts before the page asks again.
TOKEN_HOURS = 1


class SignIn(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "Users",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.client = self.user_pool.add_client(
            "Page",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_password=True),
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(TOKEN_HOURS),
            access_token_validity=Duration.hours(TOKEN_HOURS),
            refresh_token_validity=Duration.days(1),
        )

    def authorizer(self, scope: Construct) -> apigw.CognitoUserPoolsAuthorizer:
        return apigw.CognitoUserPoolsAuthorizer(scope, "SignedIn", cognito_user_pools=[self.user_pool])
