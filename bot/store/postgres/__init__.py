"""The PostgreSQL backend of the Store, for several bot processes on one database."""

from bot.store.postgres.commit import Conn, PostgresStore, is_postgres_url, redact, walk_chain

__all__ = ["Conn", "PostgresStore", "is_postgres_url", "redact", "walk_chain"]
