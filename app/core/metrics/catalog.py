"""Every metric the service exposes, declared once.

Code, dashboards and alert rules refer to these objects (``catalog.HTTP_REQUESTS.name``), never
to a metric name typed again. ``docs/metrics.md`` is generated from this module
(``python -m app.core.metrics.docs``). Label values are the domain's own enumerations, so a label
can never carry a user, resident or request id.
"""

from __future__ import annotations

from typing import get_args

from app.auth.events import (
    AccessAction,
    FailureReason,
    RateLimitScope,
    ResourceType,
    SuspiciousKind,
    UserActionKind,
)
from app.cache.events import CacheName
from app.compliance.events import RULE_SEVERITIES, GenerationOutcome, Severity, ValidationSource
from app.core.metrics.spec import Label, MetricSpec, every_combination
from app.core.metrics.vocabulary import (
    OTHER,
    CacheResult,
    PushResult,
    RefreshHook,
    SpanDropReason,
    SpanExporterName,
    ValidationResult,
)
from app.core.request_telemetry import METHODS, OTHER_METHOD, UNMATCHED_ROUTE
from app.security.events import RedisPart
from app.swaps.events import TRANSITIONS as SWAP_STATE_CHANGES
from app.swaps.events import SwapState

# --- labels ----------------------------------------------------------------------------------

METHOD = Label("method", (*sorted(METHODS), OTHER_METHOD), "HTTP method, allow-listed")
ROUTE = Label(
    "route",
    None,
    f"the matched route template (e.g. `/api/v1/people/{{person_id}}`) or `{UNMATCHED_ROUTE}`",
)
STATUS = Label("status", None, "HTTP status code, e.g. `200`, `404`")
CPU_MODE = Label(
    "mode", ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
)  # psutil's Linux fields; other systems report the subset they have

_RULE_SEVERITY = RULE_SEVERITIES
RULE = Label("rule", (*(rule for rule, _ in _RULE_SEVERITY), OTHER), "ACGME rule id")
SEVERITY = Label("severity", tuple(s.value for s in Severity))
OUTCOME = Label("outcome", get_args(GenerationOutcome))
VALIDATION_SOURCE = Label("source", get_args(ValidationSource))
VALIDATION_RESULT = Label("result", get_args(ValidationResult))
SWAP_CREATED_FROM = "none"
"""The ``from_state`` of a swap request's creation."""
SWAP_FROM = Label(
    "from_state",
    (SWAP_CREATED_FROM, *(s.value for s in SwapState)),
    f"`{SWAP_CREATED_FROM}` on creation",
)
SWAP_TO = Label("to_state", tuple(s.value for s in SwapState))
USER_ACTION = Label("action", (*get_args(UserActionKind), OTHER))
AUTH_REASON = Label("reason", (*get_args(FailureReason), OTHER))
RATE_LIMIT_SCOPE = Label("scope", (*get_args(RateLimitScope), OTHER))
SUSPICIOUS_KIND = Label("kind", (*get_args(SuspiciousKind), OTHER))
RESOURCE_TYPE = Label("resource_type", (*get_args(ResourceType), OTHER))
ACCESS_ACTION = Label("action", (*get_args(AccessAction), OTHER))
CACHE = Label("cache", (*get_args(CacheName), OTHER))
CACHE_RESULT = Label("result", get_args(CacheResult))
REDIS_PART = Label("part", get_args(RedisPart), "the part that went on without Redis")
REFRESH_HOOK = Label("hook", get_args(RefreshHook))
PUSH_RESULT = Label("result", get_args(PushResult))
SPAN_EXPORTER = Label("exporter", get_args(SpanExporterName))
SPAN_DROP_REASON = Label("reason", get_args(SpanDropReason))


def _without_other(label: Label) -> Label:
    assert label.values is not None
    return Label(label.name, tuple(v for v in label.values if v != OTHER))


# --- buckets ---------------------------------------------------------------------------------

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
"""5 ms to 10 s: p50/p95/p99 and every latency alert threshold (0.5 s, 1 s, 2 s ...) fall on
or between bucket bounds."""
GENERATION_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 180.0, 300.0, 450.0, 600.0)
"""0.5 s to 10 min: a small program solves in seconds, a large one may use its whole limit."""
DB_WAIT_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0
)  # fmt: skip
"""1 ms to 30 s (SQLAlchemy's default pool_timeout): a free pooled connection takes well under
a millisecond, a new one a few, and a checkout that gives up lands at its pool_timeout."""

# --- system (host via psutil, and the process) -------------------------------------------------

_PSUTIL = "app.core.metrics.system (psutil)"

HOST_CPU_SECONDS = MetricSpec(
    "residency_host_cpu_seconds_total", "counter",
    "CPU time of the whole host, summed over its cores, by mode.",
    "system", ("CPU usage",), unit="seconds", labels=(CPU_MODE,),
    source="collector", emitted_by=_PSUTIL,
)  # fmt: skip
HOST_CPU_CORES = MetricSpec(
    "residency_host_cpu_cores", "gauge", "Logical CPU cores of the host.",
    "system", ("CPU usage",), source="collector", emitted_by=_PSUTIL,
)  # fmt: skip
HOST_MEMORY_TOTAL = MetricSpec(
    "residency_host_memory_total_bytes", "gauge", "Physical memory of the host.",
    "system", ("Memory usage",), unit="bytes", source="collector", emitted_by=_PSUTIL,
)  # fmt: skip
HOST_MEMORY_AVAILABLE = MetricSpec(
    "residency_host_memory_available_bytes", "gauge",
    "Memory available to new processes without swapping.",
    "system", ("Memory usage",), unit="bytes", source="collector", emitted_by=_PSUTIL,
)  # fmt: skip
HOST_FILESYSTEM_SIZE = MetricSpec(
    "residency_host_filesystem_size_bytes", "gauge",
    "Size of the filesystem holding the service's working directory (its data and logs by "
    "default).",
    "system", ("Disk I/O",), unit="bytes", source="collector", emitted_by=_PSUTIL,
)  # fmt: skip
HOST_FILESYSTEM_FREE = MetricSpec(
    "residency_host_filesystem_free_bytes", "gauge",
    "Free space on the filesystem holding the service's working directory.",
    "system", ("Disk I/O",), unit="bytes", source="collector", emitted_by=_PSUTIL,
)  # fmt: skip
HOST_DISK_READ = MetricSpec(
    "residency_host_disk_read_bytes_total", "counter", "Bytes read from all host disks.",
    "system", ("Disk I/O",), unit="bytes", source="collector", emitted_by=_PSUTIL,
)  # fmt: skip
HOST_DISK_WRITTEN = MetricSpec(
    "residency_host_disk_written_bytes_total", "counter", "Bytes written to all host disks.",
    "system", ("Disk I/O",), unit="bytes", source="collector", emitted_by=_PSUTIL,
)  # fmt: skip
HOST_DISK_READS = MetricSpec(
    "residency_host_disk_reads_total", "counter", "Read operations completed by all host disks.",
    "system", ("Disk I/O",), source="collector", emitted_by=_PSUTIL,
)  # fmt: skip
HOST_DISK_WRITES = MetricSpec(
    "residency_host_disk_writes_total", "counter",
    "Write operations completed by all host disks.",
    "system", ("Disk I/O",), source="collector", emitted_by=_PSUTIL,
)  # fmt: skip
HOST_NET_RECEIVED = MetricSpec(
    "residency_host_network_received_bytes_total", "counter",
    "Bytes received by the host's network interfaces (loopback excluded).",
    "system", ("Network I/O",), unit="bytes", source="collector", emitted_by=_PSUTIL,
    notes="Interfaces named `lo*` are skipped: traffic between processes of the host (a local "
    "Prometheus scrape, a local database) is not network I/O.",
)  # fmt: skip
HOST_NET_TRANSMITTED = MetricSpec(
    "residency_host_network_transmitted_bytes_total", "counter",
    "Bytes sent by the host's network interfaces (loopback excluded).",
    "system", ("Network I/O",), unit="bytes", source="collector", emitted_by=_PSUTIL,
    notes="Interfaces named `lo*` are skipped, as for the bytes received.",
)  # fmt: skip

_PROCESS = (
    "prometheus_client ProcessCollector; with several workers app.core.metrics.system sums "
    "the gunicorn master and its workers under the same names"
)
PROCESS_CPU = MetricSpec(
    "process_cpu_seconds_total", "counter", "CPU time used by the service's processes.",
    "system", ("Process metrics", "CPU usage"), unit="seconds",
    source="external", emitted_by=_PROCESS,
    notes="With several workers it includes exited workers (reaped by the master), so it "
    "never goes backwards when a worker is replaced.",
)  # fmt: skip
PROCESS_RESIDENT_MEMORY = MetricSpec(
    "process_resident_memory_bytes", "gauge", "Resident memory of the service's processes.",
    "system", ("Process metrics", "Memory usage"), unit="bytes",
    source="external", emitted_by=_PROCESS,
)  # fmt: skip
PROCESS_VIRTUAL_MEMORY = MetricSpec(
    "process_virtual_memory_bytes", "gauge", "Virtual memory of the service's processes.",
    "system", ("Process metrics",), unit="bytes", source="external", emitted_by=_PROCESS,
)  # fmt: skip
PROCESS_OPEN_FDS = MetricSpec(
    "process_open_fds", "gauge", "Open file descriptors of the service's processes.",
    "system", ("Process metrics",), source="external", emitted_by=_PROCESS,
)  # fmt: skip
PROCESS_MAX_FDS = MetricSpec(
    "process_max_fds", "gauge", "File descriptor limit of one process.",
    "system", ("Process metrics",), source="external", emitted_by=_PROCESS,
)  # fmt: skip
PROCESS_START_TIME = MetricSpec(
    "process_start_time_seconds", "gauge",
    "Start of the service (the master process), in seconds since the epoch.",
    "system", ("Process metrics",), unit="seconds", source="external", emitted_by=_PROCESS,
)  # fmt: skip
SERVER_WORKERS = MetricSpec(
    "residency_server_workers", "gauge",
    "Worker processes serving requests (1 without --workers).",
    "system", ("Process metrics",), source="collector", emitted_by="app.core.metrics.system",
)  # fmt: skip
PYTHON_INFO = MetricSpec(
    "python_info", "gauge", "Python implementation and version (labels, value 1).",
    "system", ("Process metrics",),
    labels=(
        Label("implementation", None, "e.g. `CPython`"),
        Label("major", None, "Python major version"),
        Label("minor", None, "Python minor version"),
        Label("patchlevel", None, "Python patch level"),
        Label("version", None, "full version string"),
    ),
    source="external", emitted_by="prometheus_client PlatformCollector",
)  # fmt: skip

# --- application -----------------------------------------------------------------------------

HTTP_REQUESTS = MetricSpec(
    "http_requests_total", "counter",
    "HTTP requests answered, by method, route template and status code (GET /metrics is not "
    "counted).",
    "application", ("Request rate", "Error rate"), labels=(METHOD, ROUTE, STATUS),
    notes="Every (method, route template) the app serves is exported at 0 from the start with "
    "`status=\"500\"` and with the route's success status (200, 201, 202 or 204), so a "
    "route's first server error, and its first success, are increases rate() sees.",
)  # fmt: skip
HTTP_REQUEST_DURATION = MetricSpec(
    "http_request_duration_seconds", "histogram",
    "Time from receiving a request to the end of its response, by method and route template; "
    "buckets carry the trace id as an exemplar when tracing samples the request.",
    "application", ("Response time (p50, p95, p99)",), unit="seconds",
    labels=(METHOD, ROUTE), buckets=HTTP_BUCKETS,
)  # fmt: skip
HTTP_REQUESTS_IN_PROGRESS = MetricSpec(
    "http_requests_in_progress", "gauge", "HTTP requests being served right now, by method.",
    "application", ("Request rate",), labels=(METHOD,), multiprocess_mode="livesum",
    initial=every_combination(METHOD),
)  # fmt: skip
ACTIVE_USERS = MetricSpec(
    "residency_active_users", "gauge",
    "Users signed in and active recently, as counted by the auth service at scrape time.",
    "application", ("Active users",), multiprocess_mode="mostrecent",
    notes="Read at scrape time from the active-users tracker (in process, or Redis).",
)  # fmt: skip
DB_POOL_SIZE = MetricSpec(
    "residency_db_pool_size", "gauge",
    "Connections the database pool keeps (its configured size), summed over workers.",
    "application", ("Database connections",), multiprocess_mode="livesum",
)  # fmt: skip
DB_POOL_CHECKED_OUT = MetricSpec(
    "residency_db_pool_checked_out", "gauge",
    "Database connections in use by requests or jobs right now.",
    "application", ("Database connections",), multiprocess_mode="livesum",
    notes="A reading at the scrape: checkouts that last milliseconds are rarely caught. For "
    "how busy the pool is between scrapes, use the rate of the busy seconds below.",
)  # fmt: skip
DB_POOL_OVERFLOW = MetricSpec(
    "residency_db_pool_overflow", "gauge",
    "Connections in use beyond the pool size (max_overflow headroom being used).",
    "application", ("Database connections",), multiprocess_mode="livesum",
)  # fmt: skip
DB_POOL_BUSY_SECONDS = MetricSpec(
    "residency_db_pool_busy_seconds_total", "counter",
    "Connection-seconds the pool's database connections spent checked out; its rate is the "
    "mean number of connections in use.",
    "application", ("Database connections",), unit="seconds",
    notes="Connections still checked out are counted up to now: exactly at the scrape with one "
    "process, at most a second behind with several workers (each adds its open checkouts' time "
    "every second). A query longer than the scrape interval therefore shows while it runs. "
    f"Divided by `{DB_POOL_SIZE.name}`: the share of the pool in use.",
)  # fmt: skip
DB_POOL_WAIT = MetricSpec(
    "residency_db_pool_wait_seconds", "histogram",
    "Time a checkout waited for a database connection (a pooled one or a newly opened one), "
    "including checkouts that gave up.",
    "application", ("Database connections",), unit="seconds", buckets=DB_WAIT_BUCKETS,
    notes="Measured around the engine's checkout, so it includes opening a new connection and, "
    "on PostgreSQL, the pre-ping that checks a pooled one is alive.",
)  # fmt: skip
DB_POOL_TIMEOUTS = MetricSpec(
    "residency_db_pool_checkout_timeouts_total", "counter",
    "Checkouts that gave up because no connection became free within the pool's timeout.",
    "application", ("Database connections",),
    notes="SQLAlchemy's pool `TimeoutError` (\"QueuePool limit ... reached\") after "
    "`DATABASE_POOL_TIMEOUT`: the request answers 503 with `Retry-After`.",
)  # fmt: skip
CACHE_LOOKUPS = MetricSpec(
    "residency_cache_lookups_total", "counter", "Cache lookups by cache and result (hit, miss).",
    "application", ("Cache hit rate",), labels=(CACHE, CACHE_RESULT),
    initial=every_combination(_without_other(CACHE), CACHE_RESULT),
)  # fmt: skip
REDIS_ERRORS = MetricSpec(
    "residency_redis_errors_total", "counter",
    "Redis calls that failed or timed out, by the part that then went on without Redis (fail "
    "open: no rate limit, no per-IP lockout, a cache miss, an uncounted user or export).",
    "application", labels=(REDIS_PART,), initial=every_combination(REDIS_PART),
    notes="Each part fails open, so a Redis outage shows here (and in `/ready` as "
    "`checks.redis: unreachable`), not as errors. Calls are bounded by `REDIS_TIMEOUT_SECONDS`.",
)  # fmt: skip

# --- business --------------------------------------------------------------------------------

ACGME_VIOLATIONS = MetricSpec(
    "residency_acgme_violations_total", "counter",
    "ACGME findings reported by validations, by rule and severity (each validation counts "
    "what it found).",
    "business", ("ACGME violations",), labels=(RULE, SEVERITY), initial=_RULE_SEVERITY,
)  # fmt: skip
ACGME_CURRENT_VIOLATIONS = MetricSpec(
    "residency_acgme_current_violations", "gauge",
    "ACGME findings in the active schedule as stored, by rule (worked out again at the first "
    "scrape after any change to the stored schedule).",
    "business", ("ACGME violations",), labels=(RULE, SEVERITY), multiprocess_mode="mostrecent",
    initial=_RULE_SEVERITY,
)  # fmt: skip
COMPLIANCE_SCORE = MetricSpec(
    "residency_compliance_score_ratio", "gauge",
    "Share of resident-blocks of the active schedule without an ACGME violation (0 to 1), as "
    "stored (worked out again at the first scrape after any change).",
    "business", ("Compliance score",), unit="ratio", multiprocess_mode="mostrecent",
    starts_unknown=True,
    notes="NaN until worked out for the first time (the first scrape after start starts it) "
    "and while no academic year is stored: no false alert on a fresh process. The API "
    "reports the same score as a percentage (`compliance_score`).",
)  # fmt: skip
SCHEDULE_VALIDATIONS = MetricSpec(
    "residency_schedule_validations_total", "counter",
    "Schedule validations by what was validated and whether it passed.",
    "business", ("ACGME violations", "Compliance score"),
    labels=(VALIDATION_SOURCE, VALIDATION_RESULT),
    initial=every_combination(VALIDATION_SOURCE, VALIDATION_RESULT),
)  # fmt: skip
GENERATION_DURATION = MetricSpec(
    "residency_schedule_generation_duration_seconds", "histogram",
    "Wall time of schedule generation runs, by outcome; its _count is the number of runs.",
    "business", ("Schedule generation time",), unit="seconds", labels=(OUTCOME,),
    buckets=GENERATION_BUCKETS, initial=every_combination(OUTCOME),
)  # fmt: skip
OVERRIDES = MetricSpec(
    "residency_compliance_overrides_total", "counter",
    "Rule-breaking changes kept with a written justification, by rule broken.",
    "business", ("ACGME violations",), labels=(RULE,),
    initial=tuple((rule,) for rule, _ in _RULE_SEVERITY),
)  # fmt: skip
SWAP_TRANSITIONS = MetricSpec(
    "residency_swap_transitions_total", "counter",
    "Swap request state changes, by state left (`none` when created) and state entered.",
    "business", ("Swap requests",), labels=(SWAP_FROM, SWAP_TO),
    initial=tuple(
        (SWAP_CREATED_FROM if old is None else old.value, new.value)
        for old, new in SWAP_STATE_CHANGES
    ),
    notes="Every legal state change (`app.swaps.events.TRANSITIONS`) is exported at 0 from "
    "the start.",
)  # fmt: skip
SWAPS_PENDING = MetricSpec(
    "residency_swap_requests_pending", "gauge",
    "Swap requests awaiting a decision (state pending or accepted), read from the database at "
    "scrape time.",
    "business", ("Swap requests",), multiprocess_mode="mostrecent",
)  # fmt: skip
USER_ACTIONS = MetricSpec(
    "residency_user_actions_total", "counter", "Actions taken by signed-in users, by action.",
    "business", ("User activity",), labels=(USER_ACTION,),
    initial=every_combination(_without_other(USER_ACTION)),
)  # fmt: skip

# --- security --------------------------------------------------------------------------------

AUTH_FAILURES = MetricSpec(
    "residency_auth_failures_total", "counter", "Failed authentication attempts, by reason.",
    "security", ("Failed authentication attempts",), labels=(AUTH_REASON,),
    initial=every_combination(_without_other(AUTH_REASON)),
)  # fmt: skip
ACCESS_DENIED = MetricSpec(
    "residency_access_denied_total", "counter",
    "Requests refused because the caller lacked the role or ownership, by resource type.",
    "security", ("Failed authentication attempts", "Suspicious activity"),
    labels=(RESOURCE_TYPE,), initial=every_combination(_without_other(RESOURCE_TYPE)),
)  # fmt: skip
RATE_LIMITED = MetricSpec(
    "residency_rate_limit_exceeded_total", "counter", "Requests refused by a rate limit, by scope.",
    "security", ("Rate limit violations",), labels=(RATE_LIMIT_SCOPE,),
    initial=every_combination(_without_other(RATE_LIMIT_SCOPE)),
)  # fmt: skip
SUSPICIOUS_ACTIVITY = MetricSpec(
    "residency_suspicious_activity_total", "counter", "Suspicious activity detected, by kind.",
    "security", ("Suspicious activity",), labels=(SUSPICIOUS_KIND,),
    initial=every_combination(_without_other(SUSPICIOUS_KIND)),
)  # fmt: skip
DATA_ACCESS = MetricSpec(
    "residency_data_access_total", "counter",
    "Reads and changes of protected data, by resource type and action.",
    "security", ("Data access events",), labels=(RESOURCE_TYPE, ACCESS_ACTION),
    initial=every_combination(_without_other(RESOURCE_TYPE), _without_other(ACCESS_ACTION)),
)  # fmt: skip

# --- telemetry about telemetry ---------------------------------------------------------------

REFRESH_FAILURES = MetricSpec(
    "residency_metrics_refresh_failures_total", "counter",
    "Scrape-time refreshes that failed or timed out (the gauge keeps its last value).",
    "telemetry", labels=(REFRESH_HOOK,), initial=every_combination(REFRESH_HOOK),
)  # fmt: skip
PUSHES = MetricSpec(
    "residency_pushgateway_pushes_total", "counter",
    "Batches pushed to the Pushgateway, by result (failure: after every retry).",
    "telemetry", labels=(PUSH_RESULT,), initial=every_combination(PUSH_RESULT),
    source="exporter",
)  # fmt: skip
PUSH_RETRIES = MetricSpec(
    "residency_pushgateway_push_retries_total", "counter",
    "Pushes to the Pushgateway retried after an error or timeout.",
    "telemetry", source="exporter",
)  # fmt: skip
PUSH_LAST_SUCCESS = MetricSpec(
    "residency_pushgateway_last_success_timestamp_seconds", "gauge",
    "When the last complete push cycle succeeded, in seconds since the epoch (0: never).",
    "telemetry", unit="seconds", multiprocess_mode="max", source="exporter",
)  # fmt: skip

TRACING_SPANS_DROPPED = MetricSpec(
    "residency_tracing_spans_dropped_total", "counter",
    "Finished, sampled spans that never reached an exporter's destination, by exporter and "
    "reason.",
    "telemetry",
    labels=(SPAN_EXPORTER, SPAN_DROP_REASON), source="process",
    emitted_by="app.tracing.metrics (prometheus_client's default registry: spans are per process)",
)  # fmt: skip

CATALOG: tuple[MetricSpec, ...] = tuple(
    value for value in list(globals().values()) if isinstance(value, MetricSpec)
)
"""Every metric, in declaration order."""


def _check_unique() -> None:
    names = [spec.name for spec in CATALOG]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"metrics declared twice: {sorted(duplicates)}")


_check_unique()
