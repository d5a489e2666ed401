import os

from celery import Celery
from celery.signals import celeryd_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("outage_compensation")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@celeryd_init.connect
def _worker_waits_out_a_frozen_broker(conf=None, **kwargs):
    """Web processes publish with short broker timeouts (a request must not wait, the sweep catches
    up). A worker instead waits for a frozen broker: an acknowledgement that times out makes kombu's
    Redis transport drop the connection its consumer polls, and the worker then stops taking tasks
    without an error or a reconnect (tests/integration/test_chaos.py, "Redis frozen"). Keepalive
    still ends a connection to a broker that is gone for good, and that path reconnects."""
    options = dict(conf.broker_transport_options or {})
    options.update(socket_timeout=None, socket_keepalive=True)
    conf.broker_transport_options = options
