"""Slack's Web API out: the core's actions posted, replies streamed, each post at most once.

The runtime calls `perform` and `stream_reply` (through the service); they render (`render`) and
call the Web API, translating every SDK error into `bot.errors` (`client.slack_errors`).

Why posts carry message metadata: Slack has no idempotency key, so every post made for an owed
action is marked with the action's key and its piece number (`ACTION_EVENT`); a retry looks for the
marks first and posts only what is missing.

Why streaming falls back: chat.startStream/appendStream/stopStream are not available everywhere;
where Slack says so, the channel is remembered and the reply is posted and edited with chat.update
instead, at most about once a second per thread and within the workspace's chat.update budget.

Why the core's context variable: the core's `stream_reply` and `ignored` actions do not say which
user wrote the message being answered, and Slack needs it (streaming into a channel needs a
recipient; the closed-thread reminder is ephemeral to one user). The runtime carries the actions out
in the task that handles the event and records the event in `bot.runtime.HANDLING`, so the adapter
reads its author there (not from its own listener: a message may be decided by the task of the
thread's next message, see `Runtime.accept`).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, Final

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from adapters.slack.client import Lru, Names, delivery_error, error_data, slack_errors
from adapters.slack.modlog import ModLog
from bot import notices
from bot.config import SlackSettings
from bot.errors import DeliveryError, UnsupportedAction
from bot.records import Action, Case, ModCommand, ThreadRef
from bot.runtime import HANDLING, Runtime

log = logging.getLogger(__name__)

#: Answers to chat.startStream that mean "streaming is not available here": fall back to updates.
NO_STREAMING: Final = frozenset(
    {
        "unknown_method",
        "not_allowed",
        "not_allowed_token_type",
        "method_not_supported_for_channel_type",
        "feature_not_enabled",
        "not_supported",
    }
)
LOCK_REACTION = "lock"
#: chat.update is Tier 3 (about 50 a minute for the workspace): intermediate edits stay under it.
UPDATE_BUDGET = (50, 60.0)
#: The message metadata event type that marks a post made for an owed action (its key and piece).
ACTION_EVENT: Final = "threadkeeper_action"


def _speaker_in(thread: ThreadRef) -> str | None:
    """The user whose event the core is handling in `thread`, if any (see the module docstring)."""
    event = HANDLING.get()
    author = getattr(event, "author", None) or getattr(event, "moderator", None)
    threads = (getattr(event, "thread", None), getattr(event, "new_thread", None))
    if author is None or not any(t is not None and t.key == thread.key for t in threads):
        return None
    return str(author.id)


class _Budget:
    """A sliding window of calls: at most `limit` in `per` seconds."""

    def __init__(self, limit: int, per: float) -> None:
        self._limit, self._per = limit, per
        self._calls: deque[float] = deque()

    def take(self, *, force: bool = False) -> bool:
        """Spend one call if the window allows (always with `force`); True if spent."""
        now = time.monotonic()
        while self._calls and now - self._calls[0] > self._per:
            self._calls.popleft()
        if not force and len(self._calls) >= self._limit:
            return False
        self._calls.append(now)
        return True


class _NoStreaming(Exception):
    """chat.startStream is not available; the reply falls back to post + update."""


class Delivery:
    """The core's actions and streamed replies, carried out with the Web API client."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        slack: SlackSettings,
        names: Names,
        runtime: Callable[[], Runtime],
        stream_interval: float = 0.5,
        update_interval: float = 1.0,
    ) -> None:
        self.client = client
        self.slack = slack
        self._names = names
        self._runtime = runtime
        self._stream_interval = stream_interval
        self._update_interval = update_interval
        self._no_streaming: set[str] = set()
        self._budget = _Budget(*UPDATE_BUDGET)
        self._reminded = Lru()
        self._done_notices = Lru()
        self.policy_command = f"`{self.slack.slash_command} policy`"
        self.modlog = ModLog(delivery=self, client=client, slack=slack, names=names)

    # --- actions ----------------------------------------------------------------------------------

    async def perform(
        self, action: Action, *, key: str, case: Case | None = None, retry: bool = False
    ) -> str | None:
        """Post a notice, close or reopen a thread, post a case, or ask to confirm an end.

        Slack has no idempotency key: every post carries message metadata naming `key` and its
        piece, and with `retry` the pieces an earlier attempt already posted are skipped. For a
        case (posted, or changed in place) returns where it is shown ("channel/ts").
        """
        thread = action.thread
        kind = action.kind
        if kind in ("case", "case_update"):
            if case is None:
                raise UnsupportedAction(f"a {kind} action without its case")
            if kind == "case":
                return await self.modlog.post(case, priority=action.priority, key=key, retry=retry)
            return await self.modlog.update(case, ping=action.priority, key=key, retry=retry)
        if kind == "ignored":
            await self._remind(thread, action.text)
            return None
        text = render.for_slack(action.text, command=self.slack.slash_command)
        if kind == "notice" and await self._to_moderator(thread, text):
            return None
        await self._carry_out(action, text, key=key, case=case, retry=retry)
        return None

    async def _to_moderator(self, where: ThreadRef, text: str) -> bool:
        """A notice answering the moderator's own command (a refusal) goes to them alone."""
        event = HANDLING.get()
        if not isinstance(event, ModCommand) or event.origin.key != where.key:
            return False
        await self.ephemeral(where, user=event.moderator.id, text=text, in_thread=False)
        return True

    async def _carry_out(
        self, action: Action, text: str, *, key: str, case: Case | None, retry: bool
    ) -> None:
        thread = action.thread
        kind = action.kind
        if kind == "private_notice":
            await self.ephemeral(thread, user=action.user_id or "", text=text, in_thread=True)
            return
        if kind == "confirm_end":
            fallback, blocks = render.confirm_message(
                text, user_id=action.user_id or "", thread=thread
            )
            await self.post_owed(
                thread.channel,
                [(fallback, blocks)],
                thread_ts=thread.thread,
                payload={"key": key, "kind": kind},
                retry=retry,
            )
            return
        # A retry of the same action (the reaction failed after the notice went out) must not post
        # the notice twice: this process remembers it; after a restart Slack is asked.
        if f"{key}:posted" not in self._done_notices:
            texts = render.split(render.notice(text, kind=kind))
            pieces = [
                (
                    piece,
                    # The lock notice's last piece carries the Appeal button for the locked user
                    # (and Continue from before, unless a moderator closed the thread).
                    render.lock_notice(
                        piece,
                        user_id=action.user_id,
                        thread=thread,
                        branch=case is None or case.kind != "mod_lock",
                    )
                    if kind == "lock" and action.user_id and n == len(texts)
                    else None,
                )
                for n, piece in enumerate(texts, start=1)
            ]
            await self.post_owed(
                thread.channel,
                pieces,
                thread_ts=thread.thread,
                payload={"key": key, "kind": kind},
                retry=retry,
            )
            self._done_notices.add(f"{key}:posted")
        if kind in ("lock", "end"):
            await self._react(thread, add=True)
        elif kind == "unlock":
            await self._react(thread, add=False)

    async def post(
        self,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        blocks: Sequence[Mapping[str, Any]] | None = None,
        metadata: Mapping[str, Any] | None = None,
        broadcast: bool = False,
    ) -> str:
        """One chat.postMessage (links not unfurled); the new message's ts.

        `broadcast` shows a reply in the channel too (reply_broadcast), so people see it.
        """
        async with slack_errors("chat.postMessage"):
            resp = await self.client.chat_postMessage(
                channel=channel,
                text=text,
                thread_ts=thread_ts,
                blocks=[dict(b) for b in blocks] if blocks else None,
                unfurl_links=False,
                unfurl_media=False,
                metadata=dict(metadata) if metadata else None,
                reply_broadcast=True if broadcast and thread_ts else None,
            )
        return str(resp.get("ts") or "")

    async def post_owed(
        self,
        channel: str,
        pieces: Sequence[tuple[str, Sequence[Mapping[str, Any]] | None]],
        *,
        thread_ts: str | None,
        payload: Mapping[str, Any],
        retry: bool,
    ) -> list[str]:
        """Post an owed action's pieces (text, blocks), each marked with `payload` and its number.

        Slack has no idempotency key, so the mark is message metadata; with `retry` the earlier
        attempt's pieces are looked up first and skipped, so a crash between pieces (or after
        Slack took a post whose answer was lost) re-posts only what is missing. Without `retry`
        nothing is looked up: one call per piece. Returns the ts of each piece posted now.
        """
        posted = (
            await self.posted_pieces(channel, thread_ts=thread_ts, payload=payload)
            if retry
            else frozenset[int]()
        )
        new: list[str] = []
        for n, (text, blocks) in enumerate(pieces, start=1):
            if n in posted:
                log.info(
                    "piece %d of %s is already in Slack; not posting it again", n, payload["key"]
                )
                continue
            metadata = {"event_type": ACTION_EVENT, "event_payload": {**payload, "piece": n}}
            new.append(
                await self.post(
                    channel, text, thread_ts=thread_ts, blocks=blocks, metadata=metadata
                )
            )
        return new

    async def posted_pieces(
        self,
        channel: str,
        *,
        thread_ts: str | None,
        payload: Mapping[str, Any],
        page: int = 200,
        pages: int = 5,
    ) -> frozenset[int]:
        """The pieces of the action named by `payload` already in Slack: looked up in the thread
        (`conversations.replies`), or among the channel's latest top-level messages
        (`conversations.history`, newest first), up to `pages` pages of `page` messages each: a
        case posted before a restart is found under a thousand later ones. Metadata comes back
        only when asked for.

        A failed lookup answers "none": posting again (a possible duplicate) beats a lost notice.
        """
        messages: list[Any] = []
        try:
            cursor: str | None = None
            for _ in range(pages):
                if thread_ts:
                    async with slack_errors("conversations.replies"):
                        resp = await self.client.conversations_replies(
                            channel=channel,
                            ts=thread_ts,
                            include_all_metadata=True,
                            limit=page,
                            cursor=cursor,
                        )
                else:
                    async with slack_errors("conversations.history"):
                        resp = await self.client.conversations_history(
                            channel=channel, include_all_metadata=True, limit=page, cursor=cursor
                        )
                messages.extend(resp.get("messages") or [])
                if not thread_ts and _marked(messages, payload):
                    break  # a case is one post: found, the older pages need not be read
                cursor = str((resp.get("response_metadata") or {}).get("next_cursor") or "")
                if not resp.get("has_more") or not cursor:
                    break
        except DeliveryError as exc:
            log.warning(
                "could not look for an earlier post of %s (%s); posting, which may repeat it",
                payload["key"],
                exc,
            )
            return frozenset()
        except Exception:  # a lookup must never cost the post
            log.exception(
                "looking for an earlier post of %s failed; posting, which may repeat it",
                payload["key"],
            )
            return frozenset()
        return _marked(messages, payload)

    async def _react(self, thread: ThreadRef, *, add: bool) -> None:
        """The lock reaction on the thread's parent message: Slack's visible "closed"."""
        try:
            if add:
                async with slack_errors("reactions.add"):
                    await self.client.reactions_add(
                        channel=thread.channel, timestamp=thread.thread, name=LOCK_REACTION
                    )
            else:
                async with slack_errors("reactions.remove"):
                    await self.client.reactions_remove(
                        channel=thread.channel, timestamp=thread.thread, name=LOCK_REACTION
                    )
        except DeliveryError as exc:
            if "already_reacted" in str(exc) or "no_reaction" in str(exc):
                return
            raise

    async def _remind(self, thread: ThreadRef, text: str) -> None:
        """At most one private "this thread is closed" (and how to appeal) per user per thread."""
        speaker = _speaker_in(thread)
        if speaker is None:
            log.debug("no speaker for the closed-thread reminder in %s", thread.key)
            return
        if not self._reminded.add(f"{thread.key}|{speaker}"):
            return
        await self.ephemeral(
            thread, user=speaker, text=text or notices.THREAD_CLOSED, in_thread=True
        )

    async def ephemeral(self, where: ThreadRef, *, user: str, text: str, in_thread: bool) -> None:
        """A message only `user` sees, in the channel of `where` (and its thread if asked)."""
        text = render.for_slack(text, command=self.slack.slash_command)
        async with slack_errors("chat.postEphemeral"):
            await self.client.chat_postEphemeral(
                channel=where.channel,
                user=user,
                text=render.escape(text),
                thread_ts=where.thread if in_thread and where.thread else None,
            )

    # --- the streamed reply -----------------------------------------------------------------------

    async def stream_reply(self, thread: ThreadRef, chunks: AsyncIterator[str], *, key: str) -> str:
        """Stream the reply into the thread (chat.*Stream), or post and edit it where unavailable.

        Text is shown up to the last whitespace so an escape never straddles two calls; the whole
        raw text is returned for the thread's history.
        """
        speaker = _speaker_in(thread)
        if speaker is not None:
            recipient = speaker
        else:
            state = await self._runtime().store.load_thread(thread.key)
            recipient = state.owner if state else ""
        out: _Output = (
            _StreamOutput(self, thread, recipient=recipient)
            if thread.channel not in self._no_streaming
            else _UpdateOutput(self, thread)
        )
        raw: list[str] = []
        pending = ""
        async for chunk in chunks:
            raw.append(chunk)
            pending += chunk
            ready = render.safe_prefix(pending, final=False)
            if ready and out.due():
                out = await self._write(out, thread, pending[:ready])
                pending = pending[ready:]
        out = await self._write(out, thread, pending)
        await out.finish()
        return "".join(raw)

    async def _write(self, out: _Output, thread: ThreadRef, text: str) -> _Output:
        try:
            await out.write(text)
        except _NoStreaming:
            # Remember it for this channel only: streaming may work elsewhere.
            self._no_streaming.add(thread.channel)
            out = _UpdateOutput(self, thread)
            await out.write(text)
        return out


def _marked(messages: Sequence[Any], payload: Mapping[str, Any]) -> frozenset[int]:
    """The piece numbers of `messages` marked (message metadata) as posts of `payload`'s action."""
    found: set[int] = set()
    for message in messages:
        meta = message.get("metadata") if isinstance(message, Mapping) else None
        if not isinstance(meta, Mapping) or meta.get("event_type") != ACTION_EVENT:
            continue
        marked = meta.get("event_payload")
        piece = marked.get("piece") if isinstance(marked, Mapping) else None
        if (
            isinstance(marked, Mapping)
            and isinstance(piece, int)
            and all(marked.get(k) == v for k, v in payload.items())
        ):
            found.add(piece)
    return frozenset(found)


class _Output:
    """Where a reply's text goes while it streams."""

    def __init__(self, delivery: Delivery, thread: ThreadRef, interval: float) -> None:
        self._delivery = delivery
        self._client = delivery.client
        self._thread = thread
        self._interval = interval
        self._last = float("-inf")

    def due(self) -> bool:
        """True when enough time has passed since the last call to show more text."""
        return time.monotonic() - self._last >= self._interval

    def _mark(self) -> None:
        self._last = time.monotonic()

    async def write(self, text: str) -> None:
        """Show `text` (raw, unescaped) after what is already shown."""
        raise NotImplementedError

    async def finish(self) -> None:
        """Everything is shown: end the message."""
        raise NotImplementedError


class _StreamOutput(_Output):
    """chat.startStream / appendStream / stopStream, rolling over to a new message at the limit."""

    def __init__(self, delivery: Delivery, thread: ThreadRef, *, recipient: str) -> None:
        super().__init__(delivery, thread, delivery._stream_interval)
        self._recipient = recipient
        self._ts: str | None = None
        self._length = 0

    async def write(self, text: str) -> None:
        """Append escaped text, starting (or rolling over to) a stream as needed."""
        if not text:
            return
        for piece in render.split(render.escape(text), render.STREAM_LIMIT):
            if self._ts is not None and self._length + len(piece) > render.STREAM_LIMIT:
                await self._stop()
            if self._ts is None:
                await self._start(piece)
            else:
                async with slack_errors("chat.appendStream"):
                    await self._client.chat_appendStream(
                        channel=self._thread.channel, ts=self._ts, markdown_text=piece
                    )
                self._length += len(piece)
        self._mark()

    async def _start(self, text: str) -> None:
        thread = self._thread
        try:
            resp = await self._client.chat_startStream(
                channel=thread.channel,
                thread_ts=thread.thread,
                markdown_text=text,
                recipient_team_id=thread.workspace or None,
                recipient_user_id=self._recipient or None,
            )
        except SlackApiError as exc:
            error = str(error_data(exc).get("error") or "")
            if error in NO_STREAMING:
                log.warning("Slack streaming unavailable (%s): falling back to chat.update", error)
                raise _NoStreaming(error) from exc
            raise delivery_error(exc, what="chat.startStream") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"chat.startStream: could not reach Slack ({exc!r})") from exc
        self._ts = str(resp.get("ts") or "")
        self._length = len(text)

    async def _stop(self) -> None:
        if self._ts is None:
            return
        async with slack_errors("chat.stopStream"):
            await self._client.chat_stopStream(channel=self._thread.channel, ts=self._ts)
        self._ts = None
        self._length = 0

    async def finish(self) -> None:
        """Stop the stream (a reply with no text posts nothing)."""
        await self._stop()


class _UpdateOutput(_Output):
    """chat.postMessage then chat.update: at most one edit per interval per thread, within the
    workspace's budget; the final text is always written."""

    def __init__(self, delivery: Delivery, thread: ThreadRef) -> None:
        super().__init__(delivery, thread, delivery._update_interval)
        self._budget = delivery._budget
        self._ts: str | None = None
        self._shown = ""  # escaped text of the current message

    def due(self) -> bool:
        """Time for an edit, per thread and within the workspace budget."""
        return super().due() and (self._ts is None or self._budget.take())

    async def write(self, text: str) -> None:
        """Add escaped text; continue in a new message past the limit."""
        if not text:
            return
        self._shown += render.escape(text)
        while len(self._shown) > render.MESSAGE_LIMIT:
            first = render.split(self._shown, render.MESSAGE_LIMIT)[0]
            await self._flush(first)
            self._ts = None
            self._shown = self._shown[len(first) :].lstrip()
        await self._flush(self._shown)

    async def _flush(self, text: str) -> None:
        thread = self._thread
        if self._ts is None:
            self._ts = await self._delivery.post(thread.channel, text, thread_ts=thread.thread)
        else:
            async with slack_errors("chat.update"):
                await self._client.chat_update(channel=thread.channel, ts=self._ts, text=text)
        self._mark()

    async def finish(self) -> None:
        """Nothing left over: every write already reached Slack (the last one spent budget too)."""
        self._budget.take(force=True)
