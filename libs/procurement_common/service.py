"""One description per service, from which its web app, worker and commands
are made, so that the three services start, migrate and seed the same way.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask
from flask_smorest import Api
from sqlalchemy import MetaData
from sqlalchemy.orm import Session

from .migrations import upgrade
from .outbox import MessagingTables
from .reporting import NotYourDepartment
from .revocation import TokenCutoffs
from .settings import ConfigurationError, Settings
from .web import Database, create_service_app

if TYPE_CHECKING:
    from .consumer import EventConsumer, Handler
    from .relay import OutboxRelay
    from .worker import TimedJob

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Service:
    name: str
    import_name: str
    metadata: MetaData
    messaging: MessagingTables
    # Per person, when her tokens stopped counting (see ``revocation``).
    cutoffs: TokenCutoffs
    migrations: Path
    install: Callable[[Flask, Api, Settings], None]
    # Domain exceptions and the HTTP status each one answers with.
    errors: Mapping[type[Exception], int] = field(default_factory=dict)
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    jobs: Callable[[Settings, Database], list[TimedJob]] = lambda settings, database: []
    # Loads demo data into an empty database; says whether it did.
    seed: Callable[[Session, Settings], bool] | None = None
    # More ``python -m <service>`` commands, made with the service's settings and database.
    commands: tuple[click.Command, ...] = ()

    def settings(self, overrides: Mapping[str, object] | None = None) -> Settings:
        return Settings.from_env(self.name, overrides)

    def database(self, settings: Settings) -> Database:
        database = Database.connect_lazily(settings.database_url, self.messaging)
        if settings.get("MIGRATE_ON_START", "1") == "1":
            upgrade(database.engine, self.migrations)
        return database

    def create_app(self, overrides: Mapping[str, object] | None = None) -> Flask:
        settings = self.settings(overrides)
        app, api = create_service_app(self.import_name, settings, self.messaging, self.cutoffs)
        if settings.get("MIGRATE_ON_START", "1") == "1":
            upgrade(app.extensions["database"].engine, self.migrations)
        self.install(app, api, settings)
        for exception_class, status in {NotYourDepartment: 403, **self.errors}.items():
            app.extensions["map_error"](exception_class, status)
        return app

    # The broker side is imported where it is used, so that web processes,
    # which publish only through the outbox, never load pika (2 MB each).
    def consumer(self, settings: Settings, database: Database, **kwargs) -> EventConsumer:
        from .consumer import EventConsumer

        return EventConsumer(
            self.name,
            database.engine,
            self.messaging.processed_events,
            self.handlers,
            settings.amqp_url,
            **kwargs,
        )

    def relay(self, settings: Settings, database: Database, **kwargs) -> OutboxRelay:
        from .relay import OutboxRelay

        return OutboxRelay(database.engine, self.messaging.outbox, settings.amqp_url, **kwargs)

    def run_worker(self, settings: Settings) -> None:
        from .worker import run_job, run_worker

        database = self.database(settings)
        loops = [self.consumer(settings, database).run, self.relay(settings, database).run]
        for job in self.jobs(settings, database):
            loops.append(lambda stop, job=job: run_job(job, stop))
        run_worker(self.name, loops)

    def seed_if_empty(self, settings: Settings) -> bool:
        if self.seed is None:
            return False
        if settings.production:
            raise ConfigurationError("demo data never loads in production (APP_ENV=production)")
        database = self.database(settings)
        try:
            with database.sessions.begin() as session:
                return self.seed(session, settings)
        finally:
            # A caller that goes on running (a test, say) must not keep its connection.
            database.engine.dispose()

    def cli(self) -> click.Group:
        from .dead_letters import DeadLetterQueue

        service = self

        @click.group(help=f"The {self.name} service.")
        def group():
            logging.basicConfig(
                level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
            )
            # pika narrates every connection step at INFO; its warnings are what matter.
            logging.getLogger("pika").setLevel(logging.WARNING)

        @group.command(help="Apply database migrations.")
        def migrate():
            service.database(service.settings())
            click.echo(f"{service.name}: database at head")

        @group.command(help="Load demo data into an empty database.")
        def seed():
            loaded = service.seed_if_empty(service.settings())
            click.echo(f"{service.name}: demo data {'loaded' if loaded else 'already present'}")

        @group.command(help="Consume events, relay the outbox and run timed jobs.")
        def worker():
            service.run_worker(service.settings())

        @group.group("dead-letters", help="Messages this service could not handle.")
        def dead_letters():
            pass

        @dead_letters.command("list", help="List the dead letters, leaving them in place.")
        def list_dead_letters():
            letters = DeadLetterQueue(service.settings().amqp_url, service.name).list()
            for letter in letters:
                click.echo(f"{letter.event_id}  {letter.event_type}  {letter.reason}")
            click.echo(f"{len(letters)} dead letter(s) in {service.name}")

        @dead_letters.command("replay", help="Send one dead letter back for another try.")
        @click.argument("event_id")
        def replay_dead_letter(event_id):
            letter = DeadLetterQueue(service.settings().amqp_url, service.name).replay(event_id)
            if letter is None:
                raise click.ClickException(f"no dead letter with event id {event_id}")
            click.echo(f"replayed {letter.event_id} ({letter.event_type})")

        for command in self.commands:
            group.add_command(command)
        return group

    def main(self) -> None:
        try:
            self.cli()(prog_name=f"python -m {self.import_name}")
        except ConfigurationError as exc:
            click.echo(f"{self.name}: refusing to start: {exc}", err=True)
            sys.exit(2)
