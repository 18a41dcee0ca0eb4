"""What happens to approvals: submissions and cancellations arriving as
events, decisions, delegations, policy changes and idle-task nudges.

Each function works inside the caller's session (the unit of work) and
records the events it causes in the outbox of that same session; the
caller commits.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import (
    Connection,
    Engine,
    Insert,
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from procurement_common import events as ev
from procurement_common.auth import ADMIN, DIRECTOR, LEADER, Principal
from procurement_common.db import new_id, utcnow, writing_together
from procurement_common.events import Event
from procurement_common.reporting import Period
from procurement_common.settings import Settings

from . import rules, turnaround
from .models import (
    ApprovalRequest,
    Cancellation,
    DecisionRecord,
    Delegation,
    KnownApprover,
    Policy,
    RequestLine,
    Task,
    TaskLogEntry,
    messaging,
)
from .rules import ADMINS, Decision, TaskStatus

log = logging.getLogger(__name__)

SERVICE = "approvals"
CENT = Decimal("0.01")


class NotFound(Exception):
    pass


@dataclass(frozen=True)
class Timing:
    """When an idle task is reminded and escalated, counted from its creation."""

    remind_after: timedelta
    escalate_after: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Timing:
        return cls(
            remind_after=timedelta(
                seconds=settings.get_float("APPROVAL_REMIND_AFTER_SECONDS", 24 * 3600)
            ),
            escalate_after=timedelta(
                seconds=settings.get_float("APPROVAL_ESCALATE_AFTER_SECONDS", 3 * 24 * 3600)
            ),
        )


def today() -> date:
    return utcnow().date()


def _publish(session: Session, event_type: str, request_id: str, data: dict) -> None:
    messaging.record(
        session, Event.new(event_type, data, source=SERVICE, correlation_id=request_id)
    )


# -- policy -----------------------------------------------------------------


def current_policy(session: Session) -> rules.Policy:
    newest = session.scalar(select(Policy).order_by(Policy.version.desc()).limit(1))
    return newest.rules() if newest else rules.DEFAULT_POLICY


def set_policy(session: Session, director_threshold: Decimal, by: str) -> rules.Policy:
    """Add a policy version; earlier versions stay, as the record of what routed what.

    Two administrators setting it at the same moment would both write the
    next version: the second one's write fails, and she is told (``Conflict``).
    """
    version = current_policy(session).version + 1
    policy = Policy(
        version=version, director_threshold=director_threshold.quantize(CENT), set_by=by
    )
    try:
        with session.begin_nested():
            session.add(policy)
    except IntegrityError:
        raise rules.Conflict(
            "The policy was changed at the same moment; read it and try again."
        ) from None
    return policy.rules()


def policy_versions() -> Select:
    """Every version of the policy, newest first."""
    return select(Policy).order_by(Policy.version.desc())


# -- events from the requests service --------------------------------------


def know_approvers(session: Session, approvers: dict[str | None, str | None]) -> None:
    """Remember leaders, username to name (None if not given); one already
    known, even by a racing transaction, is skipped, and given a name if she
    had none. A known name is changed only by her account's changes, which
    come in order: a late submission must not bring back a former name.

    Every submission names its department head and director, nearly always
    known already: writing them again cost a twentieth of the handler's CPU.
    Whom the table holds with a name is remembered for the engine's life,
    since a row is never deleted nor a name removed; what is only written
    here is not, as its transaction may yet roll back.
    """
    wanted = {
        username: name for username, name in approvers.items() if username and username != ADMINS
    }
    named = _KNOWN_APPROVERS.setdefault(session.get_bind(), set())
    if wanted.keys() <= named:
        return
    connection = session.connection()
    stored = dict(connection.execute(_KNOWN_AMONG, {"names": sorted(wanted)}).all())
    named.update(username for username in wanted if stored.get(username) is not None)
    # Rows as parameters rather than in the statement, so its compiled form is
    # cached; nothing the session holds is involved, so no autoflush either.
    if rows := [
        {"username": username, "name": name, "first_seen": utcnow()}
        for username, name in sorted(wanted.items())
        if username not in stored or (stored[username] is None and name is not None)
    ]:
        connection.execute(_insert_or_name(session.get_bind().dialect.name), rows)


_KNOWN_APPROVERS: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()
_KNOWN_AMONG = select(KnownApprover.username, KnownApprover.name).where(
    KnownApprover.username.in_(bindparam("names", expanding=True))
)


@functools.cache
def _insert_or_name(dialect: str) -> Insert:
    dialect_insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement = dialect_insert(KnownApprover.__table__)
    return statement.on_conflict_do_update(
        index_elements=[KnownApprover.username],
        set_={"name": statement.excluded.name},
        where=KnownApprover.name.is_(None),
    )


def note_account_change(session: Session, data: dict) -> None:
    """Keep who may receive a delegation or a task in step with her account:
    someone who left or no longer leads is offered to no one, and one who
    leads again is offered again. A change older than one applied already
    is ignored: announcements may arrive out of order."""
    approves = data["active"] and bool({LEADER, DIRECTOR} & set(data["roles"]))
    changed_at = data["changed_at"]
    known = session.get(KnownApprover, data["username"], with_for_update=True)
    if known is None:
        # Noted even if she never approved here: a submission sent before
        # her change and delivered after it must find that she is gone.
        known = KnownApprover(username=data["username"])
        session.add(known)
    elif known.account_changed_at is not None and known.account_changed_at >= changed_at:
        return
    known.account_changed_at = changed_at
    known.left_at = None if approves else changed_at
    if data.get("name"):
        known.name = data["name"]


def possible_delegates() -> Select:
    """Who a leader may choose as her delegate: username and name."""
    return (
        select(KnownApprover.username, KnownApprover.name)
        .where(KnownApprover.left_at.is_(None))
        .order_by(func.coalesce(KnownApprover.name, KnownApprover.username))
    )


def approver_names(session: Session) -> dict[str, str]:
    """Username to name of every approver whose name is known (the leaders
    of one office, few enough to read at once for a page), and what the
    rung above the director is called."""
    named = select(KnownApprover.username, KnownApprover.name).where(
        KnownApprover.name.is_not(None)
    )
    return {ADMINS: "Administrators", **dict(session.execute(named).all())}


def note_leader(session: Session, user: Principal) -> bool:
    """Remember a signed-in leader as one who may receive a delegation, by
    the name her token gives (it is voided when her account changes, so it
    is never older than one announced); say if anything changed."""
    if not user.has_any(LEADER, DIRECTOR):
        return False
    known = session.get(KnownApprover, user.username)
    if known is None:
        know_approvers(session, {user.username: user.name})
        return True
    if known.name != user.name:
        known.name = user.name
        return True
    return False


def _in_force(column):
    """``column`` of the newest policy set before ``at``: a change applies to
    later submissions only."""
    newest = select(column).where(Policy.set_at <= bindparam("at"))
    return newest.order_by(Policy.version.desc()).limit(1).scalar_subquery().label(column.key)


def _no_longer_approves(name: str):
    """Whether the person the parameter ``name`` names has left or stopped leading."""
    gone = KnownApprover.username == bindparam(name), KnownApprover.left_at.is_not(None)
    return exists().where(*gone).label(f"{name}_gone")


_GONE = select(_no_longer_approves("approver"))


# What a submission checks first, in one read (each read is a wait for the
# database, and the worker takes submissions one after another): the newest
# round held of the request, whether it was withdrawn, the policy in force
# when it was submitted (all NULL if none is set yet), and whether the head
# or the director it names has left or stopped leading since it was sent.
_BEFORE_A_ROUND = select(
    select(func.max(ApprovalRequest.round))
    .where(ApprovalRequest.request_id == bindparam("request_id"))
    .scalar_subquery()
    .label("latest_round"),
    exists().where(Cancellation.request_id == bindparam("request_id")).label("withdrawn"),
    *(
        _in_force(column)
        for column in (Policy.version, Policy.director_threshold, Policy.set_by, Policy.set_at)
    ),
    _no_longer_approves("head"),
    _no_longer_approves("director"),
)


# Built once, as a statement works out its cache key once; inline where
# nothing reads a generated key back (see ``writing_together``).
_INSERT_ROUND = insert(ApprovalRequest.__table__)
_INSERT_LINES = insert(RequestLine.__table__).inline()
_INSERT_TASK = insert(Task.__table__)


def receive_submission(session: Session, event: Event) -> None:
    """Start the approval of a request's round: its level-1 task.

    A round we hold already, or one older than a round we hold, is ignored;
    a round of a withdrawn request is kept for the record, with no task.
    """
    data = event.load_data()
    request_id, round_ = data["request_id"], data["round"]
    submitted_at = _aware(data["submitted_at"])
    found = session.execute(
        _BEFORE_A_ROUND,
        {
            "request_id": request_id,
            "at": submitted_at,
            "head": data["department_head"],
            "director": data["director"],
        },
    ).one()
    if found.latest_round is not None and found.latest_round >= round_:
        log.info("request.submitted %s: round %s of %s is stale", event.id, round_, request_id)
        return
    policy = rules.DEFAULT_POLICY
    if found.version is not None:
        policy = rules.Policy(found.version, found.director_threshold, found.set_by, found.set_at)
    withdrawn = bool(found.withdrawn)
    route = rules.route(
        data["requester"],
        data["department_head"],
        data["director"],
        data["total"],
        policy.director_threshold,
    )
    if found.latest_round is not None:
        earlier_rounds = session.scalars(
            select(ApprovalRequest).where(
                ApprovalRequest.request_id == request_id, ApprovalRequest.round < round_
            )
        )
        for earlier in earlier_rounds:
            note = f"Superseded by round {round_}"
            _close(session, earlier, TaskStatus.CANCELLED, by=SERVICE, note=note)
    # A new round is only ever inserted here, so its rows go straight to the
    # tables: the unit of work would cost more than the rest of the handler.
    # Nothing is read back, so on PostgreSQL they travel together.
    approval_id = new_id()
    know_approvers(
        session,
        {
            data["department_head"]: data["department_head_name"],
            data["director"]: data["director_name"],
        },
    )
    with writing_together(session) as connection:
        connection.execute(
            _INSERT_ROUND,
            {
                "id": approval_id,
                "request_id": request_id,
                "round": round_,
                "status": TaskStatus.CANCELLED if withdrawn else TaskStatus.PENDING,
                "requester": data["requester"],
                "requester_name": data["requester_name"],
                "department": data["department"],
                "department_name": data["department_name"],
                "department_head": data["department_head"],
                "director": data["director"],
                "purpose": data["purpose"],
                "urgency": data["urgency"],
                "leader_assigned": data["leader_assigned"],
                "assigned_by": data.get("assigned_by"),
                "needed_by": data.get("needed_by"),
                "submitted_at": submitted_at,
                "total": data["total"],
                "policy_version": policy.version,
                "director_threshold": policy.director_threshold,
                "route": route,
            },
        )
        connection.execute(
            _INSERT_LINES,
            [
                {
                    "approval_id": approval_id,
                    "position": position,
                    "sku": line["sku"],
                    "name": line["name"],
                    "unit": line["unit"],
                    "unit_cost": line["unit_cost"],
                    "quantity": line["quantity"],
                }
                for position, line in enumerate(data["lines"])
            ],
        )
        if not withdrawn:
            _open_task(session, approval_id, request_id, round_, 1, route[0])
    # Sent before her change and delivered after it: her task goes up at
    # once, as those she held went up when the change arrived.
    gone = {data["department_head"]: found.head_gone, data["director"]: found.director_gone}
    if not withdrawn and gone.get(route[0]):
        _hand_up_from_someone_gone(session, route[0])


def receive_cancellation(session: Session, event: Event) -> None:
    request_id, by = event.data["request_id"], event.data["by"]
    if session.get(Cancellation, request_id) is None:
        session.add(Cancellation(request_id=request_id, by=by, at=event.occurred_at))
    pending = session.scalars(
        select(ApprovalRequest).where(
            ApprovalRequest.request_id == request_id,
            ApprovalRequest.status == TaskStatus.PENDING,
        )
    )
    for approval in pending:
        _close(session, approval, TaskStatus.CANCELLED, by=by, note="Withdrawn by the requester")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _open_task(
    session: Session,
    approval_id: str,
    request_id: str,
    round_: int,
    level: int,
    approver: str,
    *,
    escalated_from: Task | None = None,
    after: Task | None = None,
) -> str:
    """Open a task of a round at ``level``; say its id.

    Tasks are only ever inserted here, straight to the table rather than
    through the unit of work, which would cost more than all the rest: a
    round's ``tasks`` already loaded in the session does not show the new one.
    """
    task_id = new_id()
    session.connection().execute(
        _INSERT_TASK,
        {
            "id": task_id,
            "approval_id": approval_id,
            "request_id": request_id,
            "round": round_,
            "level": level,
            "approver": approver,
            "status": TaskStatus.PENDING,
            "created_at": utcnow(),
            "escalated_from": escalated_from.id if escalated_from else None,
        },
    )
    _log(session, task_id, "created", SERVICE, f"Level {level}")
    if escalated_from is None:
        _publish(
            session,
            ev.APPROVAL_REQUESTED,
            request_id,
            {
                "request_id": request_id,
                "task_id": task_id,
                "round": round_,
                "level": level,
                "approver": approver,
            }
            # So the requester's timeline can say who approved the level before.
            | ({"previous": _decision_summary(after)} if after is not None else {}),
        )
    return task_id


def _decision_summary(task: Task) -> dict:
    record = task.decision
    return {
        "level": task.level,
        "by": record.by,
        "acting_for": record.acting_for,
        "comment": record.comment or None,
    }


# Inline: nothing reads the entry's key back (see ``writing_together``).
_INSERT_LOG_ENTRY = insert(TaskLogEntry.__table__).inline()


def _log(
    session: Session,
    task_id: str,
    action: str,
    by: str,
    note: str | None = None,
    at: datetime | None = None,
) -> None:
    """Append to a task's log, straight to the table: the log is only ever
    appended to, and neither loaded nor flushed for it."""
    session.connection().execute(
        _INSERT_LOG_ENTRY,
        {"task_id": task_id, "action": action, "at": at or utcnow(), "by": by, "note": note},
    )


def _close(
    session: Session, approval: ApprovalRequest, status: TaskStatus, *, by: str, note: str
) -> None:
    """Close a round and its pending tasks without a decision."""
    if approval.status == TaskStatus.PENDING:
        approval.status = status
    for task in approval.tasks:
        if task.status == TaskStatus.PENDING:
            task.status = status
            _log(session, task.id, status, by, note)


# -- decisions --------------------------------------------------------------


# What deciding or describing a task reads besides the task: its round, the
# round's lines, and every task of the round with its decision; loaded up
# front rather than by a lazy load each (a listing: ``_ROUND_TASKS``). For
# one task, in two queries: the task with its round and the round's lines,
# which never change; then the round's tasks. Only the task row is locked,
# and the second query is issued once the lock is granted, so it sees the
# decisions of whoever held it before (tested). The second is a plain query
# whose result is handed to the round: cheaper than a ``selectinload``.
# Both are built once: building them (``Session.get`` builds its query on
# each call) cost more than loading what they find.
_TASK_WITH_ROUND = (
    select(Task)
    .options(joinedload(Task.approval, innerjoin=True).joinedload(ApprovalRequest.lines))
    .where(Task.id == bindparam("task_id"))
)
_TASK_WITH_ROUND_LOCKED = _TASK_WITH_ROUND.with_for_update(of=Task)
_TASKS_OF_ROUND = (
    select(Task)
    .options(joinedload(Task.decision))
    .where(Task.approval_id == bindparam("approval_id"))
    .order_by(Task.created_at)
)


def get_task(session: Session, task_id: str, *, for_update: bool = False) -> Task:
    statement = _TASK_WITH_ROUND_LOCKED if for_update else _TASK_WITH_ROUND
    task = session.scalars(statement, {"task_id": task_id}).unique().one_or_none()
    if task is None:
        raise NotFound(f"No approval task {task_id}.")
    round_tasks = session.scalars(_TASKS_OF_ROUND, {"approval_id": task.approval_id}).all()
    set_committed_value(task.approval, "tasks", round_tasks)
    return task


def may_view(session: Session, user: Principal, task: Task) -> bool:
    if user.has_any(ADMIN) or user.username in (task.approver, task.approval.requester):
        return True
    if task.decision is not None and task.decision.by == user.username:
        return True
    return task.approver in active_delegators(session, user.username)


def visible_task(session: Session, user: Principal, task_id: str) -> Task:
    task = get_task(session, task_id)
    if not may_view(session, user, task):
        raise rules.NotAllowed("This task is someone else's.")
    return task


def decide(session: Session, user: Principal, task_id: str, body: dict) -> Task:
    """Take a decision on a task; the same decision again changes nothing.

    The task row is locked first, so two people deciding at once are
    taken one after the other and the second sees the first's decision.
    """
    task = get_task(session, task_id, for_update=True)
    approval = task.approval
    earlier = task.decision
    round_tasks = approval.tasks
    if earlier is not None and earlier.by == user.username:
        acting = earlier.acting_for
    else:
        acting = rules.acting_for(
            rules.Actor(user.username, user.has_any(ADMIN)),
            task.approver,
            approval.requester,
            _delegators_when_asked(session, user.username),
            {
                other.decision.by
                for other in round_tasks
                if other.level < task.level and other.status == TaskStatus.APPROVED
            },
        )
    decision = Decision(body["decision"])
    comment = body.get("comment") or ""
    cuts = {line["sku"]: line["approved_quantity"] for line in body.get("lines", [])}
    basis = lines_before(task)
    granted = rules.check_decision(decision, comment, basis, cuts)
    previous = earlier and rules.Earlier(Decision(earlier.decision), earlier.granted())
    if rules.is_repeat(TaskStatus(task.status), previous, decision, granted):
        return task
    # A decision is never changed, so it goes straight to its table rather
    # than through the unit of work; the task holds it as written, for the
    # events and the answer.
    row = {
        "task_id": task.id,
        "request_id": task.request_id,
        "round": task.round,
        "level": task.level,
        "decision": decision,
        "by": user.username,
        "acting_for": acting,
        "at": utcnow(),
        "comment": comment,
        "lines": [
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "allowed": line.allowed,
                "approved_quantity": granted[line.sku],
            }
            for line in basis
        ]
        if granted is not None
        else [],
        "policy_version": approval.policy_version,
    }
    task.decision = DecisionRecord(**row)
    # Every write of a decision needs no answer, so on PostgreSQL they go as
    # one pipeline: one wait for the server instead of six.
    with writing_together(session) as connection:
        connection.execute(_INSERT_DECISION, row)
        _set_status(connection, task, rules.OUTCOME[decision])
        note = f"as delegate for {acting}" if acting else None
        _log(session, task.id, task.status, user.username, note)
        next_approver = None
        if decision == Decision.APPROVE:
            next_approver = _after_approval(session, task)
        else:
            _after_refusal(session, task)
    # Read once the pipeline is over: the next level's approver may have
    # left since the request was sent (the director it names, say).
    if next_approver is not None and session.scalar(_GONE, {"approver": next_approver}):
        _hand_up_from_someone_gone(session, next_approver)
    return task


# Inline: nothing reads the decision's key back (see ``writing_together``).
_INSERT_DECISION = insert(DecisionRecord.__table__).inline()
_TASK_STATUS = (
    update(Task.__table__).where(Task.id == bindparam("row_id")).values(status=bindparam("to"))
)
_ROUND_STATUS = (
    update(ApprovalRequest.__table__)
    .where(ApprovalRequest.id == bindparam("row_id"))
    .values(status=bindparam("to"))
)


def _set_status(connection: Connection, item: Task | ApprovalRequest, status: str) -> None:
    """Change a loaded task's or round's status with a plain UPDATE.

    The unit of work would flush the change with the next query, out of the
    decision's pipeline and with a check of the row count that a pipeline
    cannot answer. The instance is told the new value as stored, so it is
    not flushed again.
    """
    statement = _TASK_STATUS if isinstance(item, Task) else _ROUND_STATUS
    connection.execute(statement, {"row_id": item.id, "to": status})
    set_committed_value(item, "status", status)


def lines_before(task: Task) -> list[rules.Line]:
    """The request's lines as this task found them: cut by the levels before it."""
    granted: dict[str, int] = {}
    approved = [
        other
        for other in task.approval.tasks
        if other.level < task.level and other.status == TaskStatus.APPROVED
    ]
    if approved:
        granted = max(approved, key=lambda other: other.level).decision.granted()
    return [
        rules.Line(line.sku, line.quantity, granted.get(line.sku, line.quantity))
        for line in task.approval.lines
    ]


def _after_approval(session: Session, task: Task) -> str | None:
    """Open the next level's task, or announce the approval; say whom a task went to."""
    approval = task.approval
    approved_for = {t.approver for t in approval.tasks if t.status == TaskStatus.APPROVED}
    level = rules.next_level(approval.route, task.level, approved_for)
    if level is not None:
        approver = approval.route[level - 1]
        _open_task(
            session, task.approval_id, task.request_id, task.round, level, approver, after=task
        )
        return approver
    _set_status(session.connection(), approval, TaskStatus.APPROVED)
    record = task.decision
    _publish(
        session,
        ev.APPROVAL_APPROVED,
        approval.request_id,
        {
            "request_id": approval.request_id,
            "round": approval.round,
            "by": record.by,
            "acting_for": record.acting_for,
            "comment": record.comment or None,
            "lines": [
                {
                    "sku": line["sku"],
                    "quantity": line["quantity"],
                    "approved_quantity": line["approved_quantity"],
                }
                for line in record.lines
            ],
            "requester": approval.requester,
            "requester_name": approval.requester_name,
            "purpose": approval.purpose,
            "department": approval.department,
            "department_name": approval.department_name,
            "urgency": approval.urgency,
            "leader_assigned": approval.leader_assigned,
            "needed_by": approval.needed_by,
            "submitted_at": approval.submitted_at,
        },
    )
    return None


def _after_refusal(session: Session, task: Task) -> None:
    approval = task.approval
    _set_status(session.connection(), approval, task.status)
    record = task.decision
    event_type = (
        ev.APPROVAL_REJECTED if task.status == TaskStatus.REJECTED else ev.APPROVAL_RETURNED
    )
    _publish(
        session,
        event_type,
        approval.request_id,
        {
            "request_id": approval.request_id,
            "round": approval.round,
            "by": record.by,
            "acting_for": record.acting_for,
            "comment": record.comment,
        },
    )


# -- the inbox ----------------------------------------------------------------


def _delegators_when_asked(session: Session, username: str) -> Iterator[str]:
    """``active_delegators``, read only if iterated: most deciders are the approver herself."""
    yield from active_delegators(session, username)


def active_delegators(session: Session, username: str) -> set[str]:
    """The leaders whose delegation to ``username`` runs today."""
    day = today()
    return set(
        session.scalars(
            select(Delegation.leader).where(
                Delegation.delegate == username,
                Delegation.starts <= day,
                Delegation.ends >= day,
                Delegation.ended_at.is_(None),
            )
        )
    )


# A listing's rounds: every task of each with its decision, for all its
# tasks in one more query.
_ROUND_TASKS = selectinload(ApprovalRequest.tasks).joinedload(Task.decision)


def inbox(
    user: Principal,
    delegators: Iterable[str],
    timing: Timing,
    *,
    status: str | None = None,
    request_id: str | None = None,
) -> Select:
    """The caller's tasks, delegated ones included, most pressing first:
    overdue, then as ``procurement_common.priority.pressing_key`` orders work."""
    overdue_before = utcnow() - timing.remind_after
    pending = Task.status == TaskStatus.PENDING
    mine = [
        Task.approver == user.username,
        and_(pending, Task.approver.in_(list(delegators))),
        Task.id.in_(select(DecisionRecord.task_id).where(DecisionRecord.by == user.username)),
    ]
    if user.has_any(ADMIN):
        mine.append(Task.approver == ADMINS)
    query = (
        select(Task)
        .join(Task.approval)
        .options(
            contains_eager(Task.approval).options(selectinload(ApprovalRequest.lines), _ROUND_TASKS)
        )
        .where(or_(*mine))
    )
    if status:
        query = query.where(Task.status == status)
    if request_id:
        query = query.where(Task.request_id == request_id)
    return query.order_by(
        case((and_(pending, Task.created_at <= overdue_before), 0), else_=1),
        case((ApprovalRequest.leader_assigned, 0), else_=1),
        case((ApprovalRequest.urgency == "urgent", 0), else_=1),
        ApprovalRequest.needed_by.is_(None),
        ApprovalRequest.needed_by,
        ApprovalRequest.submitted_at,
        Task.created_at,
        Task.id,
    )


# Built once, as every decision's answer and every inbox page runs it.
_HISTORY = (
    select(DecisionRecord)
    .where(DecisionRecord.request_id.in_(bindparam("request_ids", expanding=True)))
    .order_by(DecisionRecord.at, DecisionRecord.id)
)


def history(session: Session, request_ids: Iterable[str]) -> dict[str, list[DecisionRecord]]:
    """Every decision on each request, all rounds, oldest first."""
    found: dict[str, list[DecisionRecord]] = {}
    records = session.scalars(_HISTORY, {"request_ids": sorted(set(request_ids))})
    for record in records:
        found.setdefault(record.request_id, []).append(record)
    return found


def describe(task: Task, decisions: list[DecisionRecord], timing: Timing) -> dict:
    """A task as people see it: the request, its lines as they stand, its history."""
    approval = task.approval
    record = task.decision
    granted = record.granted() if record is not None else None
    lines = []
    for line, before in zip(approval.lines, lines_before(task), strict=True):
        lines.append(
            {
                "sku": line.sku,
                "name": line.name,
                "unit": line.unit,
                "unit_cost": line.unit_cost,
                "quantity": line.quantity,
                "approved_quantity": granted[line.sku] if granted else before.allowed,
            }
        )
    return {
        "id": task.id,
        "request_id": task.request_id,
        "round": task.round,
        "level": task.level,
        "approver": task.approver,
        "status": task.status,
        "created_at": task.created_at,
        "overdue": task.status == TaskStatus.PENDING
        and utcnow() - task.created_at >= timing.remind_after,
        "escalated_from": task.escalated_from,
        "lines": lines,
        "cost": approval.total,
        "requester": approval.requester,
        "requester_name": approval.requester_name,
        "department": approval.department,
        "department_name": approval.department_name,
        "purpose": approval.purpose,
        "urgency": approval.urgency,
        "leader_assigned": approval.leader_assigned,
        "assigned_by": approval.assigned_by,
        "needed_by": approval.needed_by,
        "submitted_at": approval.submitted_at,
        "policy_version": approval.policy_version,
        "director_threshold": approval.director_threshold,
        "decision": record,
        "history": [d for d in decisions if d.task_id != task.id],
    }


def describe_all(session: Session, tasks: list[Task], timing: Timing) -> list[dict]:
    decisions = history(session, [task.request_id for task in tasks])
    return [describe(task, decisions.get(task.request_id, []), timing) for task in tasks]


def describe_one(session: Session, task: Task, timing: Timing) -> dict:
    """One task as ``get_task`` loaded it, with its round's tasks and their
    decisions. In a first round those are all the request's decisions, so
    they are not read again: a tenth of a decision's work."""
    if task.round > 1:
        return describe_all(session, [task], timing)[0]
    decisions = sorted(
        (
            other.decision
            for other in task.approval.tasks
            if other.decision is not None and other.id != task.id
        ),
        key=lambda record: (record.at, record.id),
    )
    return describe(task, decisions, timing)


# -- delegation -------------------------------------------------------------


def add_delegation(session: Session, leader: Principal, data: dict) -> Delegation:
    note_leader(session, leader)
    session.flush()
    # Locks the leader's row: two delegations of hers are checked one at a time.
    session.get(KnownApprover, leader.username, with_for_update=True)
    span = rules.Span(data["starts"], data["ends"])
    rules.check_delegation(
        leader.username,
        data["delegate"],
        span,
        today(),
        session.scalars(possible_delegates()),
        _spans(session, leader.username),
        _spans(session, data["delegate"]),
    )
    delegation = Delegation(
        leader=leader.username,
        delegate=data["delegate"],
        starts=span.starts,
        ends=span.ends,
        created_by=leader.username,
    )
    session.add(delegation)
    session.flush()
    return delegation


def end_delegation(session: Session, user: Principal, delegation_id: str) -> Delegation:
    """End a delegation now: its delegate decides nothing more for the leader.

    Decisions she took meanwhile stand. Ending one already ended changes nothing.
    """
    delegation = session.get(Delegation, delegation_id, with_for_update=True)
    if delegation is None:
        raise NotFound(f"No delegation {delegation_id}.")
    if rules.ends_now(*_ending(user, delegation)):
        delegation.ended_by = user.username
        delegation.ended_at = utcnow()
        session.flush()
    return delegation


def endable(user: Principal, delegations: Iterable[Delegation]) -> set[str]:
    """The ids of those ``user`` may end now (the page offers her a button for each)."""
    return {d.id for d in delegations if rules.may_end(*_ending(user, d))}


def _ending(user: Principal, delegation: Delegation) -> tuple:
    actor = rules.Actor(user.username, user.has_any(ADMIN))
    ended = delegation.ended_at is not None
    return delegation.leader, actor, delegation.span(), today(), ended


def _spans(session: Session, leader: str) -> list[rules.Span]:
    """The leader's delegations that still count: those ended early do not."""
    mine = select(Delegation).where(Delegation.leader == leader, Delegation.ended_at.is_(None))
    return [d.span() for d in session.scalars(mine)]


def delegations_of(user: Principal) -> Select:
    query = select(Delegation).order_by(Delegation.starts.desc(), Delegation.created_at.desc())
    if user.has_any(ADMIN):
        return query
    return query.where(
        or_(Delegation.leader == user.username, Delegation.delegate == user.username)
    )


# -- reminders and escalation -------------------------------------------------


def nudge_idle_tasks(session: Session, timing: Timing, now: datetime | None = None) -> int:
    """Remind the approver of a task idle too long, once; hand it up when idle longer.

    Returns how many tasks were nudged. Rows are locked and skipped when
    locked, so two workers never nudge the same task.
    """
    now = now or utcnow()
    idle = session.scalars(
        select(Task)
        .where(Task.status == TaskStatus.PENDING, Task.created_at <= now - timing.remind_after)
        .order_by(Task.created_at)
        .limit(500)
        .with_for_update(skip_locked=True)
        # Each task's round and log, in one query each rather than two per task.
        .options(selectinload(Task.approval), selectinload(Task.log))
    ).all()
    nudged = 0
    for task in idle:
        approval = task.approval
        pending_for = now - task.created_at
        target = rules.escalation_target(task.approver, approval.requester, approval.director)
        if pending_for >= timing.escalate_after and target is not None:
            _escalate(session, task, target, f"Idle for {_hours(pending_for)}", now)
        elif not any(entry.action == "reminded" for entry in task.log):
            _log(session, task.id, "reminded", SERVICE, at=now)
            _nudge_event(session, ev.APPROVAL_REMINDED, task, pending_for, None)
        else:
            continue
        nudged += 1
    return nudged


def hand_up_tasks_of(session: Session, username: str, why: str, now: datetime | None = None) -> int:
    """Hand the pending tasks of someone who no longer approves to the next
    rung at once, as an idle task would be later, saying ``why``; say how many."""
    now = now or utcnow()
    tasks = session.scalars(
        select(Task)
        .where(Task.status == TaskStatus.PENDING, Task.approver == username)
        .order_by(Task.created_at)
        .with_for_update()
        .options(selectinload(Task.approval))
    ).all()
    handed = 0
    for task in tasks:
        approval = task.approval
        target = rules.escalation_target(task.approver, approval.requester, approval.director)
        if target is not None:
            _escalate(session, task, target, why, now)
            handed += 1
    return handed


def _hand_up_from_someone_gone(session: Session, approver: str) -> None:
    """A task opened for someone who, by then, had left or stopped leading."""
    hand_up_tasks_of(session, approver, f"{approver} no longer approves here")


def end_delegations_to_leaver(session: Session, username: str, now: datetime | None = None) -> int:
    """End at once the delegations not yet over that make someone who no
    longer works here a delegate (``ended_by`` is this service); say how many.

    Her leaders then see on the delegations page that nobody covers for
    them, rather than a cover who can no longer sign in.
    """
    now = now or utcnow()
    running = session.scalars(
        select(Delegation)
        .where(
            Delegation.delegate == username,
            Delegation.ended_at.is_(None),
            Delegation.ends >= now.date(),
        )
        .with_for_update()
    ).all()
    for delegation in running:
        delegation.ended_by = SERVICE
        delegation.ended_at = now
    return len(running)


def _escalate(session: Session, task: Task, target: str, why: str, now: datetime) -> None:
    task.status = TaskStatus.ESCALATED
    _open_task(
        session,
        task.approval_id,
        task.request_id,
        task.round,
        task.level,
        target,
        escalated_from=task,
    )
    _log(
        session,
        task.id,
        TaskStatus.ESCALATED,
        SERVICE,
        f"{why}; handed to {target}",
        at=now,
    )
    _nudge_event(session, ev.APPROVAL_ESCALATED, task, now - task.created_at, target, why)


def _nudge_event(
    session: Session,
    event_type: str,
    task: Task,
    pending_for: timedelta,
    escalated_to,
    reason: str | None = None,
) -> None:
    _publish(
        session,
        event_type,
        task.request_id,
        {
            "request_id": task.request_id,
            "task_id": task.id,
            "approver": task.approver,
            "pending_seconds": int(pending_for.total_seconds()),
            "escalated_to": escalated_to,
            "reason": reason,
        },
    )


def _hours(span: timedelta) -> str:
    return f"{span.total_seconds() / 3600:.1f} h"


# -- turnaround report ----------------------------------------------------------


def turnaround_report(
    session: Session, user: Principal, period: Period, now: datetime | None = None
) -> turnaround.Report:
    """The period's decisions and escalations, and what waits now.

    The director and administrators see every desk; a leader sees her own.
    """
    now = now or utcnow()

    def mine(query: Select) -> Select:
        return (
            query if user.has_any(DIRECTOR, ADMIN) else query.where(Task.approver == user.username)
        )

    decided = session.execute(
        mine(
            select(
                Task.approver,
                Task.level,
                DecisionRecord.decision,
                DecisionRecord.acting_for.is_not(None),
                Task.created_at,
                DecisionRecord.at,
            )
            .join(DecisionRecord, DecisionRecord.task_id == Task.id)
            .where(DecisionRecord.at >= period.start, DecisionRecord.at < period.end)
        )
    ).all()
    escalated = session.execute(
        mine(
            select(Task.approver, Task.level)
            .join(TaskLogEntry, TaskLogEntry.task_id == Task.id)
            .where(
                TaskLogEntry.action == TaskStatus.ESCALATED,
                TaskLogEntry.at >= period.start,
                TaskLogEntry.at < period.end,
            )
        )
    ).all()
    waiting = session.execute(
        mine(select(Task.approver, Task.level, Task.created_at)).where(
            Task.status == TaskStatus.PENDING
        )
    ).all()
    return turnaround.report(
        [
            turnaround.Decided(approver, level, Decision(decision), delegate, opened, at)
            for approver, level, decision, delegate, opened, at in decided
        ],
        [turnaround.Escalated(*row) for row in escalated],
        [turnaround.Waiting(*row) for row in waiting],
        now,
    )


def describe_turnaround(report: turnaround.Report, period: Period) -> dict:
    """The report as the API and the page show it: rows, each with its key."""

    def row(desk: turnaround.Desk, **key) -> dict:
        return {
            **key,
            **dataclasses.asdict(desk),
            "waiting": desk.waiting.as_dict(),
        }

    return {
        "since": period.since,
        "until": period.until,
        "as_of": report.as_of,
        "overall": row(report.overall),
        "levels": [row(desk, level=level) for level, desk in report.levels.items()],
        "approvers": [row(desk, approver=name) for name, desk in report.approvers.items()],
    }
