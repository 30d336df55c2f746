"""The pure layers: message splitting, case embeds and buttons, mentions, permissions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import discord

from adapters.discord import render, translate
from bot.records import Case, ThreadRef

REF = ThreadRef(platform="discord", workspace="1", channel="2", thread="3")


def case(**fields: object) -> Case:
    """A lock case with overridable fields."""
    values: dict[str, object] = {
        "number": 7,
        "kind": "lock",
        "workspace": "1",
        "user_id": "42",
        "actor": "bot",
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "thread": REF,
        "category": "harassment",
        "strikes": 3,
    }
    values.update(fields)
    return Case(**values)  # type: ignore[arg-type]


def fences_balanced(piece: str) -> bool:
    """Every opened code block is closed within the piece."""
    return sum(1 for line in piece.split("\n") if line.strip().startswith("```")) % 2 == 0


def test_short_text_is_one_message() -> None:
    """Text within the limit is left alone."""
    assert render.split_text("hello") == ["hello"]
    assert render.split_text("x" * 2000) == ["x" * 2000]


def test_prose_splits_at_line_breaks_without_losing_words() -> None:
    """Long prose is cut at line breaks under the limit; every word survives."""
    text = "\n".join(f"line {i} " + "word " * 15 for i in range(120))
    pieces = render.split_text(text)
    assert len(pieces) > 1 and all(len(p) <= 2000 for p in pieces)
    assert " ".join(pieces).split() == text.split()


def test_split_inside_a_code_block_closes_and_reopens_the_fence() -> None:
    """A cut inside ```py closes it and the next message reopens ```py."""
    code = "```py\n" + "\n".join(f"x_{i} = {i}  # a comment" for i in range(200)) + "\n```"
    pieces = render.split_text("Here you go:\n" + code + "\nDone.")
    assert len(pieces) >= 2 and all(len(p) <= 2000 for p in pieces)
    assert all(fences_balanced(p) for p in pieces)
    assert pieces[1].startswith("```py\n")
    assert pieces[-1].endswith("Done.")


def test_one_huge_word_is_cut_hard() -> None:
    """Without a space or line break the text is cut at the limit."""
    pieces = render.split_text("a" * 4500)
    assert [len(p) for p in pieces] == [1996, 1996, 508]


def test_full_pieces_are_stable_as_the_text_grows() -> None:
    """Once a piece is full it never changes, so a stream only edits its last message."""
    text = " ".join(f"w{i}" for i in range(1500))
    final = render.split_text(text)
    for n in range(2100, len(text), 97):
        partial = render.split_text(text[:n])
        assert partial[:-1] == final[: len(partial) - 1]


def test_case_embed_spoilers_and_cuts_excerpts() -> None:
    """Excerpts are spoilered, cut to 200 characters, and cannot break out of the spoiler."""
    long = "harm " * 100
    embed = render.case_embed(case(excerpts=(long, "a || b @everyone")))
    field = next(f for f in embed.fields if f.name == "Excerpts (spoilered)")
    first, second = (field.value or "").split("\n")
    assert first.startswith("||") and first.endswith("||") and len(first) <= 210
    assert "\\|\\|" in second and "@\u200beveryone" in second
    assert embed.title == "Case #7 · Thread locked"
    assert embed.colour == discord.Colour.orange()


def ids(view: discord.ui.View) -> list[str]:
    """The custom ids of a view's buttons, in order."""
    return [i.custom_id for i in view.children]  # type: ignore[attr-defined]


def test_each_case_offers_the_decisions_of_its_kind_while_it_waits() -> None:
    """Crisis cases are red with Resolve and Close; locks Unlock and Uphold; records only Note."""
    crisis = case(kind="crisis", priority=True)
    assert render.case_embed(crisis).colour == discord.Colour.red()
    assert ids(render.case_view(crisis)) == ["tk:resolve:7", "tk:close:7", "tk:ack:7", "tk:note:7"]
    assert ids(render.case_view(case())) == ["tk:unlock:7", "tk:uphold:7", "tk:ack:7", "tk:note:7"]
    taken = replace(crisis, status="acknowledged", status_by="9")
    assert ids(render.case_view(taken)) == ["tk:resolve:7", "tk:close:7", "tk:note:7"]
    done = replace(crisis, status="resolved", status_by="9", status_reason="called them")
    assert ids(render.case_view(done)) == ["tk:note:7"]
    fields = {f.name: f.value for f in render.case_embed(done).fields}
    assert fields["State"] == "Resolved by <@9> (9): called them"
    repeat = case(kind="repeat_locks")
    assert ids(render.case_view(repeat)) == [
        "tk:resolve:7",
        "tk:pardon:7",
        "tk:ack:7",
        "tk:note:7",
    ]
    assert ids(render.case_view(case(kind="note", status="resolved"))) == ["tk:note:7"]


def test_mentions_and_thread_names() -> None:
    """The bot's mention (both forms) is found and stripped; thread names are short."""
    assert translate.mentions("<@!5> hi", 5) and not translate.mentions("<@55> hi", 5)
    assert translate.strip_mention("<@5> hello <@!5>", 5) == "hello"
    assert translate.thread_name("", author_name="alice") == "Chat with alice"
    assert len(translate.thread_name("x" * 300, author_name="a")) == translate.THREAD_NAME_CHARS


def test_channel_permissions_follow_discords_overwrite_order() -> None:
    """Role permissions, then @everyone, role and member overwrites, in Discord's order."""
    send = discord.Permissions(send_messages=True).value
    manage = discord.Permissions(manage_threads=True).value
    guild = {
        "id": "1",
        "owner_id": "9",
        "roles": [
            {"id": "1", "permissions": str(send)},
            {"id": "2", "permissions": str(manage)},
        ],
    }
    channel = {
        "permission_overwrites": [
            {"id": "1", "type": 0, "allow": "0", "deny": str(send)},
            {"id": "2", "type": 0, "allow": str(send), "deny": "0"},
            {"id": "5", "type": 1, "allow": "0", "deny": str(manage)},
        ]
    }
    plain = translate.channel_permissions(guild=guild, channel=channel, member_roles=[], user_id=4)
    assert not plain.send_messages
    role = translate.channel_permissions(
        guild=guild, channel=channel, member_roles=["2"], user_id=4
    )
    assert role.send_messages and role.manage_threads
    denied = translate.channel_permissions(
        guild=guild, channel=channel, member_roles=["2"], user_id=5
    )
    assert denied.send_messages and not denied.manage_threads
    owner = translate.channel_permissions(guild=guild, channel=channel, member_roles=[], user_id=9)
    assert owner.administrator


def test_invite_url_permissions_match_the_readme() -> None:
    """The README's invite URL asks for exactly the permissions the bot checks for."""
    value = translate.invite_permissions().value
    assert value == 326417599488
    root = Path(__file__).resolve().parents[3]
    readme = (root / "adapters" / "discord" / "README.md").read_text(encoding="utf-8")
    assert f"permissions={value}&" in readme
