"""Request-path security: rate limits, lockouts, active users, export monitoring, wiring."""
