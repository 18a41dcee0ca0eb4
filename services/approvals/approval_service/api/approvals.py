from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from procurement_common.auth import api_auth, current_user
from procurement_common.pagination import page_schema, paginate
from procurement_common.web import ERROR, db_session

from .. import workflow
from ..schemas import DecisionInSchema, TaskOutSchema, TaskQuerySchema
from ..workflow import Timing

blp = Blueprint("approvals", __name__, url_prefix="/approvals", description="Approval tasks")


def timing() -> Timing:
    return Timing.from_settings(current_app.config["SETTINGS"])


@blp.route("")
class Inbox(MethodView):
    @api_auth()
    @blp.arguments(TaskQuerySchema(), location="query")
    @blp.response(200, page_schema(TaskOutSchema))
    def get(self, query):
        """The caller's tasks, her delegators' pending ones included, most pressing
        first: overdue, leader-assigned, urgent, earliest needed-by, oldest."""
        session = db_session()
        user = current_user()
        if workflow.note_leader(session, user):
            session.commit()
        listing = workflow.inbox(
            user,
            workflow.active_delegators(session, user.username),
            timing(),
            status=query.get("status"),
            request_id=query.get("request_id"),
        )
        page = paginate(session, listing, query["page"], query["per_page"])
        return {**page, "items": workflow.describe_all(session, page["items"], timing())}


@blp.route("/<task_id>")
class OneTask(MethodView):
    @api_auth()
    @blp.response(200, TaskOutSchema)
    @blp.alt_response(403, schema=ERROR, description="Someone else's task")
    @blp.alt_response(404, schema=ERROR, description="No task with this id")
    def get(self, task_id):
        """One task with the request's lines and history."""
        session = db_session()
        task = workflow.visible_task(session, current_user(), task_id)
        return workflow.describe_one(session, task, timing())


@blp.route("/<task_id>/decision")
class TaskDecision(MethodView):
    @api_auth()
    @blp.arguments(DecisionInSchema())
    @blp.response(200, TaskOutSchema)
    @blp.alt_response(403, schema=ERROR, description="Not hers to decide, or her own request")
    @blp.alt_response(404, schema=ERROR, description="No task with this id")
    @blp.alt_response(409, schema=ERROR, description="A different decision was taken")
    def post(self, body, task_id):
        """Approve (optionally cutting quantities), reject or return a task.

        Reject and return need a comment. The same decision again answers
        the same result; a different one on a decided task is a 409.
        """
        session = db_session()
        task = workflow.decide(session, current_user(), task_id, body)
        # Described inside the transaction: afterwards, reading the history
        # would open another one (on SQLite, another turn at the write lock).
        described = workflow.describe_one(session, task, timing())
        session.commit()
        return described
