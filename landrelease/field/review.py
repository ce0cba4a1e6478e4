"""The review workflow: operators submit, the authority reviews, nothing official is unreviewed.

The states and steps (the same for daily reports, activities and proposed hazard-area
changes)::

    submitted ──review──▶ under_review ──approve──▶ approved
        ▲                      │
        │                   return (with a reason)
        │                      ▼
    resubmitted ◀─resubmit── returned

Rules, each refused by name:

- Only a reviewer (an administrator or an analyst of the authority) starts a review,
  approves or returns; only the submitting side resubmits.
- A record is returned with a reason, never silently.
- Four eyes: nobody reviews a record they submitted themselves.
- ``approved`` is final here: a correction of approved data is a new record (history is
  never overwritten).

Only approved records enter the official register, its figures and its reports; an
operator sees its own drafts and returns. Every step is kept (who, when, from, to, why) and
audited by the storage layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from landrelease.domain.errors import Problem, ValidationError


class ReviewState(StrEnum):
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"

    @property
    def waiting(self) -> bool:
        """Waiting for the authority (what the review queue shows)."""
        return self in (ReviewState.SUBMITTED, ReviewState.RESUBMITTED, ReviewState.UNDER_REVIEW)


class ReviewAction(StrEnum):
    REVIEW = "review"
    APPROVE = "approve"
    RETURN = "return"
    RESUBMIT = "resubmit"


class ReviewKind(StrEnum):
    """What can be reviewed."""

    DAILY_REPORT = "daily_report"
    ACTIVITY = "activity"
    HAZARD_CHANGE = "hazard_change"


TRANSITIONS: dict[tuple[ReviewState, ReviewAction], ReviewState] = {
    (ReviewState.SUBMITTED, ReviewAction.REVIEW): ReviewState.UNDER_REVIEW,
    (ReviewState.RESUBMITTED, ReviewAction.REVIEW): ReviewState.UNDER_REVIEW,
    (ReviewState.UNDER_REVIEW, ReviewAction.APPROVE): ReviewState.APPROVED,
    (ReviewState.UNDER_REVIEW, ReviewAction.RETURN): ReviewState.RETURNED,
    (ReviewState.RETURNED, ReviewAction.RESUBMIT): ReviewState.RESUBMITTED,
}

REVIEWER_ACTIONS = frozenset({ReviewAction.REVIEW, ReviewAction.APPROVE, ReviewAction.RETURN})


@dataclass(frozen=True, slots=True)
class ReviewStep:
    """One step of a record's review history."""

    kind: ReviewKind
    record: str
    action: ReviewAction
    from_state: ReviewState
    to_state: ReviewState
    actor: str
    at: datetime
    reason: str | None = None


def allowed_actions(state: ReviewState, *, reviewer: bool) -> list[ReviewAction]:
    """The steps a reviewer (or, with ``reviewer=False``, the submitting side) may take now.

    >>> [a.value for a in allowed_actions(ReviewState.UNDER_REVIEW, reviewer=True)]
    ['approve', 'return']
    >>> allowed_actions(ReviewState.APPROVED, reviewer=True)
    []
    """
    return [a for (s, a) in TRANSITIONS if s is state and (a in REVIEWER_ACTIONS) == reviewer]


def step(
    kind: ReviewKind,
    record: str,
    state: ReviewState,
    action: ReviewAction,
    *,
    actor: str,
    at: datetime,
    reviewer: bool,
    submitted_by: str | None = None,
    reason: str | None = None,
) -> ReviewStep:
    """The step ``action`` takes from ``state``, or a refusal that names the record and why.

    ``reviewer`` says whether the actor reviews for the authority (administrator, analyst);
    ``submitted_by`` is who submitted the record (four eyes).
    """
    state, action = ReviewState(state), ReviewAction(action)
    where = f"{kind.value} {record}"
    to = TRANSITIONS.get((state, action))
    if to is None:
        allowed = [a.value for a in allowed_actions(state, reviewer=True) + allowed_actions(state, reviewer=False)]
        raise ValidationError(
            [
                Problem(
                    f"cannot {action.value} a record that is {state.value.replace('_', ' ')}",
                    record=where,
                    field="review_state",
                    found=state.value,
                    expected=", ".join(allowed) if allowed else "no further step (approved is final)",
                    check="review_transition",
                )
            ],
            summary="review step refused",
        )
    if (action in REVIEWER_ACTIONS) != reviewer:
        who = "a reviewer (administrator or analyst)" if action in REVIEWER_ACTIONS else "the submitting operator"
        raise ValidationError(
            [Problem(f"only {who} may {action.value}", record=where, field="actor", found=actor, check="review_role")],
            summary="review step refused",
        )
    if action in REVIEWER_ACTIONS and submitted_by is not None and actor == submitted_by:
        raise ValidationError(
            [
                Problem(
                    "nobody reviews a record they submitted (four eyes)",
                    record=where,
                    field="actor",
                    found=actor,
                    check="review_four_eyes",
                )
            ],
            summary="review step refused",
        )
    clean = (reason or "").strip() or None
    if action is ReviewAction.RETURN and clean is None:
        raise ValidationError(
            [Problem("a returned record needs a reason", record=where, field="reason", check="review_reason")],
            summary="review step refused",
        )
    return ReviewStep(kind, record, action, state, to, actor, at, clean)
