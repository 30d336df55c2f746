"""Fault-injection tests: the real runtime, store, Claude client and adapters, with faults injected.

discord.py imports the standard library's `audioop` (for voice, unused here), which warns on
Python 3.11+; the suite turns warnings into errors, so the import is made once, quietly, here.
"""

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import discord  # noqa: F401
