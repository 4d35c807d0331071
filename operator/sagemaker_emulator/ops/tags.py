"""AddTags / DeleteTags / ListTags on any ARN the emulator holds."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..backend import Call, operation, paginate

MAX_TAGS = 50


def tags_of(call: Call, arn: str) -> dict[str, str]:
    tags = call.state.tags.get(arn)
    if tags is None:
        raise errors.validation(f'Resource "{arn}" does not exist.')  # inferred wording
    return tags


def put_tags(call: Call, arn: str, tags: list[dict[str, str]] | None) -> None:
    """Record the tags a Create call carried (every resource has an entry, maybe empty)."""
    current = call.state.tags.setdefault(arn, {})
    for tag in tags or []:
        current[tag["Key"]] = tag.get("Value", "")
    if len(current) > MAX_TAGS:
        raise errors.validation(f"Too many tags: a resource can have at most {MAX_TAGS} tags.")


def as_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


@operation("AddTags")
def add_tags(call: Call) -> dict[str, Any]:
    arn = call.params["ResourceArn"]
    current = tags_of(call, arn)
    merged = dict(current)
    for tag in call.params["Tags"]:
        merged[tag["Key"]] = tag.get("Value", "")
    if len(merged) > MAX_TAGS:
        raise errors.validation(f"Too many tags: a resource can have at most {MAX_TAGS} tags.")
    current.clear()
    current.update(merged)
    return {"Tags": call.params["Tags"]}


@operation("DeleteTags")
def delete_tags(call: Call) -> dict[str, Any]:
    current = tags_of(call, call.params["ResourceArn"])
    for key in call.params["TagKeys"]:
        current.pop(key, None)
    return {}


@operation("ListTags")
def list_tags(call: Call) -> dict[str, Any]:
    current = tags_of(call, call.params["ResourceArn"])
    page, token = paginate(as_list(current), call.params, default_max=50)
    result: dict[str, Any] = {"Tags": page}
    if token:
        result["NextToken"] = token
    return result
