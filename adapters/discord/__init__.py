"""The Discord adapter: threads, streamed replies, locks and a mod log moderators can act on.

Three layers, as for every platform: `translate` (Discord objects to records), `render` (records
to messages, embeds and buttons) and `service` (the discord.py client doing the I/O).
`python -m bot run` calls `make_service(settings)`, then `check()` and `serve(runtime)`.
"""

from adapters.discord.service import DiscordService, make_service

__all__ = ["DiscordService", "make_service"]
