"""libpq URLs for subprocesses (workers, backup, restore, gunicorn) that must reach the test database."""

from django.db import connection


def database_url(database: str | None = None, user: str | None = None) -> str:
    db = connection.settings_dict
    name, user = database or db["NAME"], user or db["USER"]
    password = f":{db['PASSWORD']}" if db["PASSWORD"] and user == db["USER"] else ""
    host = db["HOST"] or db["OPTIONS"].get("host", "")
    port = db["PORT"] or db["OPTIONS"].get("port") or ""
    if host.startswith("/"):
        return f"postgresql://{user}{password}@/{name}?host={host}" + (f"&port={port}" if port else "")
    return f"postgresql://{user}{password}@{host or '127.0.0.1'}{f':{port}' if port else ''}/{name}"
