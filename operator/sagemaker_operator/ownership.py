"""Which SageMaker resources are ours: the ownership tags of docs/CONVENTIONS.md."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

PREFIX = "sagemaker.inference-operator.dev"
OWNER_TAG = f"{PREFIX}/owner"
UID_TAG = f"{PREFIX}/uid"
CLUSTER_TAG = f"{PREFIX}/cluster"
OWNERSHIP_TAGS = (OWNER_TAG, UID_TAG, CLUSTER_TAG)


@dataclass(frozen=True)
class Owner:
    namespace: str
    kind: str
    name: str
    uid: str
    cluster: str

    @property
    def owner(self) -> str:
        return f"{self.namespace}/{self.kind}/{self.name}"

    def tags(self) -> dict[str, str]:
        return {OWNER_TAG: self.owner, UID_TAG: self.uid, CLUSTER_TAG: self.cluster}


class Claim(enum.Enum):
    OURS = "ours"  # tagged with this CR's owner, uid and cluster
    UNMANAGED = "unmanaged"  # no owner tag: made by hand, by another tool, or released by Retain
    PREVIOUS = "previous"  # tagged for this namespace/kind/name in this cluster, but another uid
    OTHER = "other"  # tagged for another CR, namespace or cluster: never touched


def claim(tags: Mapping[str, str] | None, me: Owner) -> Claim:
    tags = tags or {}
    owner = tags.get(OWNER_TAG)
    if owner is None:
        return Claim.UNMANAGED
    if owner != me.owner or tags.get(CLUSTER_TAG, me.cluster) != me.cluster:
        return Claim.OTHER
    if tags.get(UID_TAG) == me.uid:
        return Claim.OURS
    return Claim.PREVIOUS


def describe(tags: Mapping[str, str] | None) -> str:
    tags = tags or {}
    return f"{tags.get(OWNER_TAG, '?')} (uid {tags.get(UID_TAG, '?')}, cluster {tags.get(CLUSTER_TAG, '?')})"
