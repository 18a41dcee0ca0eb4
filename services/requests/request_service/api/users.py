from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import select

from procurement_common.auth import ADMIN, api_auth, current_user
from procurement_common.pagination import PageQuery, page_schema, paginate
from procurement_common.web import ERROR, db_session

from .. import administration
from ..models import User
from ..schemas import UserChangeSchema, UserOutSchema, UserSchema

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
    @api_auth(ADMIN)
    @blp.arguments(UserSchema())
    @blp.response(201, UserOutSchema)
    @blp.alt_response(409, schema=ERROR, description="The username is taken")
    def post(self, data):
        """Add a person (administrators). She signs in with the password given.

        Her roles and department travel in her token. The addition is kept
        in the account history.
        """
        session = db_session()
        user = administration.add_user(session, current_user().username, data)
        session.commit()
        return user

    @api_auth()
    @blp.arguments(UserQuery(), location="query")
    @blp.response(200, page_schema(UserOutSchema))
    def get(self, query):
        """People, optionally only those with a role (for example the leaders to name)."""
        people = select(User).where(User.active.is_(True)).order_by(User.username)
        if query.get("role"):
            people = people.where(User.with_role(query["role"]))
        return paginate(db_session(), people, query["page"], query["per_page"])


@blp.route("/<username>")
class OneUser(MethodView):
    @api_auth(ADMIN)
    @blp.arguments(UserChangeSchema(partial=True))
    @blp.response(200, UserOutSchema)
    @blp.alt_response(404, schema=ERROR, description="No one with this username")
    @blp.alt_response(
        409, schema=ERROR, description="It would leave no administrator, or a department headless"
    )
    def patch(self, data, username):
        """Change a person's name, department, roles or password, or stop her signing in
        (``active``: false), as an administrator; what is left out stays.

        The last active administrator keeps that role, and a department's head
        stays a working leader until another head is named. Any change ends
        her sessions: every service refuses her tokens issued before it,
        within about a second of hearing of it (``account.changed``), and she
        signs in again for a token with the new roles and department. The
        change is kept in the account history.
        """
        session = db_session()
        user = administration.change_user(session, current_user().username, username, data)
        session.commit()
        return user
