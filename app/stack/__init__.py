"""``residency-scheduler stack``: Debian's Prometheus, Alertmanager and Pushgateway on loopback,
configured for the app on this machine (``components``: what runs, ``configs``: the generated
files, ``processes``: pid files and lifetimes, ``cli``: the command)."""
