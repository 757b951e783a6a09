"""The secret detector alone (credentials.find and credentials.redact, pure): the corpus's done-when figures, the
blind set's dev half as a regression guard, credentials told in words, near misses that must stay clean, and the cases
a reviewer found by hand. Through an MCP session, the CLI and the files: tests/test_secrets.py."""

from __future__ import annotations

import json

import pytest
from bench.secret_detection import blind, evaluate, totals

from expiring_memory_mcp import credentials

# Fakes by their published formats.
GITHUB = "ghp_FAKE0123456789abcdefghijKLMNOPQRSTUV"
PASSWORD = "Maple4821!#zq"
CARD = "4539 1488 0343 6467"
TEXT = f"Deploys use the GitHub token {GITHUB}; the NAS password is {PASSWORD}"


def test_the_corpus_meets_the_done_when_recall_and_false_positive_rate() -> None:
    result = evaluate()
    found, total = totals(result.recall)
    flagged, ordinary = totals(result.false_positives)
    assert total >= 200 and ordinary >= 500
    assert found / total >= 0.98, result.misses
    assert flagged / ordinary <= 0.01, result.flagged
    assert len(result.recall) >= 12 and all(a / b >= 0.9 for a, b in result.recall.values()), result.recall
    held_out = evaluate(("held_out.jsonl",))  # written by hand after tuning: a guard against regressions
    assert totals(held_out.recall)[0] >= 37 and totals(held_out.false_positives)[0] == 0, held_out.misses


def test_each_secret_becomes_a_placeholder_that_names_its_kind_and_ordinary_numbers_stay() -> None:
    text = f"{TEXT}. Card {CARD}, IBAN DE89 3704 0044 0532 0130 00. Account id 4820-1193, order 112-4567890-1234567."
    assert credentials.redact(text) == (
        "Deploys use the GitHub token [redacted: github token]; the NAS password is [redacted: password]. "
        "Card [redacted: card number], IBAN [redacted: iban]. Account id 4820-1193, order 112-4567890-1234567."
    )
    assert credentials.kinds(credentials.find(text)) == ["github token", "password", "card number", "iban"]
    for near_miss in ("Card ending in 6467", "Password manager is Bitwarden", "commit 3f786850e387550fdab836ed7e6dc8"):
        assert credentials.find(near_miss) == []


def test_the_blind_sets_dev_half_stays_found_and_clean_and_the_halves_split_every_row_once() -> None:
    # The dev half is what the detector was improved on, so this guards against regressions and proves nothing about
    # unseen text. The test half (never looked at while tuning) scores 146 of 152 = 0.961 with 0 of 331 flagged, below
    # the 0.98 bar, so it is reported in bench/SECRETS.md and deliberately not asserted here.
    dev, test = blind("dev"), blind("test")
    assert len(dev) + len(test) == len(blind()) and not {json.dumps(r) for r in dev} & {json.dumps(r) for r in test}
    result = evaluate(rows=dev)
    found, total = totals(result.recall)
    flagged, ordinary = totals(result.false_positives)
    assert total >= 150 and ordinary >= 300
    assert found / total >= 0.98, result.misses
    assert flagged / ordinary <= 0.01, result.flagged


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Das Passwort vom NAS ist Tr0mmel#22", "Tr0mmel#22"),
        ("Kennwort Blau-Haus-77", "Blau-Haus-77"),
        ("la contraseña de la wifi es Girasol_88", "Girasol_88"),
        ("le mot de passe de la box, c'est Lapin!2020", "Lapin!2020"),
        ("mysql -u root -pS3cr3t!x shop", "S3cr3t!x"),
        ("ssh login: dana / Pl4net#9", "Pl4net#9"),
        ('{"user": "dana", "passwd": "Turnip77"}', "Turnip77"),
        ("the door code is 4711", "4711"),
        ("my auth token is AbC123xyz789QwErTy456", "AbC123xyz789QwErTy456"),
        ("AKIAFAKE0123456789AB / wJbF3kq9Zt+8sL2mN4pQ7rT1vX5yA0cE6gH8jK2m", "wJbF3kq9Zt+8sL2mN4pQ7rT1vX5yA0cE6gH8jK2m"),
    ],
)
def test_a_credential_told_in_words_in_several_languages_and_formats_is_redacted(text: str, secret: str) -> None:
    assert secret not in credentials.redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "STRIPE_SECRET_KEY=sk_test_XXXXXXXXXXXXXXXXXXXXXXXX",
        "AWS docs key AKIAIOSFODNN7EXAMPLE with wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "password: changeme",
        "DATABASE_URL=postgres://user:password@localhost/app",
        "password = getpass.getpass('NAS password: ')",
        'api_key = os.environ["OPENAI_API_KEY"]',
        "bus pass: 49EUR/month",
        "The pwd command prints the working directory",
        "The token ID is valid for 3600 seconds",
    ],
)
def test_a_placeholder_a_variable_or_a_word_that_only_looks_like_a_cue_is_not_a_credential(text: str) -> None:
    assert credentials.find(text) == []


# -- found by a reviewer by hand -----------------------------------------------------------------------------------------

SK_SHORT = "sk-" + "aB3dE5gH7jK9mN1pQ3rS5tU7vW9xY1zA2bC4dE6f"  # 40 characters: an older or OpenAI-like provider's key


@pytest.mark.parametrize(
    ("text", "secret", "kind"),
    [
        ("my password is Password1", "Password1", "password"),
        ("the router password: Welcome2024", "Welcome2024", "password"),
        ("My password is correct horse battery staple", "correct horse battery staple", "password"),
        ("passphrase: purple monkey dishwasher", "purple monkey dishwasher", "password"),
        ("The wifi passphrase is Blue Tractor Singing Loudly, says Dana", "Blue Tractor Singing", "password"),
        ("my password is hunter two", "hunter two", "password"),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA==", "basic auth credentials"),
        ("curl -H 'Authorization: Basic ZGFuYTpTM2NyM3QhcGFzcw' https://nas.local", "ZGFuYTpTM2NyM3QhcGFzcw", None),
        ("order 4111111111111111 paid with visa", "4111111111111111", "card number"),
        ("invoice 5555 5555 5555 4444, charged to the Mastercard", "5555 5555 5555 4444", "card number"),
        (f"my openai key {SK_SHORT}", SK_SHORT, "api key"),
        (f"DEEPSEEK_API_KEY={SK_SHORT[:35]}", SK_SHORT[:35], None),
    ],
)
def test_a_reviewers_hand_found_secret_is_redacted_whole(text: str, secret: str, kind: str | None) -> None:
    redacted = credentials.redact(text)
    assert secret not in redacted, redacted
    assert not any(word in redacted for word in secret.split() if len(word) >= 4), redacted  # no word of it is left
    if kind is not None:
        assert kind in credentials.kinds(credentials.find(text))


def test_a_passphrase_ends_with_its_clause_and_what_follows_stays() -> None:
    text = "The password is correct horse battery staple, and the user name is dana; the NAS is in the hall."
    assert credentials.redact(text) == (
        "The password is [redacted: password], and the user name is dana; the NAS is in the hall."
    )


@pytest.mark.parametrize(
    "text",
    [
        "I forgot my password",
        "the password field is required",
        "Password: see 1Password",
        "My password is in the drawer",
        "The password is correct.",
        "the password is easy to guess",
        "my password is the same as the wifi",
        "the password is long and random",
        "password is case sensitive",
        "passphrase is three random words",
        "the wifi password is taped under the router",
        "my password is stored in 1Password",
        "the password is definitely wrong",
        "password: password",
        "Password policy: twelve characters minimum",
        "order 4111111111111111 shipped on Monday",
        "invoice 5555555555554444 is overdue",
        "Basic plan costs 9 dollars",
        "Basic Authentication is turned off on the NAS",
        "the SKU is sk-2024-blue-large",
        "ticket sk-abcdefghijklmnopqrstuvwxyz is closed",
    ],
)
def test_a_reviewers_near_miss_stays_clean(text: str) -> None:
    assert credentials.find(text) == []


def test_an_echo_for_an_error_is_redacted_before_it_is_cut() -> None:
    pat = "github_pat_11FAKE0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    cut_first = credentials.redact(pat[:40])
    assert pat[:40] in cut_first  # cut to 40 first, the token is too short to recognise: the order matters
    assert credentials.redacted(pat, 40) == "[redacted: github token]"
    assert credentials.redacted(f"tomorrow {GITHUB}", 30) == "tomorrow [redacted: github tok"
    assert credentials.redacted("2026-13-45", 40) == "2026-13-45"
