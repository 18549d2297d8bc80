"""Jobs the tests enqueue; a real RQ worker imports them by dotted path."""

import django_rq


def mark_done(n):
    django_rq.get_connection("default").sadd("test:done", n)


def explode(message):
    raise RuntimeError(message)
