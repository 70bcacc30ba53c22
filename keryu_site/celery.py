"""The Celery application. Settings come from Django's settings under the CELERY_ prefix."""

import os
from typing import Any

from celery import Celery
from celery.signals import task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keryu_site.settings.base")

app = Celery("keryu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect(dispatch_uid="keryu.close_old_connections")
def _connections_checked(task: Any = None, **kwargs: Any) -> None:
    """Before each task, what Django does before each request: close this thread's connection if it is past
    CONN_MAX_AGE or broken, so the reused connection (CELERY_DB_REUSE_MAX) never outlives its welcome. Not for
    a task run eagerly in the caller's process (tests): that connection is the caller's, maybe in a transaction."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    close_old_connections()
