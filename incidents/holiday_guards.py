"""Who else cares about a holiday edit: apps that keep clocks say whether a day lies inside one that ended.

`incidents` knows nothing of the claims; compensation registers a guard in its AppConfig.ready().
A guard is `guard(*, day, today)` returning messages ("3 claims have an ended clock over this
day"); any message makes the edit wait for a second compliance user.
"""

_guards = []


def register(guard):
    if guard not in _guards:
        _guards.append(guard)
    return guard


def ended_clocks_over(*, day, today):
    return [message for guard in _guards for message in guard(day=day, today=today)]
