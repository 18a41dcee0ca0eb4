from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from procurement_common.web import db_session

from ..accounts import SignInRefused, sign_in
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
        settings = current_app.config["SETTINGS"]
        try:
            token = sign_in(
                db_session(), credentials["username"], credentials["password"], settings
            )
        except SignInRefused as refused:
            abort(401, message=str(refused))
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": settings.token_ttl_seconds,
        }
