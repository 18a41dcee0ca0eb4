from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy.exc import IntegrityError

from procurement_common.auth import ADMIN, api_auth, current_user
from procurement_common.web import ERROR, db_session

from .. import workflow
from ..schemas import PolicySchema

blp = Blueprint("policy", __name__, url_prefix="/policy", description="Approval policy")


@blp.route("")
class CurrentPolicy(MethodView):
    @api_auth()
    @blp.response(200, PolicySchema)
    def get(self):
        """The policy in force for requests submitted from now on."""
        return workflow.current_policy(db_session())

    @api_auth(ADMIN)
    @blp.arguments(PolicySchema())
    @blp.response(200, PolicySchema)
    @blp.alt_response(409, schema=ERROR, description="Changed by someone else at the same moment")
    def put(self, body):
        """Set the policy (admin). It routes requests submitted after it; every
        earlier version is kept."""
        session = db_session()
        policy = workflow.set_policy(session, body["director_threshold"], current_user().username)
        try:
            session.commit()
        except IntegrityError:
            abort(409, message="The policy was changed at the same moment; read it and try again.")
        return policy
