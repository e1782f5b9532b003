"""HTTP plumbing shared by the routers."""

# Every versioned route declares this prefix itself (rather than inheriting it from a parent
# router) so the route template the telemetry layer reads from scope["route"] is the full path.
API_PREFIX = "/api/v1"
