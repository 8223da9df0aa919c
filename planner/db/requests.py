"""Store requests: a manager proposes adding or dropping a product; head office approves or rejects.

Approved requests are rules of every following weekly run (add = must carry, drop = must not
carry) until head office retires them. Each step is kept in the request's history.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from planner.db import Database, RequestEvent, StoreRequest, utc_now
from planner.db.accounts import Principal
from planner.errors import PlannerError
from planner.schemas import STORE_ID

CHANGES = ("add", "drop")
PENDING, APPROVED, REJECTED, RETIRED = "pending", "approved", "rejected", "retired"
REQUEST_COLUMNS = ["id", STORE_ID, "sku", "change", "comment", "status", "created_by", "created_at"]
EVENT_COLUMNS = ["at", "actor", "action", "comment"]
RULE_FOR_CHANGE = {"add": "must_carry", "drop": "must_not_carry"}


class AccessDenied(PlannerError):
    """The signed-in user may not see or change this."""


def propose(db: Database, who: Principal, store_id: str, sku: str, change: str, comment: str) -> int:
    """Record a pending request for `store_id` and return its id."""
    if not who.may_see(store_id):
        raise AccessDenied(f"{who.username} may not make requests for store {store_id}")
    if change not in CHANGES:
        raise PlannerError(f"change {change!r}: expected add or drop")
    with db.session.begin() as session:
        request = StoreRequest(store_id=store_id, sku=sku, change=change, comment=comment.strip(), status=PENDING, created_by=who.username)
        session.add(request)
        session.flush()
        session.add(RequestEvent(request_id=request.id, actor=who.username, action="proposed", comment=comment.strip(), at=utc_now()))
        return request.id


def decide(db: Database, who: Principal, request_id: int, approve: bool, comment: str = "") -> None:
    """Head office approves or rejects a pending request."""
    _move(db, who, request_id, PENDING, APPROVED if approve else REJECTED, "approved" if approve else "rejected", comment)


def retire(db: Database, who: Principal, request_id: int, comment: str = "") -> None:
    """Head office ends an approved request: it no longer binds the weekly run."""
    _move(db, who, request_id, APPROVED, RETIRED, "retired", comment)


def requests_for(db: Database, who: Principal, store_id: str | None = None) -> pd.DataFrame:
    """Requests the user may see (a manager: their store's), newest first; `store_id` narrows further."""
    query = select(StoreRequest).order_by(StoreRequest.created_at.desc(), StoreRequest.id.desc())
    if not who.is_head_office:
        query = query.where(StoreRequest.store_id == who.store_id)
    if store_id is not None:
        if not who.may_see(store_id):
            raise AccessDenied(f"{who.username} may not see the requests of store {store_id}")
        query = query.where(StoreRequest.store_id == store_id)
    with db.session() as session:
        rows = session.scalars(query).all()
    return pd.DataFrame([[getattr(r, c) for c in REQUEST_COLUMNS] for r in rows], columns=REQUEST_COLUMNS)


def history(db: Database, who: Principal, request_id: int) -> pd.DataFrame:
    """Every step of one request, oldest first."""
    with db.session() as session:
        request = session.get(StoreRequest, request_id)
        if request is None or not who.may_see(request.store_id):
            raise AccessDenied(f"{who.username} may not see request {request_id}")
        events = session.scalars(select(RequestEvent).where(RequestEvent.request_id == request_id).order_by(RequestEvent.id)).all()
    return pd.DataFrame([[getattr(e, c) for c in EVENT_COLUMNS] for e in events], columns=EVENT_COLUMNS)


def approved_rules(db: Database) -> list[tuple[str, str, str, str]]:
    """(store_id, sku, rule, note) for every approved request, for the weekly run."""
    with db.session() as session:
        rows = session.scalars(select(StoreRequest).where(StoreRequest.status == APPROVED).order_by(StoreRequest.id)).all()
    return [(r.store_id, r.sku, RULE_FOR_CHANGE[r.change], f"request #{r.id} by {r.created_by}: {r.comment}".strip(": ")) for r in rows]


def _move(db: Database, who: Principal, request_id: int, from_status: str, to_status: str, action: str, comment: str) -> None:
    if not who.is_head_office:
        raise AccessDenied(f"only head office may mark requests {to_status}; {who.username} is a store manager")
    with db.session.begin() as session:
        request = session.get(StoreRequest, request_id, with_for_update=True)
        if request is None:
            raise PlannerError(f"there is no request {request_id}")
        if request.status != from_status:
            raise PlannerError(f"request {request_id} is {request.status}, not {from_status}")
        request.status = to_status
        session.add(RequestEvent(request_id=request_id, actor=who.username, action=action, comment=comment.strip(), at=utc_now()))
