"""gunicorn settings for production (and bench/load.py); each can be changed from the environment."""

import multiprocessing
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
# Threads overlap database waits inside one process; processes use the cores.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# No access log: the app logs each request as JSON, without IP addresses (app/logs.py).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
# Behind a load balancer set FORWARDED_ALLOW_IPS to its address so https is recognised.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Heartbeat files in memory, not on a container's overlay disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
