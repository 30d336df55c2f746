"""The scale tests run on the store suite's PostgreSQL databases (see tests/store/conftest.py)."""

from tests.store.conftest import pg_database, pg_url

__all__ = ["pg_database", "pg_url"]
