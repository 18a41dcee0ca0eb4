from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import select

from procurement_common.auth import api_auth, current_user
from procurement_common.pagination import PageQuery, page_schema, paginate
from procurement_common.web import db_session

from ..models import User
from ..schemas import UserOutSchema

blp = Blueprint("users", __name__, url_prefix="/users", description="People")


class UserQuery(PageQuery):
    role = fields.String()


@blp.route("/me")
class Me(MethodView):
    @api_auth()
    @blp.response(200, UserOutSchema)
    def get(self):
        """The signed-in person."""
        return db_session().scalar(select(User).where(User.username == current_user().username))


@blp.route("")
class Users(MethodView):
    @api_auth()
    @blp.arguments(UserQuery(), location="query")
    @blp.response(200, page_schema(UserOutSchema))
    def get(self, query):
        """People, optionally only those with a role (for example the leaders to name)."""
        people = select(User).where(User.active.is_(True)).order_by(User.username)
        if query.get("role"):
            people = people.where(User.with_role(query["role"]))
        return paginate(db_session(), people, query["page"], query["per_page"])
