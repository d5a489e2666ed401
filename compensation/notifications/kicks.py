"""One drain task per burst instead of one task per outbox row (README "Mail: the outbox").

On the outage morning every claim writes one outbox row. Publishing one Celery task per row cost
the web process a publish and the worker a task (a lease, a render, a send and a mark for one
row: ~12 ms of CPU against ~3 ms a row in a batch). Instead, after commit, a few ids (`MAX_IDS`)
are appended to a list per mail queue in the broker's Redis, and the first push of a burst also
sets that queue's *kick* key and publishes one `drain_kicked` task, which waits until
`NOTIFICATION_KICK_SECONDS` after the kick; pushes while the key is set publish nothing. The drain
then takes the whole list and delivers it as one batch (`outbox.deliver_batch`: lease, fencing
token, marked after "250").

Why this loses nothing and sends nothing twice:

- `push` (RPUSH the ids; SET the kick NX) and `take` (LRANGE and DEL the list; DEL the kick) are
  each one MULTI/EXEC, so they never interleave: a push lands either before a take (its ids are
  in what the drain takes) or after it (the kick is gone: the push publishes a new drain).
- The row itself stays pending with `queued_at` set, as for a published task. If the ids or the
  drain are lost (Redis restarted, a worker killed after the take), the every-minute sweep queues
  the row once the grace has passed, as it does for a lost task.
- A push or a publish that fails is a failed publish: the outbox marks the rows not queued and
  opens the broker breaker (the sweep sends them); a failed publish also drops the kick, so the
  next row publishes again.
- The kick key expires after `KICK_TTL_SECONDS` even if its drain never ran; an extra drain finds
  an empty list or rows that are leased or sent already, and skips them.
- Only a broker on Redis has the list; other brokers (`memory://` in tests, the SQLite broker of
  `make run`) get one task per row as before.
"""

import redis

MAX_IDS = 20  # larger sets (sweeps, bulk batches) go as batch tasks several workers can share
KICK_TTL_SECONDS = 30
LIST_TTL_SECONDS = 3600  # ids older than this are the sweep's anyway
_clients = {}


def client(broker_url, *, timeout):
    """A Redis client for the broker at `broker_url`, or None when the broker is not Redis."""
    if not broker_url or not broker_url.startswith(("redis://", "rediss://")):
        return None
    key = (broker_url, timeout)
    found = _clients.get(key)
    if found is None:
        found = _clients[key] = redis.Redis.from_url(broker_url, socket_timeout=timeout, socket_connect_timeout=timeout)
    return found


def _keys(queue):
    return f"outbox:kicked:{queue}", f"outbox:kick:{queue}"


def push(conn, ids, *, queue, window):
    """Append `ids` to the queue's list; True when this push set the kick (the caller publishes)."""
    ids_key, kick_key = _keys(queue)
    pipe = conn.pipeline(transaction=True)
    pipe.rpush(ids_key, *ids)
    pipe.expire(ids_key, LIST_TTL_SECONDS)
    pipe.set(kick_key, "1", nx=True, ex=max(KICK_TTL_SECONDS, int(window * 4) + 1))
    return bool(pipe.execute()[-1])


def forget_kick(conn, *, queue):
    """The drain could not be published: let the next push publish one (best effort)."""
    try:
        conn.delete(_keys(queue)[1])
    except redis.RedisError:
        pass  # the key expires by itself; the sweep has the rows meanwhile


def take(conn, *, queue):
    """Every id pushed so far for `queue`, in order, once each; the kick is cleared in the same step."""
    ids_key, kick_key = _keys(queue)
    pipe = conn.pipeline(transaction=True)
    pipe.lrange(ids_key, 0, -1)
    pipe.delete(ids_key)
    pipe.delete(kick_key)
    raw = pipe.execute()[0]
    return list(dict.fromkeys(int(value) for value in raw))
