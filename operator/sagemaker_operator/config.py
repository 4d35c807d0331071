"""Operator settings: environment variables first, CLI flags override them.

Every knob that tests need to turn (poll intervals, rate limits, endpoint URL) lives here, so the
operator under test is the same binary as in production, only faster.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_REGION = "us-west-2"


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


@dataclass
class PollSettings:
    """How often SageMaker is asked about one resource (see requeue.py)."""

    fast: float = 5.0  # first re-check of a transitional state (Creating, Updating, Deleting)
    factor: float = 1.5  # backoff factor between consecutive transitional re-checks
    cap: float = 60.0  # longest wait between transitional re-checks
    steady: float = 300.0  # re-check of InService / Failed / Stalled resources (drift detection)
    jitter: float = 0.2  # +-fraction of randomness on steady re-checks (no thundering herd)
    error: float = 10.0  # first retry after a transient error (then backs off to cap)


@dataclass
class Settings:
    region: str = DEFAULT_REGION
    endpoint_url: str | None = None
    namespaces: list[str] = field(default_factory=list)  # empty = all namespaces
    cluster_id: str = "default"
    poll: PollSettings = field(default_factory=PollSettings)
    read_tps: float = 10.0  # Describe/List calls per second per region
    mutate_tps: float = 2.0  # Create/Update/Delete/Tag calls per second per region
    max_workers: int = 16  # threads (and HTTP connections) per region
    # botocore's own retries. "standard", not "adaptive": the gateway's token buckets already pace
    # the operator, and adaptive mode's client-wide limiter collapsed to ~0.3 calls/s under 30 %
    # random throttling (one client serves every CR), so 12 CRs took minutes to converge. After the
    # last attempt the reconciler's own backoff (poll.error) takes over.
    retry_mode: str = "standard"
    max_attempts: int = 3
    log_format: str = "text"
    remove_tags_on_retain: bool = True
    # Batched observation (observer.py, refresher.py): one List page per 100 resources per tick.
    refresh_interval: float = 20.0  # seconds between List ticks per region and kind; 0 = describe every pass
    drift_interval: float = 6 * 3600.0  # full Describe + ListTags of a steady resource at least this often
    endpoint_ttl: float = 300.0  # DescribeEndpoint answers are shared this long (InService endpoints)

    # Seconds the API server keeps a watch open before the operator re-lists (kopf's server timeout).
    watch_timeout: int = 300

    @classmethod
    def from_env(cls) -> Settings:
        poll = PollSettings(
            fast=_env_float("SAGEMAKER_OPERATOR_POLL_FAST", PollSettings.fast),
            factor=_env_float("SAGEMAKER_OPERATOR_POLL_FACTOR", PollSettings.factor),
            cap=_env_float("SAGEMAKER_OPERATOR_POLL_CAP", PollSettings.cap),
            steady=_env_float("SAGEMAKER_OPERATOR_POLL_STEADY", PollSettings.steady),
            jitter=_env_float("SAGEMAKER_OPERATOR_POLL_JITTER", PollSettings.jitter),
            error=_env_float("SAGEMAKER_OPERATOR_POLL_ERROR", PollSettings.error),
        )
        namespaces = [n for n in os.environ.get("SAGEMAKER_OPERATOR_NAMESPACES", "").split(",") if n]
        return cls(
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
            endpoint_url=os.environ.get("SAGEMAKER_ENDPOINT_URL") or None,
            namespaces=namespaces,
            cluster_id=os.environ.get("SAGEMAKER_OPERATOR_CLUSTER_ID", "default"),
            poll=poll,
            read_tps=_env_float("SAGEMAKER_OPERATOR_READ_TPS", 10.0),
            mutate_tps=_env_float("SAGEMAKER_OPERATOR_MUTATE_TPS", 2.0),
            max_workers=_env_int("SAGEMAKER_OPERATOR_MAX_WORKERS", 16),
            log_format=os.environ.get("SAGEMAKER_OPERATOR_LOG_FORMAT", "text"),
            refresh_interval=_env_float("SAGEMAKER_OPERATOR_REFRESH_INTERVAL", 20.0),
            drift_interval=_env_float("SAGEMAKER_OPERATOR_DRIFT_INTERVAL", 6 * 3600.0),
            endpoint_ttl=_env_float("SAGEMAKER_OPERATOR_ENDPOINT_TTL", 300.0),
            retry_mode=os.environ.get("SAGEMAKER_OPERATOR_RETRY_MODE", "standard"),
            max_attempts=_env_int("SAGEMAKER_OPERATOR_MAX_ATTEMPTS", 3),
            watch_timeout=_env_int("SAGEMAKER_OPERATOR_WATCH_TIMEOUT", 300),
        )


_current: Settings | None = None


def current() -> Settings:
    """The process-wide settings (from the environment unless cli.py installed others)."""
    global _current
    if _current is None:
        _current = Settings.from_env()
    return _current


def install(settings: Settings) -> None:
    global _current
    _current = settings
