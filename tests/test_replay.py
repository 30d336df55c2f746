"""Replay: the examples show the ladder, the crisis exception, end on request and an unlock."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot import replay
from bot.errors import ReplayError

ROOT = Path(__file__).resolve().parent.parent


def run_replay(name: str, *extra: str) -> list[dict[str, object]]:
    """Run `python -m bot replay` as a user would and parse its output lines."""
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "replay", str(ROOT / "examples" / name), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def actions(lines: list[dict[str, object]]) -> list[tuple[object, object]]:
    """(event, action) pairs."""
    return [(line["event"], line["action"]) for line in lines]


def test_abusive_thread_ends_in_a_lock() -> None:
    """Redirect, redirect, warn, lock with a case; the closed thread ignores; t2 is fresh."""
    lines = run_replay("abusive_lock.jsonl")
    assert actions(lines) == [
        (1, "reply"),
        (2, "redirect"),
        (3, "redirect"),
        (4, "redirect"),
        (4, "warn"),
        (5, "lock"),
        (5, "case"),
        (6, "ignored"),
        (7, "reply"),
    ]
    lock = lines[5]
    assert lock["case"] == 1 and lock["category"] == "indiscriminate_weapons"
    assert "This thread has been closed" in str(lock["text"])
    assert lines[6]["case_kind"] == "lock"
    assert all(set(line) >= {"thread", "event", "action"} for line in lines)


def test_user_at_risk_who_is_abusive_is_never_locked() -> None:
    """Resources (a pointer in the cooldown), one priority case updated per signal, no lock."""
    lines = run_replay("crisis_never_locked.jsonl")
    kinds = [line["action"] for line in lines]
    assert "lock" not in kinds and "warn" not in kinds
    assert kinds.count("crisis_resources") == 2  # again after the 2-hour cooldown
    opened = [line for line in lines if line["action"] == "case"]
    assert [(line["case_kind"], line.get("priority")) for line in opened] == [("crisis", True)]
    # every later signal (the abusive turns, a second risk message, and "thanks for listening",
    # a sign-off read as an end request) joins that case; the ping repeats only past its interval
    updates = [line for line in lines if line["action"] == "case_update"]
    assert {line["case"] for line in updates} == {1} and len(updates) == 6
    assert [line["event"] for line in updates if line.get("ping")] == [7]
    pointer = [line for line in lines if line["action"] == "notice" and line["event"] == 4]
    assert pointer and "posted earlier in this thread" in str(pointer[0]["text"])
    assert lines[-1]["action"] == "notice" and "keep this thread open" in str(lines[-1]["text"])


def test_a_spanish_crisis_message_brings_resources_and_alerts_moderators_offline() -> None:
    """With no API key, the local screen alone reads "ya no quiero vivir" as risk to self."""
    lines = run_replay("spanish_crisis.jsonl")
    assert actions(lines) == [
        (1, "reply"),
        (2, "case"),
        (2, "crisis_resources"),
        (2, "reply"),
        (3, "reply"),
    ]
    case = lines[1]
    assert case["case_kind"] == "crisis" and case["priority"] is True
    # Said in Spanish, and Spain's 024 follows the configured (default) regions.
    assert "peligro inmediato" in str(lines[2]["text"]) and "024" in str(lines[2]["text"])


def test_end_on_request() -> None:
    """Asked, declined, asked again, confirmed: ended with an info case; then ignored."""
    lines = run_replay("end_on_request.jsonl")
    assert actions(lines) == [
        (1, "reply"),
        (2, "reply"),
        (3, "confirm_end"),
        (4, "notice"),
        (5, "confirm_end"),
        (6, "end"),
        (6, "case"),
        (7, "ignored"),
    ]
    assert lines[6]["case_kind"] == "end"


def test_moderator_unlock() -> None:
    """A non-moderator's unlock is refused; a moderator's note and unlock are cases."""
    lines = run_replay("moderator_unlock.jsonl")
    got = actions(lines)
    assert (4, "lock") in got and (5, "ignored") in got
    assert (6, "notice") in got  # "Only moderators can do that."
    assert (8, "unlock") in got
    assert got[-1] == (9, "reply")
    kinds = [line.get("case_kind") for line in lines if line["action"] == "case"]
    assert kinds == ["lock", "note", "unlock"]


def test_a_policy_change_changes_the_outcome(tmp_path: Path) -> None:
    """The same transcript under N=5 is not locked: how moderators try a change."""
    cfg = tmp_path / "lenient.toml"
    cfg.write_text("[policy]\nredirects_before_lock = 5\n")
    kinds = [line["action"] for line in run_replay("abusive_lock.jsonl", "--config", str(cfg))]
    assert "lock" not in kinds


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            '{"thread": "t1", "user": "u", "text": "hi"}\n{"thread": "t1", "text": "x"}',
            2,
            "missing field 'user'",
        ),
        ('{"thread": "t1", "user": "u", "text": "hi"}\nnot json', 2, "not valid JSON"),
        ('{"advance_minutes": "soon"}', 1, "advance_minutes"),
        ('{"thread": "t", "user": "m", "command": "ban"}', 1, "unknown command 'ban'"),
        ("[1, 2]", 1, "expected a JSON object"),
    ],
)
def test_bad_lines_are_named(text: str, line: int, message: str) -> None:
    """A bad line is reported by number before anything runs."""
    with pytest.raises(ReplayError) as info:
        replay.parse(text.splitlines())
    assert info.value.line == line and message in str(info.value)


def test_cli_reports_a_bad_line_and_runs_nothing(tmp_path: Path) -> None:
    """The command exits 2 with the line number, and prints no action."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"thread": "t1", "user": "u", "text": "hello"}\n{"thread": "t1"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "replay", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "line 2" in proc.stderr
    assert proc.stdout == ""


def test_compare_shows_what_a_threshold_change_would_do(tmp_path: Path) -> None:
    """--compare prints the events whose decisions differ and a count of each outcome."""
    cfg = tmp_path / "lenient.toml"
    cfg.write_text("[policy]\nredirects_before_lock = 5\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "replay",
            str(ROOT / "examples" / "abusive_lock.jsonl"),
            "--compare",
            str(cfg),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "event 5 (t1):\n  base:  lock, case(lock)\n  other: redirect" in out
    assert "3 event(s) differ." in out
    lock_row = next(line for line in out.splitlines() if line.startswith("lock "))
    assert lock_row.split()[1:] == ["1", "0"]


def test_compare_of_identical_configs_finds_nothing() -> None:
    """The same policy twice decides alike on every example."""
    for example in sorted((ROOT / "examples").glob("*.jsonl")):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "bot",
                "replay",
                str(example),
                "--compare",
                str(ROOT / "config.example.toml"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        )
        assert proc.returncode == 0, proc.stderr
        assert "The two configs decide alike." in proc.stdout, example.name


def test_appeal_from_lock_to_resolution() -> None:
    """Only the locked user may appeal, once at a time; an unlock answers them privately."""
    lines = run_replay("appeal.jsonl")
    got = actions(lines)
    assert (4, "lock") in got
    refused = next(line for line in lines if line["event"] == 5)
    assert refused["action"] == "private_notice" and refused["user"] == "u6"
    assert [line.get("case_kind") for line in lines if line["event"] == 6] == ["appeal", None]
    assert [line["action"] for line in lines if line["event"] == 7] == ["private_notice"]
    outcome = [line for line in lines if line["event"] == 8]
    # the unlock is a case; it resolves the lock and the appeal (each shown again in place)
    assert [line["action"] for line in outcome] == [
        "unlock",
        "case",
        "case_update",
        "case_update",
        "private_notice",
    ]
    assert [line.get("case") for line in outcome[2:4]] == [1, 2]
    assert outcome[-1]["user"] == "u5" and "reopened" in str(outcome[-1]["text"])
    assert got[-1] == (9, "reply")


def test_branch_from_before_the_first_strike() -> None:
    """Only the locked user branches; the new thread gets the notice, a branch case, and replies."""
    lines = run_replay("branch.jsonl")
    assert (6, "lock") in actions(lines)
    refused = next(line for line in lines if line["event"] == 7)
    assert refused["action"] == "private_notice" and refused["user"] == "u8"
    branched = [line for line in lines if line["event"] == 8]
    assert [(line["thread"], line["action"]) for line in branched] == [
        ("t2", "notice"),
        ("t2", "case"),
    ]
    assert "continues t1" in str(branched[0]["text"]) and branched[1]["case_kind"] == "branch"
    assert [(line["thread"], line["action"]) for line in lines if line["event"] == 9] == [
        ("t2", "reply")
    ]


def replay_file(tmp_path: Path, data: bytes) -> subprocess.CompletedProcess[str]:
    """`python -m bot replay` on a transcript written as these bytes."""
    path = tmp_path / "t.jsonl"
    path.write_bytes(data)
    return subprocess.run(
        [sys.executable, "-m", "bot", "replay", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )


def test_a_lone_surrogate_in_a_name_or_thread_is_replayed_repaired(tmp_path: Path) -> None:
    """ "\\udc00" is valid JSON: the lines run (names and threads with U+FFFD), no traceback."""
    proc = replay_file(
        tmp_path,
        b'{"thread": "t\\udc001", "user": "ev\\udc00il", "text": "hello"}\n'
        b'{"thread": "t\\udc001", "user": "ev\\udc00il", "text": "bad \\ud800 text"}\n',
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(x["thread"], x["action"]) for x in lines] == [("t\ufffd1", "reply")] * 2


def test_a_line_that_is_not_utf8_is_named_and_nothing_runs(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 on line 2: exit 2 naming line 2, no action printed."""
    proc = replay_file(
        tmp_path,
        b'{"thread": "t1", "user": "u", "text": "hi"}\n'
        b'{"thread": "t1", "user": "u", "text": "\xff"}\n',
    )
    assert proc.returncode == 2 and "line 2" in proc.stderr and "UTF-8" in proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr


def test_a_line_separator_inside_a_json_string_stays_one_line(tmp_path: Path) -> None:
    """U+2028 and U+0085 are allowed unescaped in JSON strings: they do not split the line."""
    line = json.dumps({"thread": "t1", "user": "u", "text": "a\u2028b\x85c"}, ensure_ascii=False)
    proc = replay_file(tmp_path, line.encode("utf-8") + b"\n")
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(x)["action"] for x in proc.stdout.splitlines()] == ["reply"]


async def test_a_line_the_core_cannot_decide_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store failure on line 2 is a ReplayError naming line 2; line 1's output stands."""
    from bot.app import make_runtime
    from bot.config import Settings
    from bot.errors import StoreError
    from bot.store import open_store

    store = await open_store(str(tmp_path / "r.db"))
    adapter, clock = replay.ReplayAdapter(), replay.ReplayClock()
    runtime = await make_runtime(
        Settings(), adapters={replay.PLATFORM: adapter}, store=store, clock=clock
    )
    steps = replay.parse(['{"thread": "t1", "user": "u", "text": "hi"}'] * 2)
    real_handle = runtime.handle
    calls = 0

    async def handle(event: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise StoreError("could not commit: disk I/O error; nothing was written")
        return await real_handle(event)  # type: ignore[arg-type]

    monkeypatch.setattr(runtime, "handle", handle)
    out = io.StringIO()
    try:
        with pytest.raises(ReplayError) as info:
            await replay.run(steps, runtime=runtime, adapter=adapter, clock=clock, out=out)
    finally:
        await store.close()
    assert info.value.line == 2 and "disk I/O error" in str(info.value)
    assert [json.loads(x)["event"] for x in out.getvalue().splitlines()] == [1]
