"""The requests service: staff ask for supplies, follow them, confirm receipt."""

from __future__ import annotations

from pathlib import Path

from procurement_common.service import Service

from . import handlers, jobs, seed
from .domain import RuleBroken
from .models import Base, messaging


def install(app, api, settings):
    from .actions import Forbidden, NotFound
    from .api import auth, catalog, supply_requests, users
    from .pages import pages

    for blueprint in (auth.blp, supply_requests.blp, catalog.blp, users.blp):
        app.extensions["register_api"](blueprint)
    app.register_blueprint(pages)
    map_error = app.extensions["map_error"]
    map_error(RuleBroken, 409)
    map_error(Forbidden, 403)
    map_error(NotFound, 404)


service = Service(
    name="requests",
    import_name=__name__,
    metadata=Base.metadata,
    messaging=messaging,
    migrations=Path(__file__).parent / "migrations",
    install=install,
    handlers=handlers.HANDLERS,
    jobs=jobs.timed_jobs,
    seed=seed.load_demo_data,
)

create_app = service.create_app
