"""gunicorn's settings for Casework (``make serve``; see docs/deploy.md).

Every value comes from the environment, so each app server is configured the same way:
HOST and PORT (bind), WEB_CONCURRENCY (worker processes, default 2 per core + 1),
GUNICORN_THREADS (threads per worker), GUNICORN_TIMEOUT (seconds).
"""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Restart a worker now and then, so that no slow leak grows without bound (not too often:
# a busy worker answers over a hundred requests a second, and a restart costs a second).
max_requests = 50000
max_requests_jitter = 5000
# The app logs each request itself, as JSON (casework.web.serving); gunicorn's own lines too.
accesslog = None
errorlog = "-"
loglevel = "info"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "casework.web.serving.JsonFormatter"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json",
                            "stream": "ext://sys.stdout"}},
    # The application puts its own JSON handler on the root logger (casework.web.serving).
    "root": {"level": "INFO", "handlers": []},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}
os.environ.setdefault("CASEWORK_LOG_FORMAT", "json")
# Behind a load balancer that terminates TLS: trust its X-Forwarded-* headers only from
# the addresses in FORWARDED_ALLOW_IPS (gunicorn reads that variable itself).


def post_worker_init(worker):
    """Once the app is loaded in a worker:

    * a crash in C code (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) writes every thread's
      Python traceback ("Fatal Python error: ...") to the stream gunicorn logs to, beside
      gunicorn's own "Worker (pid:...) was sent SIGSEGV!". Installed here, after gunicorn's
      own signal handlers: on a worker timeout (SIGABRT from the master) the traceback
      shows where the worker was stuck, then gunicorn's handler ends it as before;
    * everything alive now (modules, templates, the app) is moved out of the cyclic
      garbage collector's sight: each collection then walks only what requests create,
      not the whole worker.
    """
    import gc

    from casework.web.serving import enable_crash_tracebacks

    enable_crash_tracebacks(_log_stream(worker))
    gc.freeze()


def _log_stream(worker):
    """The stream gunicorn's error log writes to (stdout with the logconfig_dict above)."""
    for handler in worker.log.error_log.handlers:
        stream = getattr(handler, "stream", None)
        if stream is not None:
            return stream
    return None
