"""The numbers an alert fires at, shared with the dashboards' thresholds (one place each).

Latency thresholds sit on bucket bounds of ``catalog.HTTP_BUCKETS`` and generation times on
``catalog.GENERATION_BUCKETS``, so ``histogram_quantile`` never has to guess beyond a bucket.
"""

from __future__ import annotations

JOB = "residency-scheduler"
"""The Prometheus job the service is scraped as (the guide's ``prometheus.yml``)."""

AVAILABILITY_OBJECTIVE = 0.995
"""Share of requests answered without a 5xx, over 30 days."""

LATENCY_P95_SECONDS = 1.0
LATENCY_P99_SECONDS = 2.5
ERROR_RATIO = 0.05  # of requests answered with a 5xx over 5 minutes
MIN_REQUEST_RATE = 0.1  # requests/s below which ratios are noise (one error in a quiet minute)

HOST_CPU_BUSY_RATIO = 0.9
HOST_MEMORY_AVAILABLE_RATIO = 0.1
HOST_DISK_FREE_RATIO = 0.1
DB_POOL_BUSY_RATIO = 0.8  # mean connections in use / pool size

CACHE_HIT_RATIO = 0.5
MIN_CACHE_LOOKUP_RATE = 0.05  # lookups/s: below it a low hit ratio means nothing

COMPLIANCE_SCORE = 0.95
GENERATION_P95_SECONDS = 300.0
SWAP_DECISION_WAIT_SECONDS = 2 * 24 * 3600  # swaps waiting with nobody deciding anything

FAILED_SIGN_INS_PER_5M = 20
RATE_LIMITED_PER_5M = 50
DATA_ACCESS_SURGE = 3.0  # times the same hour's volume a day earlier
MIN_DATA_ACCESS_PER_HOUR = 100
