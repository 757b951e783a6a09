"""Credentials in a text: which kinds, where, and the text with each replaced by a typed placeholder. Pure.

Provider tokens, JWTs and private-key headers are found by Yelp's detect-secrets plugins, by their published formats.
This module adds what detect-secrets lacks: keys of providers it does not know (Anthropic, Google, Hugging Face,
OpenAI project keys, GitHub fine-grained tokens, Mailgun), an AWS secret key after its key id, the whole PEM block
around a private-key header, credentials told in words (credentials_stated: passwords, PINs and keys named by context),
payment card numbers (Luhn-checked, with a card brand's prefix and length) and IBANs with a valid
checksum (python-stdnum). A format filled with a stand-in (sk_test_XXXX..., AWS's documented EXAMPLE keys) is not a
credential. Both libraries are imported on first use (about 0.3 s), never at import time, so listing
the tools stays instant; neither touches the network or writes a file (stdnum reads its bundled IBAN table once).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from . import credentials_stated

PLACEHOLDER = re.compile(r"\[redacted: [a-z0-9 ]+\]")


@dataclass(frozen=True)
class Finding:
    """One credential: its kind, in words ('github token'), and where it is in the text."""

    kind: str
    start: int
    end: int


def placeholder(kind: str) -> str:
    """What a credential of this kind is replaced by."""
    return f"[redacted: {kind}]"


def find(text: str) -> list[Finding]:
    """Every credential in the text, in order, without overlaps (overlapping findings are merged)."""
    found = sorted(_all(text), key=lambda f: (f.start, -f.end))
    merged: list[Finding] = []
    for finding in found:
        if merged and finding.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = Finding(last.kind, last.start, max(last.end, finding.end))
        else:
            merged.append(finding)
    return merged


def redact(text: str, findings: list[Finding] | None = None) -> str:
    """The text with each credential replaced by its placeholder, such as `[redacted: github token]`."""
    parts: list[str] = []
    at = 0
    for finding in find(text) if findings is None else findings:
        parts += [text[at : finding.start], placeholder(finding.kind)]
        at = finding.end
    return "".join([*parts, text[at:]])


def redacted(text: str, limit: int) -> str:
    """What an error message may echo of a caller's text: redacted, then cut to `limit` characters. Cutting first
    could leave a secret too short to recognise, so the cut comes after."""
    return redact(text)[:limit]


def kinds(findings: list[Finding]) -> list[str]:
    """The kinds found, each once, in the order they first appear."""
    return list(dict.fromkeys(f.kind for f in findings))


def _all(text: str) -> Iterator[Finding]:
    for finding in _library(text):
        if not _STAND_IN.search(text[finding.start : finding.end]):
            yield finding
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span(match.lastindex or 0)
            if not _STAND_IN.search(text[start:end]):
                yield Finding(kind, start, _token_end(text, end))
    yield from _pem_blocks(text)
    yield from _basic_auth(text)
    yield from _sk_keys(text)
    for kind, start, end in credentials_stated.all_stated(text):
        if not PLACEHOLDER.match(text, start):
            yield Finding(kind, start, end)
    yield from _cards(text)
    yield from _ibans(text)


# -- detect-secrets --------------------------------------------------------------------------------------------------

# detect-secrets' plugins that report something a person could not show anyone: Twilio's are account and key ids
# (identifiers), IPPublic reports addresses, and Keyword and the entropy plugins are made for source code (they flag
# any quoted hash).
_SKIPPED_PLUGINS = {"TwilioKeyDetector", "IPPublicDetector", "KeywordDetector"}
_KIND_NAMES = {
    "OpenAI Token": "openai api key",
    "JSON Web Token": "json web token",
    "Stripe Access Key": "stripe key",
    "Basic Auth Credentials": "password in a url",
    "NPM tokens": "npm token",
    "SendGrid API Key": "sendgrid api key",
    "Azure Storage Account access key": "azure storage key",
}
# A format's shape filled with a stand-in: runs of x or *, AWS's documented EXAMPLE keys, "password" as the password.
_STAND_IN = re.compile(r"x{5,}|X{5,}|\*{3,}|•{3,}|0{10,}|EXAMPLE|^(?i:password|changeme|secret)$")
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-]*")
_DELIMITERS = frozenset(" \t\n\"'=:")


@cache
def _plugins() -> tuple[Any, ...]:
    """One instance of each regex plugin of detect-secrets that finds credentials in prose (see _SKIPPED_PLUGINS)."""
    import importlib
    import inspect
    import pkgutil

    import detect_secrets.plugins
    from detect_secrets.plugins.base import RegexBasedDetector
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin

    found: list[Any] = []
    for info in sorted(pkgutil.iter_modules(detect_secrets.plugins.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"detect_secrets.plugins.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                cls.__module__ == module.__name__
                and issubclass(cls, RegexBasedDetector)
                and not issubclass(cls, HighEntropyStringsPlugin)
                and not inspect.isabstract(cls)
                and name not in _SKIPPED_PLUGINS
            ):
                found.append(cls())
    return tuple(found)


def _kind_name(secret_type: str) -> str:
    return _KIND_NAMES.get(secret_type, secret_type.lower())


def _token_end(text: str, end: int) -> int:
    """A match may stop inside a longer token (detect-secrets matches Stripe's first 24 characters): the whole of it
    goes."""
    return _TOKEN_CHARS.match(text, end).end()  # type: ignore[union-attr]  # matches the empty string at least


def _library(text: str) -> Iterator[Finding]:
    """Each plugin's patterns, where they match; a match counts if the plugin itself confirms it (a JWT must
    decode). The span is the secret: a pattern's capture group when it holds it (a URL's password), else the whole
    match without the delimiters some patterns include."""
    for plugin in _plugins():
        for pattern in plugin.denylist:
            for match in pattern.finditer(text):
                groups = [i for i in range(1, (pattern.groups or 0) + 1) if match.group(i)]
                longest = max(groups, key=lambda i: len(match.group(i)), default=0)
                span = match.span(longest) if longest and len(match.group(longest)) >= 8 else match.span()
                start, end = span
                while start < end and text[start] in _DELIMITERS:
                    start += 1
                while end > start and text[end - 1] in _DELIMITERS:
                    end -= 1
                if end - start >= 8 and any(plugin.analyze_string(match.group())):
                    yield Finding(_kind_name(plugin.secret_type), start, _token_end(text, end))


# -- provider formats detect-secrets lacks ---------------------------------------------------------------------------

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("anthropic api key", re.compile(r"\bsk-ant-[a-z]+\d{2}-[A-Za-z0-9_\-]{32,}")),
    ("openai api key", re.compile(r"\bsk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_\-]{32,}")),
    ("openai api key", re.compile(r"\bsk-[A-Za-z0-9]{48}\b")),
    ("google api key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}")),
    ("google oauth secret", re.compile(r"\bGOCSPX-[A-Za-z0-9_\-]{28}")),
    ("github token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{60,}")),
    ("hugging face token", re.compile(r"\bhf_[A-Za-z0-9]{34,}")),
    ("stripe key", re.compile(r"\b(?:sk|rk|whsec)_(?:test|live)_[0-9A-Za-z]{16,}")),
    (
        "aws secret key",
        re.compile(r"(?i:aws.{0,30}?secret.{0,30}?)(?<![A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"),
    ),
    ("slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}")),
    ("bearer token", re.compile(r"\bBearer[ \t]+([A-Za-z0-9._~+/\-]{20,}=*)")),
    ("password in a url", re.compile(r"://[^\s:/@]*:([^\s:/@]{4,})@")),  # detect-secrets needs a user name
    ("npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("aws secret key", re.compile(r"\bAKIA[A-Z0-9]{16}\W{1,5}([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")),  # a key pair
    ("mailgun api key", re.compile(r"\bkey-[0-9a-f]{32}\b")),
    ("pypi token", re.compile(r"\bpypi-AgE[A-Za-z0-9_\-]{50,}")),
]

_PEM = re.compile(
    r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----"
    r"(?:[\s\S]*?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|(?:\s*[A-Za-z0-9+/=:,\-]+)*)"
    r"|PuTTY-User-Key-File-\d:[\s\S]*?(?:Private-MAC:\s*[0-9a-fA-F]+|$)"
)


def _pem_blocks(text: str) -> Iterator[Finding]:
    """The whole block, not only its header line (which is what detect-secrets reports); a block without its END
    line runs to the end of its base64."""
    for match in _PEM.finditer(text):
        yield Finding("private key", *match.span())


_BASIC = re.compile(r"\bBasic[ \t]+([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])")


def _basic_auth(text: str) -> Iterator[Finding]:
    """HTTP Basic credentials ("Authorization: Basic dXNlcjpwYXNz..."): base64 of "user:password" (RFC 7617). A
    word after "Basic" that does not decode to that ("Basic plan", "Basic Authentication") is not one."""
    import base64
    import binascii

    for match in _BASIC.finditer(text):
        encoded = match.group(1)
        try:
            decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            continue
        _user, colon, password = decoded.partition(":")
        if colon and password and decoded.isprintable():  # even "user:password": a header is not a template
            yield Finding("basic auth credentials", *match.span(1))


# "sk-" and a long run of letters and digits: OpenAI's older keys, and the many providers that copied its format
# (their lengths vary, so the run must look generated: letters and digits mixed, no placeholder).
_SK_KEY = re.compile(r"(?<![\w-])sk-([A-Za-z0-9]{20,})(?![\w-])")


def _sk_keys(text: str) -> Iterator[Finding]:
    for match in _SK_KEY.finditer(text):
        if credentials_stated.token_shaped(match.group(1), 20) and not _STAND_IN.search(match.group(1)):
            yield Finding("api key", *match.span())


# -- payment cards and IBANs -----------------------------------------------------------------------------------------

_CARD = re.compile(r"(?<![\d+\-./])\d(?:[ \-]?\d){12,18}(?![\d\-/]|\.\d)")
# A card brand's number prefixes and lengths (ISO/IEC 7812 issuer ranges as the brands publish them).
_BRANDS: list[tuple[tuple[tuple[int, int], ...], frozenset[int]]] = [
    (((4, 4),), frozenset({16, 19})),  # Visa (its 13-digit numbers are no longer issued; EAN-13 codes look alike)
    (((51, 55), (2221, 2720)), frozenset({16})),  # Mastercard
    (((34, 34), (37, 37)), frozenset({15})),  # American Express
    (((6011, 6011), (644, 649), (65, 65)), frozenset(range(16, 20))),  # Discover
    (((3528, 3589),), frozenset(range(16, 20))),  # JCB
    (((300, 305), (36, 36), (38, 39)), frozenset(range(14, 20))),  # Diners Club
    (((62, 62),), frozenset(range(16, 20))),  # UnionPay
]
# A number right after one of these words, with at most one word between ("order #", "invoice no.", "EAN barcode",
# "serial number"), is that, not a card, unless a card word comes before it or after it in its clause ("order
# 4111... paid with visa").
_NOT_A_CARD = re.compile(
    r"(?i)\b(?:order|tracking|track|invoice|ref|reference|confirmation|booking|shipment|parcel|package|serial|imei"
    r"|iccid|sim|isbn|ean|upc|gtin|phone|tel|fax|ticket|case|policy|claim|customer|member|membership|loyalty"
    r"|account|acct|routing|transaction|txn|receipt|barcode)(?:[\s:#]+(?!(?:with|by|using|via|on|for|from|to|paid|charged)\b)[A-Za-z]+)?"
    r"(?:[\s:#]*(?:no\.?|nr\.?|num|number|id|code|#))*[\s:#]*$"
)
_CARD_WORDS = re.compile(
    r"(?i)\b(?:card|visa|master ?card|amex|american express|discover|jcb|diners|credit|debit|cc)\b"
)


def _brand_fits(digits: str) -> bool:
    for ranges, lengths in _BRANDS:
        if len(digits) in lengths and any(low <= int(digits[: len(str(low))]) <= high for low, high in ranges):
            return True
    return False


def _cards(text: str) -> Iterator[Finding]:
    from stdnum import luhn

    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if not _brand_fits(digits) or not luhn.is_valid(digits):
            continue
        before = text[max(0, match.start() - 40) : match.start()]
        after = re.split(r"[.;\n]", text[match.end() : match.end() + 40], maxsplit=1)[0]  # the rest of its clause
        if _NOT_A_CARD.search(before) and not _CARD_WORDS.search(before) and not _CARD_WORDS.search(after):
            continue
        yield Finding("card number", *match.span())


_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ \-]?[A-Za-z0-9]{1,4}){3,9}(?![A-Za-z0-9])")


def _ibans(text: str) -> Iterator[Finding]:
    from stdnum import iban

    for match in _IBAN.finditer(text):
        groups = list(re.finditer(r"[A-Za-z0-9]+", match.group()))
        for last in range(len(groups), 0, -1):  # the longest valid prefix: the words after an IBAN are not part of it
            end = groups[last - 1].end()
            if iban.is_valid(match.group()[:end].upper()):
                yield Finding("iban", match.start(), match.start() + end)
                break
