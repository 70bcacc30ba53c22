"""Settings for a Celery worker started by a test that talks to the local fakes (provider URLs from env).

The test settings pin provider URLs to a dead local port; a worker child process gets the fakes' URLs
and credentials through FAKE_* variables instead, so it reaches only the fakes on 127.0.0.1.
"""

import os

from keryu_site.settings.test import *  # noqa: F403
from testkit.fakes.worker_env import FORWARDED

for _name in FORWARDED:
    if f"FAKE_{_name}" in os.environ:
        globals()[_name] = os.environ[f"FAKE_{_name}"]
