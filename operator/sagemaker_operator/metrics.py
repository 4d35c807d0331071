"""Prometheus metrics of the operator's SageMaker traffic and reconciles."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SAGEMAKER_CALLS = Counter(
    "sagemaker_operator_api_calls_total",
    "SageMaker API calls by operation and outcome (ok or the error kind).",
    ["region", "operation", "outcome"],
)
SAGEMAKER_LATENCY = Histogram(
    "sagemaker_operator_api_call_seconds",
    "Latency of SageMaker API calls (including botocore's retries and the rate-limit wait).",
    ["region", "operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
SAGEMAKER_THROTTLES = Counter(
    "sagemaker_operator_api_throttles_total",
    "SageMaker calls that ended throttled after botocore's retries.",
    ["region", "operation"],
)
RECONCILES = Counter(
    "sagemaker_operator_reconciles_total",
    "Reconcile passes by kind and action taken.",
    ["kind", "action"],
)
STATUS_PATCHES = Counter(
    "sagemaker_operator_status_patches_total",
    "Status patches written (unchanged statuses are not written).",
    ["kind"],
)
OBSERVATIONS = Counter(
    "sagemaker_operator_observations_total",
    "Observations of a resource by where they came from: the cache (no call), the CR status at start-up "
    "(seeded), the listing (absent), or a Describe and why (fresh, changed, new, summary, transitional, drift, "
    "unlisted, unbatched).",
    ["kind", "source"],
)
REFRESH_TICKS = Counter(
    "sagemaker_operator_refresh_ticks_total",
    "Complete listings of a kind (all pages) by the refresher.",
    ["region", "kind"],
)
REFRESH_WAKES = Counter(
    "sagemaker_operator_refresh_wakes_total",
    "Daemons woken because a List summary no longer matched their last Describe.",
    ["region", "kind"],
)
LISTED = Gauge(
    "sagemaker_operator_listed_resources",
    "Resources in the newest complete listing.",
    ["region", "kind"],
)
