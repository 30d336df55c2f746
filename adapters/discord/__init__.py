"""The Discord adapter: threads, streamed replies, locks and a mod log moderators can act on.

The pure layers, as for every platform: `translate` (Discord objects to records), `render`
(records to messages, embeds and buttons) and `components` (buttons that survive restarts).
The I/O in four: `client` (discord.py wiring, login, shards), `intake` (messages to records,
hosted servers, opening threads), `interactions` (buttons, forms, slash commands) and `delivery`
(actions out: posts, locks, cases, streamed replies); `service` wires them into one service.
`python -m bot run` calls `make_service(settings)`, then `check()` and `serve(runtime)`.
"""

from adapters.discord.service import DiscordService, make_service

__all__ = ["DiscordService", "make_service"]
