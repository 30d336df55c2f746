"""The SQLite backend of the Store, for one bot process."""

from bot.store.sqlite.commit import HOT_PATH_QUERIES, REVIEWING_KINDS, TURN_TEXT_CHARS, SqliteStore

__all__ = ["HOT_PATH_QUERIES", "REVIEWING_KINDS", "TURN_TEXT_CHARS", "SqliteStore"]
