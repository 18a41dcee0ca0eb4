"""The inventory service: items, the stock ledger, reservations, hand-outs
and stock alerts."""

from __future__ import annotations

from pathlib import Path

from procurement_common.service import Service

from . import checks, handlers, jobs, seed
from .models import Base, cutoffs, messaging
from .stock import StockRuleBroken
from .stockroom import NotFound


def install(app, api, settings):
    from .api import alerts, items, movements, reorder, reservations, usage
    from .pages import install_pages

    for blueprint in (
        items.blp,
        movements.receipts,
        movements.adjustments,
        reservations.blp,
        reservations.handouts,
        alerts.blp,
        reorder.blp,
        usage.blp,
    ):
        app.extensions["register_api"](blueprint)
    install_pages(app)


service = Service(
    name="inventory",
    import_name=__name__,
    metadata=Base.metadata,
    messaging=messaging,
    cutoffs=cutoffs,
    migrations=Path(__file__).parent / "migrations",
    install=install,
    errors={StockRuleBroken: 409, NotFound: 404},
    handlers=handlers.HANDLERS,
    jobs=jobs.timed_jobs,
    seed=seed.load_demo_data,
    commands=(checks.check_stock,),
)

create_app = service.create_app
