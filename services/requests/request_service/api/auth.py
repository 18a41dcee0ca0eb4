from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from procurement_common.auth import issue_token
from procurement_common.web import db_session

from ..accounts import SignInRefused, authenticate, principal_of
from ..schemas import TokenInSchema, TokenOutSchema

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Sign in for a token")


@blp.route("/token")
class Token(MethodView):
    @blp.doc(security=[])
    @blp.arguments(TokenInSchema())
    @blp.response(200, TokenOutSchema)
    @blp.alt_response(401, description="Wrong username or password")
    def post(self, credentials):
        """Exchange a username and password for a signed token all services accept."""
        session = db_session()
        try:
            user = authenticate(session, credentials["username"], credentials["password"])
        except SignInRefused as refused:
            session.commit()  # the failure count must stick
            abort(401, message=str(refused))
        session.commit()
        settings = current_app.config["SETTINGS"]
        return {
            "access_token": issue_token(
                settings.auth_secret, principal_of(user), settings.token_ttl_seconds
            ),
            "token_type": "Bearer",
            "expires_in": settings.token_ttl_seconds,
        }
