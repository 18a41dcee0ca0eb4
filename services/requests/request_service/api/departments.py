from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from procurement_common.auth import ADMIN, api_auth, current_user
from procurement_common.pagination import PageQuery, page_schema, paginate
from procurement_common.web import ERROR, db_session

from .. import administration
from ..models import Department
from ..schemas import (
    AccountChangeOutSchema,
    DepartmentChangeSchema,
    DepartmentSchema,
)

blp = Blueprint(
    "departments", __name__, url_prefix="/departments", description="Departments and their heads"
)
changes = Blueprint(
    "account_changes",
    __name__,
    url_prefix="/account-changes",
    description="The history of changes to people and departments",
)


@blp.route("")
class Departments(MethodView):
    @api_auth()
    @blp.arguments(PageQuery(), location="query")
    @blp.response(200, page_schema(DepartmentSchema))
    def get(self, query):
        """The departments, by code, with their heads."""
        listing = select(Department).order_by(Department.code)
        return paginate(db_session(), listing, query["page"], query["per_page"])

    @api_auth(ADMIN)
    @blp.arguments(DepartmentSchema())
    @blp.response(201, DepartmentSchema)
    @blp.alt_response(409, schema=ERROR, description="The code is taken")
    def post(self, data):
        """Add a department (administrators); its head must be a working leader."""
        session = db_session()
        department = administration.add_department(session, current_user().username, data)
        session.commit()
        return department


@blp.route("/<code>")
class OneDepartment(MethodView):
    @api_auth(ADMIN)
    @blp.arguments(DepartmentChangeSchema(partial=True))
    @blp.response(200, DepartmentSchema)
    @blp.alt_response(404, schema=ERROR, description="No department with this code")
    def patch(self, data, code):
        """Rename a department or name its head (administrators).

        Requests submitted from then on go to the new head first; those
        already waiting stay with the approver they were sent to.
        """
        session = db_session()
        department = administration.change_department(session, current_user().username, code, data)
        session.commit()
        return department


@changes.route("")
class AccountChanges(MethodView):
    @api_auth(ADMIN)
    @changes.arguments(PageQuery(), location="query")
    @changes.response(200, page_schema(AccountChangeOutSchema))
    def get(self, query):
        """Every change to people and departments, newest first (administrators)."""
        listing = administration.account_changes()
        return paginate(db_session(), listing, query["page"], query["per_page"])
