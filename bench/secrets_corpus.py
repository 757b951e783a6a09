"""Writes the secrets corpus, bench/data/secrets/: true secrets by class, and ordinary memories that look close.

`python -m bench.secrets_corpus` regenerates both files the same way every time (a fixed seed). Every secret is fake,
made by its published format: tokens carry FAKE or EXAMPLE where the format allows letters there, card numbers pass
Luhn but belong to nobody, IBANs carry valid check digits over made-up account numbers. Realistic-looking fake keys may
still trip a repository scanner: that is what they are for.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent / "data" / "secrets"
SEED = 20
ALNUM = string.ascii_letters + string.digits
rng = random.Random(SEED)


def chars(n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def fake(n: int, alphabet: str = ALNUM) -> str:
    """n characters that start with FAKE, so a person sees at once what they are."""
    return ("FAKE" + chars(n - 4, alphabet))[:n]


def luhn_complete(prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, digit in enumerate(reversed(body)):
        d = int(digit) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    total = 0
    for i, digit in enumerate(reversed(number)):
        d = int(digit) * (2 if i % 2 == 1 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


# -- true secrets, by class --------------------------------------------------------------------------------------------


def openai() -> str:
    if rng.random() < 0.5:
        return f"sk-proj-{fake(60, ALNUM + '_-')}T3BlbkFJ{chars(60, ALNUM + '_-')}"
    return f"sk-{fake(20)}T3BlbkFJ{chars(20)}"


def anthropic() -> str:
    return f"sk-ant-api03-{fake(93, ALNUM + '_-')}AA"


def github() -> str:
    if rng.random() < 0.3:
        return f"github_pat_11{fake(20, string.ascii_uppercase + string.digits)}_{chars(59)}"
    return f"{rng.choice(['ghp', 'gho', 'ghu', 'ghs', 'ghr'])}_{fake(36)}"


def aws_key() -> str:
    return f"AKIA{'FAKE'}{chars(12, string.ascii_uppercase + string.digits)}"


def google() -> str:
    return f"AIza{fake(35, ALNUM + '_-')}"


def slack() -> str:
    if rng.random() < 0.3:
        return f"https://hooks.slack.com/services/T{chars(8, string.ascii_uppercase + string.digits)}/B{chars(10, string.ascii_uppercase + string.digits)}/{fake(24)}"
    return f"xox{rng.choice('bp')}-{chars(12, string.digits)}-{chars(12, string.digits)}-{fake(24).lower()}"


def stripe() -> str:
    return f"{rng.choice(['sk', 'rk'])}_{rng.choice(['live', 'test'])}_{fake(rng.choice([24, 99]))}"


def other_provider() -> str:
    kind = rng.choice(["sendgrid", "gitlab", "huggingface", "telegram", "npm", "pypi"])
    return {
        "sendgrid": lambda: f"SG.{fake(22, ALNUM + '_-')}.{chars(43, ALNUM + '_-')}",
        "gitlab": lambda: f"glpat-{fake(20, ALNUM + '_-')}",
        "huggingface": lambda: f"hf_{fake(34)}",
        "telegram": lambda: f"{chars(9, string.digits)}:AA{fake(33, ALNUM + '_-')}",
        "npm": lambda: f"npm_{fake(36)}",
        "pypi": lambda: f"pypi-AgEIcHlwaS5vcmc{fake(80, ALNUM + '_-')}",
    }[kind]()


def jwt() -> str:
    header = b64url({"alg": rng.choice(["HS256", "RS256"]), "typ": "JWT"})
    payload = b64url({"sub": chars(8, string.digits), "name": "Fake Example", "iat": 1700000000 + rng.randrange(10**7)})
    return f"{header}.{payload}.{fake(43, ALNUM + '_-')}"


def private_key() -> str:
    label = rng.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"])
    lines = [fake(64, ALNUM + "+/")] + [chars(64, ALNUM + "+/") for _ in range(rng.randrange(2, 6))]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"


def url_password() -> str:
    scheme = rng.choice(["postgres", "mysql", "redis", "https", "amqp"])
    return f"{scheme}://{rng.choice(['admin', 'dana', 'app', 'svc'])}:{fake(rng.randrange(10, 20))}@db{rng.randrange(9)}.example.com"


WORDS = ["maple", "otter", "sunrise", "harbor", "violet", "tango", "falcon", "pepper", "river", "comet"]


def password_value() -> str:
    shape = rng.randrange(4)
    if shape == 0:
        return rng.choice(WORDS).capitalize() + str(rng.randrange(10, 9999)) + rng.choice("!#$%&*")
    if shape == 1:
        return chars(rng.randrange(10, 18), ALNUM + "!#$%&*@")
    if shape == 2:
        return "-".join(rng.sample(WORDS, 3)) + str(rng.randrange(10))
    return rng.choice(WORDS) + rng.choice(WORDS)


CARD_PREFIXES = [("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15), ("6011", 16),
                 ("65", 16), ("3530", 16), ("36", 14), ("62", 16), ("4", 19)]  # fmt: skip


def card() -> str:
    prefix, length = rng.choice(CARD_PREFIXES)
    digits = luhn_complete(prefix, length)
    style = rng.randrange(3)
    if style == 0:
        return digits
    sep = " " if style == 1 else "-"
    if length == 15:
        return sep.join([digits[:4], digits[4:10], digits[10:]])
    return sep.join(digits[i : i + 4] for i in range(0, length, 4))


IBAN_FORMATS = {"DE": "18n", "GB": "4a14n", "NL": "4a10n", "AT": "16n", "CH": "5n12c", "PL": "24n", "SE": "20n",
                "IE": "4a14n", "BE": "12n", "ES": "20n"}  # fmt: skip


def iban() -> str:
    from stdnum import iban as stdnum_iban

    while True:
        country = rng.choice(sorted(IBAN_FORMATS))
        bban = ""
        for part in IBAN_FORMATS[country].replace("a", "a,").replace("n", "n,").replace("c", "c,").split(",")[:-1]:
            count, kind = int(part[:-1]), part[-1]
            alphabet = {"n": string.digits, "a": string.ascii_uppercase, "c": string.ascii_uppercase + string.digits}
            bban += chars(count, alphabet[kind])
        check = stdnum_iban.calc_check_digits(f"{country}00{bban}")
        number = f"{country}{check}{bban}"
        if stdnum_iban.is_valid(number):
            return " ".join(number[i : i + 4] for i in range(0, len(number), 4)) if rng.random() < 0.7 else number


CLASSES: dict[str, tuple[Callable[[], str], list[str]]] = {
    "openai api key": (openai, ["here's my OpenAI key, {s}, can you check why this fails", "OPENAI_API_KEY={s}",
                                "the script uses {s} for the embeddings"]),
    "anthropic api key": (anthropic, ["Claude API key: {s}", "use {s} for the anthropic client",
                                      "export ANTHROPIC_API_KEY={s} before running"]),
    "github token": (github, ["my github token is {s}", "CI uses the token {s} to push", "token={s}"]),
    "aws access key": (aws_key, ["AWS access key id {s}", "the deploy user is {s}", "aws_access_key_id = {s}"]),
    "google api key": (google, ["Maps API key {s}", "google key: {s} (restricted to the app)", "use {s} for Places"]),
    "slack token": (slack, ["slack bot token {s}", "post alerts to {s}", "the bot runs with {s}"]),
    "stripe key": (stripe, ["Stripe secret key {s}", "billing uses {s}", "STRIPE_KEY={s}"]),
    "other provider token": (other_provider, ["token for the integration: {s}", "use {s} in the config",
                                             "the CI secret is {s}"]),
    "json web token": (jwt, ["session token {s}", "Authorization: Bearer {s}", "the cookie holds {s}"]),
    "private key": (private_key, ["my deploy key:\n{s}", "{s}", "server key below\n{s}\nkeep it safe"]),
    "bearer token": (lambda: fake(rng.choice([32, 40, 64]), ALNUM + "._-"),
                     ["Authorization: Bearer {s}", "call the API with header 'Bearer {s}'",
                      "curl -H \"Authorization: Bearer {s}\" https://api.example.com"]),
    "password in a url": (url_password, ["connect with {s}/app", "DATABASE_URL={s}:5432/main", "broker at {s}"]),
    "password": (password_value, ["pw: {s}", "Password:\n{s}", "my password is {s}", "The wifi password for the guest network is {s}",
                                  "Password: {s}", "netflix pw = {s}", "mein Passwort ist {s}",
                                  "the router password was \"{s}\"", "login for the NAS: admin, password {s!r}"]),
    "pin": (lambda: chars(rng.choice([4, 4, 6]), string.digits),
            ["my PIN is {s}", "bank card PIN: {s}", "the PIN code for the SIM is {s}", "PIN {s} for the garage"]),
    "card number": (card, ["my card {s} exp 12/29", "Visa {s}", "pay with {s}, CVV on the back",
                           "credit card number: {s}", "{s} is the company card", "paid the order with {s}"]),
    "iban": (iban, ["IBAN {s}", "rent goes to {s} on the 1st", "send the refund to {s} please",
                    "my account: {s}"]),
}  # fmt: skip


def secrets() -> list[dict[str, str]]:
    rows = []
    for kind, (make, templates) in CLASSES.items():
        for i in range(20):
            secret = make()
            template = templates[i % len(templates)]
            text = template.format(s=secret)
            rows.append({"class": kind, "text": text, "secret": secret})
    return rows


# -- ordinary memories that look close ---------------------------------------------------------------------------------


def digits(n: int) -> str:
    return rng.choice("123456789") + chars(n - 1, string.digits)


def luhn_invalid(prefix: str, length: int) -> str:
    number = luhn_complete(prefix, length)
    return number[:-1] + str((int(number[-1]) + rng.randrange(1, 10)) % 10)


def imei() -> str:
    return luhn_complete(rng.choice(["35", "86", "01"]), 15)


def iccid() -> str:
    return luhn_complete("8944", 19)


def hexes(n: int) -> str:
    return chars(n, "0123456789abcdef")


def uuid4() -> str:
    h = hexes(32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


ORDINARY: dict[str, list[Callable[[], str]]] = {
    "account ids": [
        lambda: f"Customer number {digits(8)} at the electricity company",
        lambda: f"AWS account id {digits(12)} is the production account",
        lambda: f"Stripe customer cus_{fake(14)} is the user's test customer",
        lambda: f"Twilio account SID AC{hexes(32)}",
        lambda: f"Slack user id U0{chars(9, string.ascii_uppercase + string.digits)}",
        lambda: f"Member number T{digits(9)} with the health insurance",
        lambda: f"Library card number {digits(10)}",
        lambda: f"Account {digits(4)}-{digits(4)}-{digits(4)} at the gym",
        lambda: f"Frequent flyer number {digits(9)}",
        lambda: f"GitHub username dk-{chars(6).lower()}",
    ],
    "order and tracking numbers": [
        lambda: f"Order #{digits(3)}-{digits(7)}-{digits(7)} arrives Thursday",
        lambda: f"Order number {digits(16)} was refunded",
        lambda: f"tracking number 1Z{chars(6, string.ascii_uppercase + string.digits)}{digits(10)}",
        lambda: f"USPS tracking {digits(22)}",
        lambda: f"Invoice {luhn_complete('4', 16)} is due on Friday",
        lambda: f"Booking reference {chars(6, string.ascii_uppercase)} for the Lisbon flight",
        lambda: f"Ticket {digits(13)} for the concert",
        lambda: f"Order {luhn_invalid('4', 16)} shipped",
        lambda: f"confirmation number {luhn_complete('5', 16)} for the hotel",
        lambda: f"parcel {digits(14)} is at the post office",
    ],
    "dates and times": [
        lambda: f"Dentist on 2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d} at 9:00",
        lambda: f"Flight leaves {rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}/2027 at 14:30",
        lambda: f"Logged at 2026-12-0{rng.randrange(1, 8)}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z",
        lambda: f"Epoch timestamp {1765000000000 + rng.randrange(10**9)} in the logs",
        lambda: f"Backup ran {digits(8)}T{digits(6)}",
    ],
    "phone numbers": [
        lambda: f"Call the plumber at +1 (415) 555-{digits(4)}",
        lambda: f"Mum's number is +44 20 7946 {digits(4)}",
        lambda: f"Office: +49 89 {digits(4)} {digits(4)}",
        lambda: f"Doctor's phone 0049 30 {digits(4)} {digits(4)}",
        lambda: f"Hotline 0800 {digits(3)} {digits(4)}",
    ],
    "hashes in a code review": [
        lambda: f"Review note: commit {hexes(40)} breaks the build",
        lambda: f"The fix is in {hexes(7)}, rebased onto {hexes(7)}",
        lambda: f"sha256 of the release tarball is {hexes(64)}",
        lambda: f"md5 {hexes(32)} matches the mirror",
        lambda: f"PR #{rng.randrange(100, 9999)} reverts {hexes(12)}; see the diff",
    ],
    "uuids and ids": [
        lambda: f"Memory id {uuid4()} is the old one",
        lambda: f"Request id {uuid4()} failed with 502",
        lambda: f"Docker image digest sha256:{hexes(64)}",
        lambda: f"Trace {hexes(32)} shows the slow query",
        lambda: f"Tailscale node id n{chars(10)}CNTRL",
    ],
    "versions and numbers": [
        lambda: f"Upgraded to Python 3.{rng.randrange(8, 14)}.{rng.randrange(20)}",
        lambda: f"App version v{rng.randrange(1, 9)}.{rng.randrange(30)}.{rng.randrange(30)}-rc{rng.randrange(5)}",
        lambda: f"Build {digits(8)}.{rng.randrange(9)} is on staging",
        lambda: f"Population of the city is {digits(7)}",
        lambda: f"The server has IP 10.{rng.randrange(255)}.{rng.randrange(255)}.{rng.randrange(255)}",
        lambda: f"ISBN 978-{rng.randrange(10)}-{digits(3)}-{digits(5)}-{rng.randrange(10)}",
        lambda: f"Phone IMEI {imei()}",
        lambda: f"SIM ICCID {iccid()}",
        lambda: f"EAN barcode {luhn_complete('40', 13)} on the box",
        lambda: f"Serial number {digits(16)} on the router",
    ],
    "secrets talked about, not given": [
        lambda: rng.choice(["Reset my password tomorrow", "Forgot the Netflix password again",
                            "The wifi password is on the fridge", "Password manager is Bitwarden",
                            "Password must be at least 12 characters", "The password is stored in 1Password",
                            "Changed my GitHub password yesterday", "the API key is in the vault",
                            "Rotate the Stripe key on Friday", "API key for the weather app is stored in 1Password",
                            "The token limit is 200k", "Bank PIN was changed last week",
                            "Card ending in 4242 expires in March", "Visa ending 1234 is the default card",
                            "IBAN ends in 4471", "Use the sk-learn pipeline", "Password reset link expires in 24 hours",
                            "the password is the same as the old one", "my password: see the vault",
                            "Two-factor codes come by SMS", "pin the tab with the agenda",
                            "The secret to the recipe is brown butter", "API key rotation is every 90 days",
                            "The access token expires after an hour", "password policy: 90 days"])
    ],
    "invalid lookalikes": [
        lambda: f"card number {luhn_invalid('4', 16)} was declined as invalid",
        lambda: f"IBAN DE{rng.randrange(10, 99)} {digits(4)} {digits(4)} {digits(4)} {digits(4)} {digits(2)} (typo, bounced)",
        lambda: f"BIC {rng.choice(['DEUTDEFF', 'COBADEFFXXX', 'BYLADEM1001'])} for the transfer",
        lambda: f"ghp is short for GitHub personal; prefix ghp_ then {rng.randrange(30, 40)} characters",
        lambda: f"AKIA keys are AWS ids, like the one ending {chars(4, string.ascii_uppercase)}",
    ],
    "public keys, masked and placeholder values": [
        lambda: f"Deploy key is ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{chars(43, ALNUM + '+/')} dana@laptop",
        lambda: f"-----BEGIN PUBLIC KEY-----\n{chars(64, ALNUM + '+/')}\n-----END PUBLIC KEY-----",
        lambda: f"-----BEGIN CERTIFICATE-----\n{chars(64, ALNUM + '+/')}\n-----END CERTIFICATE-----",
        lambda: rng.choice(["Password: ********", "PIN: ****", "password: <hidden>", "password = [REDACTED]",
                            "the password is ••••••••", "API key: (see 1Password)", "password: ???"]),
        lambda: f"Clone with git@github.com:nordwind/app-{chars(4).lower()}.git",
        lambda: f"Repo URL https://dana@github.com/nordwind/{chars(5).lower()}",
        lambda: f"Role arn:aws:iam::{digits(12)}:role/deploy-{chars(4).lower()}",
        lambda: f"Zoom meeting ID {digits(3)} {digits(4)} {digits(4)}, passcode in the invite",
        lambda: f"Passport number C{chars(8, string.ascii_uppercase + string.digits)} expires 2031",
        lambda: f"Discount code SAVE{rng.randrange(10, 50)}{chars(4, string.ascii_uppercase)} at checkout",
        lambda: f"Pin {rng.randrange(2, 40)} on the Raspberry Pi is GPIO{rng.randrange(2, 27)}",
        lambda: f"Steuer-ID {digits(2)} {digits(3)} {digits(3)} {digits(3)}",
    ],
}  # fmt: skip


def ordinary() -> list[dict[str, str]]:
    rows = []
    for group, makers in ORDINARY.items():
        n = 60 if group != "secrets talked about, not given" else 40
        for i in range(n):
            rows.append({"group": group, "text": makers[i % len(makers)]()})
    seeded = Path(__file__).parent / "data" / "memories.jsonl"
    for line in seeded.read_text().splitlines():  # the bench's own memories, account info among them
        entry = json.loads(line)
        rows.append({"group": f"bench memories ({entry['memory_type']})", "text": entry["content"]})
    return rows


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    for name, rows in (("secrets.jsonl", secrets()), ("ordinary.jsonl", ordinary())):
        (HERE / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        print(f"{HERE / name}: {len(rows)} entries")


if __name__ == "__main__":
    main()
