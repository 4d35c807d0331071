"""Helpers shared by the resource modules: public views of records, List filtering and sorting."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from .. import errors
from ..backend import Call, paginate


def clone(value: Any) -> Any:
    """Deep copy of JSON-like data (dicts, lists, scalars): several times cheaper than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


def public(record: dict[str, Any]) -> dict[str, Any]:
    """The record as Describe returns it: internal ``_`` keys stripped, deep-copied."""
    return {k: clone(v) for k, v in record.items() if not k.startswith("_")}


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
    # (lowercased name, record) pairs: the table key is the lowercased name, so filtering and
    # sorting by name cost no string work per record.
    items: list[tuple[str, dict[str, Any]]] = list(call.state.table(kind).items())
    contains = params.get("NameContains")
    if contains:
        needle = contains.lower()
        items = [item for item in items if needle in item[0]]
    for param, key, before in (
        ("CreationTimeBefore", "CreationTime", True),
        ("CreationTimeAfter", "CreationTime", False),
        ("LastModifiedTimeBefore", "LastModifiedTime", True),
        ("LastModifiedTimeAfter", "LastModifiedTime", False),
    ):
        if params.get(param) is not None:
            bound = timestamp(params[param])
            items = [item for item in items if (item[1][key] < bound if before else item[1][key] > bound)]
    if extra is not None:
        items = [item for item in items if extra(item[1])]
    sort_by = params.get("SortBy") or "CreationTime"
    key = sort_keys.get(sort_by, "CreationTime")
    descending = (params.get("SortOrder") or "Descending") == "Descending"
    if key == name_key:
        items.sort(key=itemgetter(0), reverse=descending)
    else:
        # Tables are in creation order already, so this sort is cheap; ties keep creation order.
        field = itemgetter(key)
        items.sort(key=lambda item: field(item[1]), reverse=descending)
    page, token = paginate(items, params)
    return [summary(record) for _, record in page], token
