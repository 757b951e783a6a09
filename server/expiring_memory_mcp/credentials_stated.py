"""Credentials told in words rather than recognised by format: what a cue word names and the value after it. Pure.

A password or PIN stated as such in several languages ("password for the router is ...", "Kennwort ...", "mot de passe
du Wi-Fi est ..."), a key named by context ("auth token: ...", "secret access key ..."), a `key: value` pair whose key
names a secret (JSON, YAML, env), `mysql -p<password>`, and "user / password" after a login cue. Placeholders (runs of
x or *, AWS's documented EXAMPLE keys, "changeme", a variable or a call where a value would be) are not credentials.
Each finder yields (kind, start, end).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

Span = tuple[str, int, int]

_PASSWORD_WORDS = (
    r"pass(?:word|wd|code|phrase)s?|pass ?word|pass|pwd|pw|passwort|kennwort|contrase(?:ñ|n)a|clave|mot de passe"
    r"|senha|wachtwoord|parola|hasło|haslo|パスワード|密码|(?:unlock|door|gate|alarm|garage|lock ?screen) ?code"
    r"|code to (?:unlock|open)(?: (?:my|the|our|his|her) [\w'’\-]+)?"
)
_KEY_WORDS = (
    r"api[ _-]?key|access[ _-]?token|auth(?:entication)?[ _-]?token|secret(?: access)?[ _-]?key|client[ _-]?secret"
    r"|private[ _-]?token|bearer(?: token)?|token|secret"
)
_PIN_WORDS = r"pin(?: code| number)?|pin-code|cvv|cvc|security code"
# The password words a passphrase of several words may follow (not codes and PINs, which are digits).
_PHRASE_WORDS = (
    r"pass(?:word|wd|phrase)s?|pass ?word|pwd|pw|passwort|kennwort|contrase(?:ñ|n)a|clave|mot de passe|senha"
    r"|wachtwoord|parola|hasło|haslo"
)
_QUALIFIER = (
    r"(?:[ \t]+(?:for|of|to|on|at|in|für|vom|von|zum|zur|der|de|del|du|des|da|do|pour|para|van|voor)"
    r"[ \t]+(?:[\w.@'’\-]+[ \t]+){0,4}?[\w.@'’\-]+)?"
)
_ASSIGN = (
    r"[ \t]*,?[ \t]*(?:\b(?:is|was|is now|is still|will be|ist|lautet|es|est|c'est|c’est|é|era|は|是)\b|[=:：]|:=|->)"
    r"[ \t]*\n?[ \t]*"
)
_QUOTED = r"[\"'“‘`«](?P<quoted>[^\"'”’`»\n]{1,200})[\"'”’`»]"
_STATED = re.compile(
    rf"(?<![\w-])(?i:(?P<word>{_PASSWORD_WORDS}|{_KEY_WORDS}|{_PIN_WORDS}))(?![\w-])\)?"
    rf"(?:{_QUALIFIER}(?P<assign>{_ASSIGN})|[ \t]+)(?:{_QUOTED}|(?P<bare>[^\s\"'“‘`«(][^\s\"'“‘`«]*))"
)
# The first word after "password is" that says where it is or what state it is in, not what it is.
_NOT_A_VALUE = frozenset(
    """a an the my your our their his her its this that these those it one some any no not none n/a tbd unknown
    in on at for to from by with under inside behind into onto via see ask check use call email text reset changed
    change stored saved kept written set required needed expired expiring wrong incorrect correct invalid valid weak
    strong long short too very same different updated blank empty case secure safe hidden encrypted managed shared
    forgotten lost locked protected optional mandatory also and or but so then there here please only just usually
    always never easy hard simple due going about like what which where who how when still now being been being
    sent mailed printed taped stuck noted listed known given provided generated rotated revoked renewed pending
    needs must should will would can could may might has have had is was are were be do does did manager policy
    rules requirements""".split()  # noqa: SIM905 -- a list of words reads best as words
)
_MASKED = re.compile(r"[*•xX.?#_\-]+|<[^>]*>|\[[^\]]*\]|\([^)]*\)?|\(see")  # shown hidden, or pointed at
# A value that stands for one: a run of x, * or 0, AWS's documented EXAMPLE keys, a template word alone ("password",
# not "Password1", which is one of the commonest real passwords), a variable or a call (getpass(), os.environ[...],
# ${VAR}, %VAR%, process.env.X), a path, or an ALL_CAPS name.
_PLACEHOLDER = re.compile(
    r"(?:^|[_\-:.])(?:x{4,}|X{4,}|\*{3,}|•{3,}|0{8,}|\.{3,})(?:$|[_\-.])|EXAMPLE"
    r"|^(?i:change[_-]?me|replace[_-]?me|your[_-]\w+|password|passwort|secret|dummy|placeholder|redacted|null)$"
    r"|[()\[\]{}]|^[$%<]|^(?:process\.env|os\.environ|env\.)|^\.?/|^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$"
)
# "pass" after one of these is a ticket, not a password.
_TICKET = re.compile(
    r"(?i:boarding|bus|season|day|week|weekly|month|monthly|annual|ski|train|rail|metro|transit|museum|festival"
    r"|travel|park|press|backstage|hall|mountain)[ \t]+$"
)
_SYMBOL = re.compile(r"[^\w\s]|_")


def is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER.search(value))


def password_shaped(value: str) -> bool:
    """Looks like a password even without "is" before it: 6 to 64 characters, letters with digits or symbols."""
    letters = re.search(r"[^\W\d_]", value)
    return 6 <= len(value) <= 64 and bool(letters) and bool(re.search(r"\d", value) or _SYMBOL.search(value))


def token_shaped(value: str, shortest: int = 16) -> bool:
    """Looks like a generated key: long, letters and digits mixed, no spaces, not a placeholder."""
    return (
        len(value) >= shortest
        and bool(re.search(r"\d", value))
        and bool(re.search(r"[A-Za-z]", value))
        and len(set(value)) >= 10
        and not is_placeholder(value)
    )


# A passphrase of several words after "password is" / "passphrase:" runs to the end of its clause.
_CLAUSE = re.compile(r"[^\n,;.!?\"'”’»)]+")
_PASSPHRASE_WORD = re.compile(r"[^\W_][\w'’\-]*")
# Words that make a clause prose about a password rather than one: function words, and words that describe one.
_PROSE = frozenset(
    """again enough really quite pretty rather somewhere elsewhere anywhere down up out off over every each all both
    as than if because since until unless while whether nobody anybody everybody someone something nothing everything
    me you we they he she him them us mine yours ours theirs i i'm it's that's what's ago yet even random word words
    character characters letter letters digit digits number numbers symbol symbols chars minimum maximum least most
    sensitive lowercase uppercase definitely probably possibly usually actually basically certainly obviously clearly
    likely currently normally apparently generally typically mostly nearly exactly""".split()  # noqa: SIM905
)
# "is three random words": a count is not a password.
_COUNTS = frozenset("one two three four five six seven eight nine ten twelve".split())  # noqa: SIM905
_NOT_IN_A_PASSPHRASE = (_NOT_A_VALUE | _PROSE) - frozenset(
    "correct wrong incorrect valid invalid weak strong long short same different easy hard simple secure safe".split()  # noqa: SIM905
)


def _passphrase(text: str, start: int) -> int | None:
    """Where a passphrase of 2 to 8 words starting at `start` ends (the end of its clause), or None when the clause
    reads as prose about a password ("is in the drawer", "is easy to guess") rather than as one."""
    clause = _CLAUSE.match(text, start)
    if clause is None:
        return None
    words = clause.group().split()
    if not 2 <= len(words) <= 8 or len(clause.group().strip()) > 64:
        return None
    if not all(_PASSPHRASE_WORD.fullmatch(w) and w.lower() not in _NOT_IN_A_PASSPHRASE for w in words):
        return None
    return start + len(clause.group().rstrip())


def stated(text: str) -> Iterator[Span]:
    """A password, PIN or key after a word that names it."""
    for match in _STATED.finditer(text):
        word = match.group("word").lower()
        group = "quoted" if match.group("quoted") is not None else "bare"
        value = match.group(group)
        start, end = match.span(group)
        if group == "bare" and match.group("assign") is not None and re.fullmatch(_PHRASE_WORDS, word):
            phrase_end = _passphrase(text, start)
            if phrase_end is not None and not text.startswith("[redacted: ", start):
                yield "password", start, phrase_end
                continue
        if group == "bare":
            trimmed = value.rstrip(".,;)")
            end -= len(value) - len(trimmed)
            value = trimmed
        if (
            not value
            or value.endswith(":")
            or value.lower() in _NOT_A_VALUE
            or value.lower() in _PROSE | _COUNTS
            or _MASKED.fullmatch(value)
            or is_placeholder(value)
        ):
            continue
        if text.startswith("[redacted: ", start):
            continue
        assigned = match.group("assign") is not None or group == "quoted"
        if word == "pass" and _TICKET.search(text, 0, match.start()):
            continue
        if re.fullmatch(_PIN_WORDS, word):
            if re.fullmatch(r"\d{3,12}", value):
                yield "pin", start, end
        elif re.fullmatch(_KEY_WORDS, word):
            if token_shaped(value, 12 if assigned and word not in ("token", "secret", "bearer") else 16):
                yield "api key", start, end
        elif re.search("code", word) and re.fullmatch(r"\d{4,12}", value):
            yield "pin", start, end
        elif password_shaped(value) or (
            assigned and (not re.fullmatch(r"pass|pw|clave|.*code.*", word) or re.search("[=:]", match.group("assign")))
        ):
            yield "password", start, end


# A key that names a secret, in JSON, YAML, an env file or code: "password": "...", DB_PASS=..., secretAccessKey: ...
_KEY_VALUE = re.compile(
    r"(?i:[\"']?\b(?P<name>[\w\-]*?(?P<key>password|passwd|pwd|pass|passphrase|secret|token|api_?key|apikey|access_?key"
    r"|secret_?access_?key|auth_?key|private_?key|credentials?))[\"']?)(?![\w\-])"
    r"[ \t]*(?::|=|:=)[ \t]*(?:[\"'](?P<quoted>[^\"'\n]{1,200})[\"']|(?P<bare>[^\s\"',;}]+))"
)


def key_values(text: str) -> Iterator[Span]:
    for match in _KEY_VALUE.finditer(text):
        group = "quoted" if match.group("quoted") is not None else "bare"
        value, (start, end) = match.group(group), match.span(group)
        if is_placeholder(value) or value.lower() in _NOT_A_VALUE or _MASKED.fullmatch(value):
            continue
        if match.group("name").lower() == "pass":  # a bare "pass:" is prose, left to stated()
            continue
        if match.group("key").lower().startswith("pass") or match.group("key").lower() == "pwd":
            if len(value) >= 4 and (group == "quoted" or password_shaped(value)):
                yield "password", start, end
        elif token_shaped(value, 16):
            yield "api key", start, end


# mysql -pSECRET (the password glued to -p), and "login: user / password".
_MYSQL = re.compile(
    r"\bmysql\w*\b[^\n]*?[ \t]-p(?:'(?P<quoted>[^'\n]+)'|\"(?P<dquoted>[^\"\n]+)\"|(?P<bare>[^\s'\"]+))"
)
_LOGIN_PAIR = re.compile(
    r"(?i:\b(?:login|log-in|sign-in|credentials|creds|zugangsdaten|zugang|identifiants|acceso|account|user(?:name)?"
    r"|benutzer(?:name)?))\b[^\n/]{0,40}?[^\s/]+[ \t]+/[ \t]+(?P<value>[^\s,;]+)"
)


def commands_and_pairs(text: str) -> Iterator[Span]:
    for match in _MYSQL.finditer(text):
        group = next(g for g in ("quoted", "dquoted", "bare") if match.group(g) is not None)
        if not is_placeholder(match.group(group)):
            yield "password", *match.span(group)
    for match in _LOGIN_PAIR.finditer(text):
        value = match.group("value").rstrip(".)")
        if password_shaped(value) and not is_placeholder(value) and not re.fullmatch(r"[\d/.\-]+", value):
            yield "password", match.start("value"), match.start("value") + len(value)


_USE_AS = re.compile(
    rf"(?i:\b(?:use|used|using|chose|picked|set)\b)[ \t]+(?P<value>\S+)[ \t]+(?i:as)[ \t]+(?:\w+[ \t]+){{0,3}}?"
    rf"(?i:{_PASSWORD_WORDS})\b"
)


def used_as(text: str) -> Iterator[Span]:
    """A password named by what it is used as: "I use X as the master password"."""
    for match in _USE_AS.finditer(text):
        if password_shaped(match.group("value")) and not is_placeholder(match.group("value")):
            yield "password", *match.span("value")


def all_stated(text: str) -> Iterator[Span]:
    yield from stated(text)
    yield from key_values(text)
    yield from commands_and_pairs(text)
    yield from used_as(text)
