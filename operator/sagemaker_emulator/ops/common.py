"""Helpers shared by the resource modules: public views of records, List filtering and sorting."""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable
from typing import Any

from .. import errors
from ..backend import Call, paginate


def public(record: dict[str, Any]) -> dict[str, Any]:
    """The record as Describe returns it: internal ``_`` keys stripped, deep-copied."""
    return copy.deepcopy({k: v for k, v in record.items() if not k.startswith("_")})


def timestamp(value: Any) -> float:
    """A request timestamp (epoch number, or ISO 8601 text as the AWS CLI may send) as epoch seconds."""
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise errors.validation(f"Invalid timestamp '{value}'.") from None  # inferred
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.timestamp()


def list_records(
    call: Call,
    kind: str,
    name_key: str,
    summary: Callable[[dict[str, Any]], dict[str, Any]],
    sort_keys: dict[str, str],
    extra: Callable[[dict[str, Any]], bool] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Filter (NameContains, Creation/LastModifiedTime Before/After), sort and paginate a table.

    ``sort_keys`` maps the SortBy values the operation accepts to record keys; the first entry
    is not the default: SageMaker sorts by CreationTime, Descending, unless told otherwise.
    """
    params = call.params
    records: list[dict[str, Any]] = list(call.state.table(kind).values())
    contains = params.get("NameContains")
    if contains:
        needle = contains.lower()
        records = [r for r in records if needle in r[name_key].lower()]
    for param, key, before in (
        ("CreationTimeBefore", "CreationTime", True),
        ("CreationTimeAfter", "CreationTime", False),
        ("LastModifiedTimeBefore", "LastModifiedTime", True),
        ("LastModifiedTimeAfter", "LastModifiedTime", False),
    ):
        if params.get(param) is not None:
            bound = timestamp(params[param])
            records = [r for r in records if (r[key] < bound if before else r[key] > bound)]
    if extra is not None:
        records = [r for r in records if extra(r)]
    sort_by = params.get("SortBy") or "CreationTime"
    key = sort_keys.get(sort_by, "CreationTime")
    descending = (params.get("SortOrder") or "Descending") == "Descending"
    if key == name_key:
        records.sort(key=lambda r: (r[name_key].lower(), r["CreationTime"]), reverse=descending)
    else:
        records.sort(key=lambda r: (r[key], r[name_key].lower()), reverse=descending)
    page, token = paginate(records, params)
    return [summary(r) for r in page], token
