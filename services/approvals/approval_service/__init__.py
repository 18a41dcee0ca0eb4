"""The approvals service: leaders approve, reject or return requests by the rules."""

from __future__ import annotations

from pathlib import Path

from procurement_common.service import Service

from . import handlers, jobs, seed
from .models import Base, cutoffs, messaging
from .rules import Conflict, Invalid, NotAllowed
from .workflow import NotFound


def install(app, api, settings):
    from .api import approvals, delegations, policy, reports
    from .pages import pages

    for blueprint in (approvals.blp, policy.blp, delegations.blp, reports.blp):
        app.extensions["register_api"](blueprint)
    app.register_blueprint(pages)


service = Service(
    name="approvals",
    import_name=__name__,
    metadata=Base.metadata,
    messaging=messaging,
    cutoffs=cutoffs,
    migrations=Path(__file__).parent / "migrations",
    install=install,
    errors={NotAllowed: 403, NotFound: 404, Conflict: 409, Invalid: 422},
    handlers=handlers.HANDLERS,
    jobs=jobs.timed_jobs,
    seed=seed.load_demo_data,
)

create_app = service.create_app
