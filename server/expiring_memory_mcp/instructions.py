"""What the server tells the model when it connects: which tool keeps what, the lifetimes configured, and what the
secrets policy and recall-aware expiry do. Built from the settings when the server is built."""

from __future__ import annotations

from . import type_words
from .memory_types import PERMANENT_TYPES
from .settings import Settings


def instructions(settings: Settings) -> str:
    return (
        "A long-term memory about the user that cleans itself up. "
        f"Use remember_permanent for what stays true: {type_words.permanent_kinds()} "
        f"(types: {', '.join(PERMANENT_TYPES)}). "
        f"Use remember_temporary for what goes stale: {type_words.temporary_kinds()} (types and lifetimes: "
        f"{type_words.lifetimes(settings.tier_days(), settings.ttl_default_days)}), or give expires_in_days or "
        "expires_at. "
        "Each tool refuses the other's types: remember_temporary takes a permanent type only with expires_in_days "
        "or expires_at (a preference for one trip), and remember_permanent never takes a temporary one. "
        "When unsure, prefer temporary: it is easier to renew a memory than to clean one up. "
        "Expired memories are deleted for good and never returned. "
        "Call recall before answering anything that may depend on what you know about the user. "
        "Remembering the same text again refreshes that memory instead of duplicating it. "
        "Use expiring_soon to show what will be forgotten, renew_memory to keep something longer or make it "
        "permanent, and forget when the user asks you to forget something."
        f"{SECRETS_NOTE[settings.secrets]}" + extension_note(settings)
    )


def extension_note(settings: Settings) -> str:
    """Recall-aware expiry (issue 18), when it is on: what a recall does to the memories it returns."""
    if not settings.extend_on_recall:
        return ""
    windows = ", ".join(f"{kind} {days:g} days" for kind, days in sorted(settings.extend_on_recall.items()))
    return (
        f" A temporary memory that recall returns lasts at least this long from then ({windows}); recall never "
        "shortens a memory."
    )


SECRETS_NOTE = {  # what EXPIRING_MEMORY_SECRETS means, for the model (redaction.py)
    "redact": " Secrets (passwords, PINs, API keys and tokens, private keys, card numbers, IBANs) are never stored: "
    "each is replaced by a placeholder such as [redacted: github token], and the result's `redacted` lists their "
    "kinds. Tell the user the secret itself was not kept.",
    "refuse": " Secrets (passwords, PINs, API keys and tokens, private keys, card numbers, IBANs) are never stored: "
    "a memory holding one is refused and nothing is stored. Remember it without the secret instead.",
    "allow": "",
}
