"""The requests service: staff ask for supplies, follow them, confirm receipt."""

from __future__ import annotations

from pathlib import Path

from procurement_common.service import Service

from . import administration, handlers, jobs, seed
from .actions import Forbidden, NotFound
from .domain import RuleBroken
from .models import Base, cutoffs, messaging
from .people import AccountRuleBroken


def install(app, api, settings):
    from .admin_pages import admin_pages
    from .api import (
        auth,
        catalog,
        departments,
        reports,
        standing_orders,
        supply_requests,
        users,
    )
    from .pages import pages

    for blueprint in (
        auth.blp,
        supply_requests.blp,
        standing_orders.blp,
        catalog.blp,
        users.blp,
        departments.blp,
        departments.changes,
        reports.blp,
    ):
        app.extensions["register_api"](blueprint)
    app.register_blueprint(pages)
    app.register_blueprint(admin_pages)


service = Service(
    name="requests",
    import_name=__name__,
    metadata=Base.metadata,
    messaging=messaging,
    cutoffs=cutoffs,
    migrations=Path(__file__).parent / "migrations",
    install=install,
    errors={RuleBroken: 409, AccountRuleBroken: 409, Forbidden: 403, NotFound: 404},
    handlers=handlers.HANDLERS,
    jobs=jobs.timed_jobs,
    seed=seed.load_demo_data,
    commands=(administration.add_user_command,),
)

create_app = service.create_app
