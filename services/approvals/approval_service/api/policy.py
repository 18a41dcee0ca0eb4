from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from procurement_common.auth import ADMIN, api_auth, current_user
from procurement_common.pagination import PageQuery, page_schema, paginate
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
        session.commit()
        return policy


@blp.route("/versions")
class PolicyVersions(MethodView):
    @api_auth()
    @blp.arguments(PageQuery(), location="query")
    @blp.response(200, page_schema(PolicySchema))
    def get(self, query):
        """Every version of the policy, newest first: which threshold routed a
        request is the version in force when it was submitted."""
        return paginate(db_session(), workflow.policy_versions(), query["page"], query["per_page"])
