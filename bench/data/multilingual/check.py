"""Consistency checks for the multilingual retrieval set (stdlib only).

Run:  python3 bench/data/multilingual/check.py
Exits with status 1 and lists the problems if any check fails.
"""

import collections
import json
import math
import os
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
LANGS = ["en", "de", "es", "fr", "ja"]
TYPES = {"preference", "account", "fact", "milestone", "session", "chat", "reminder", "cache"}
PERMANENT = {"preference", "account", "fact", "milestone"}
KINDS = {"paraphrase": 50, "keyword": 20, "multi": 10}

# Rare token of each keyword query, per language. It must occur (case-insensitive
# substring match) in the query, in every relevant memory and in no other memory
# of the same language.
KEYWORD_TOKENS = {
    "ml-q005": {"en": "VIS-4410", "de": "VIS-4410", "es": "VIS-4410", "fr": "VIS-4410", "ja": "VIS-4410"},
    "ml-q008": {"en": "EN-884022", "de": "EN-884022", "es": "EN-884022", "fr": "EN-884022", "ja": "EN-884022"},
    "ml-q009": {"en": "UP-6612", "de": "UP-6612", "es": "UP-6612", "fr": "UP-6612", "ja": "UP-6612"},
    "ml-q011": {"en": "HZ-50731", "de": "HZ-50731", "es": "HZ-50731", "fr": "HZ-50731", "ja": "HZ-50731"},
    "ml-q023": {"en": "Okonkwo", "de": "Okonkwo", "es": "Okonkwo", "fr": "Okonkwo", "ja": "オコンクウォ"},
    "ml-q026": {
        "en": "528140000612345",
        "de": "528140000612345",
        "es": "528140000612345",
        "fr": "528140000612345",
        "ja": "528140000612345",
    },
    "ml-q029": {
        "en": "FB-2048551190",
        "de": "FB-2048551190",
        "es": "FB-2048551190",
        "fr": "FB-2048551190",
        "ja": "FB-2048551190",
    },
    "ml-q037": {"en": "Olijf", "de": "Olijf", "es": "Olijf", "fr": "Olijf", "ja": "Olijf"},
    "ml-q044": {
        "en": "ZK-66201187",
        "de": "ZK-66201187",
        "es": "ZK-66201187",
        "fr": "ZK-66201187",
        "ja": "ZK-66201187",
    },
    "ml-q045": {"en": "NEO-30917", "de": "NEO-30917", "es": "NEO-30917", "fr": "NEO-30917", "ja": "NEO-30917"},
    "ml-q046": {
        "en": "noralind-dev",
        "de": "noralind-dev",
        "es": "noralind-dev",
        "fr": "noralind-dev",
        "ja": "noralind-dev",
    },
    "ml-q053": {"en": "Noor", "de": "Noor", "es": "Noor", "fr": "Noor", "ja": "ヌール"},
    "ml-q055": {
        "en": "CB-7734-221",
        "de": "CB-7734-221",
        "es": "CB-7734-221",
        "fr": "CB-7734-221",
        "ja": "CB-7734-221",
    },
    "ml-q057": {"en": "GW-0193", "de": "GW-0193", "es": "GW-0193", "fr": "GW-0193", "ja": "GW-0193"},
    "ml-q058": {"en": "X71904425", "de": "X71904425", "es": "X71904425", "fr": "X71904425", "ja": "X71904425"},
    "ml-q061": {
        "en": "BU-2210-7783",
        "de": "BU-2210-7783",
        "es": "BU-2210-7783",
        "fr": "BU-2210-7783",
        "ja": "BU-2210-7783",
    },
    "ml-q064": {"en": "GX-482-K", "de": "GX-482-K", "es": "GX-482-K", "fr": "GX-482-K", "ja": "GX-482-K"},
    "ml-q068": {"en": "LX7Q2M", "de": "LX7Q2M", "es": "LX7Q2M", "fr": "LX7Q2M", "ja": "LX7Q2M"},
    "ml-q069": {"en": "Gustav", "de": "Gustav", "es": "Gustav", "fr": "Gustav", "ja": "グスタフ"},
    "ml-q076": {"en": "Wingspan", "de": "Wingspan", "es": "Wingspan", "fr": "Wingspan", "ja": "Wingspan"},
}

problems = []


def bad(msg):
    problems.append(msg)


def load(name):
    rows = []
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                bad(f"{name}:{n}: invalid JSON ({e})")
    return rows


def norm(s):
    return unicodedata.normalize("NFC", s).casefold()


mems = load("memories.jsonl")
qs = load("queries.jsonl")

# ---- memories -------------------------------------------------------------
by_id = {}
by_item = collections.defaultdict(dict)
seen_content = collections.defaultdict(set)
for m in mems:
    if set(m) != {"id", "item", "lang", "content", "memory_type", "permanent"}:
        bad(f"{m.get('id')}: unexpected fields {sorted(m)}")
    mid = m["id"]
    if mid in by_id:
        bad(f"duplicate memory id {mid}")
    by_id[mid] = m
    if not re.fullmatch(r"ml-m\d{3}", m["item"]) or mid != f"{m['item']}-{m['lang']}":
        bad(f"{mid}: id does not match item/lang")
    if m["lang"] not in LANGS:
        bad(f"{mid}: unknown lang {m['lang']}")
    if m["memory_type"] not in TYPES:
        bad(f"{mid}: unknown memory_type {m['memory_type']}")
    if m["permanent"] is not (m["memory_type"] in PERMANENT):
        bad(f"{mid}: permanent flag inconsistent with memory_type")
    if not m["content"].strip() or m["content"] != m["content"].strip():
        bad(f"{mid}: empty content or stray whitespace")
    if "  " in m["content"]:
        bad(f"{mid}: double space")
    key = norm(m["content"])
    if key in seen_content[m["lang"]]:
        bad(f"{mid}: duplicate content within language")
    seen_content[m["lang"]].add(key)
    by_item[m["item"]][m["lang"]] = m

for item, langs in by_item.items():
    if set(langs) != set(LANGS):
        bad(f"{item}: missing languages {sorted(set(LANGS) - set(langs))}")
    if len({m["memory_type"] for m in langs.values()}) != 1:
        bad(f"{item}: memory_type differs across languages")

# identifiers/numbers that must survive translation unchanged
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*[A-Za-z0-9]")


def ids_in(text):
    out = set()
    for t in ID_RE.findall(text):
        has_digit = any(c.isdigit() for c in t)
        if (
            (
                has_digit
                and not any(c.islower() for c in t)
                and (any(c.isalpha() for c in t) or "-" in t)
                and len(t) >= 5
            )
            or (t.isdigit() and len(t) >= 6)
            or t.endswith(("-dev", ".app"))
        ):
            out.add(t)
    return out


for item, langs in by_item.items():
    if "en" not in langs:
        continue
    for tok in ids_in(langs["en"]["content"]):
        for lang, m in langs.items():
            if tok not in m["content"]:
                bad(f"{m['id']}: identifier {tok!r} from the English memory is missing")


# Japanese: no spaces between Japanese words (spaces only between ASCII runs)
def is_ascii_word(c):
    return c.isascii() and (c.isalnum() or c in "=+-.")


for mid, m in by_id.items():
    if m["lang"] != "ja":
        continue
    t = m["content"]
    for i, c in enumerate(t):
        between_latin = 0 < i < len(t) - 1 and is_ascii_word(t[i - 1]) and is_ascii_word(t[i + 1])
        if c in " \u3000" and (c == "\u3000" or not between_latin):
            bad(f"{mid}: space next to Japanese text at {i}: {t!r}")

# ---- queries --------------------------------------------------------------
q_by_item = collections.defaultdict(dict)
for q in qs:
    if set(q) != {"item", "lang", "query", "relevant", "kind"}:
        bad(f"{q.get('item')}/{q.get('lang')}: unexpected fields {sorted(q)}")
    tag = f"{q['item']}-{q['lang']}"
    if q["lang"] in q_by_item[q["item"]]:
        bad(f"duplicate query {tag}")
    q_by_item[q["item"]][q["lang"]] = q
    if q["kind"] not in KINDS:
        bad(f"{tag}: unknown kind {q['kind']}")
    if not q["relevant"] or len(set(q["relevant"])) != len(q["relevant"]):
        bad(f"{tag}: empty or duplicated relevant list")
    for r in q["relevant"]:
        if r not in by_id:
            bad(f"{tag}: relevant id {r} does not exist")
        elif by_id[r]["lang"] != q["lang"]:
            bad(f"{tag}: relevant id {r} is in another language")
    if q["kind"] == "multi" and len(q["relevant"]) < 2:
        bad(f"{tag}: multi query with fewer than 2 relevant memories")
    if q["kind"] != "multi" and len(q["relevant"]) != 1:
        bad(f"{tag}: {q['kind']} query should have exactly 1 relevant memory")

for item, langs in q_by_item.items():
    if set(langs) != set(LANGS):
        bad(f"{item}: missing languages {sorted(set(LANGS) - set(langs))}")
    if len({q["kind"] for q in langs.values()}) != 1:
        bad(f"{item}: kind differs across languages")
    if len({tuple(r.rsplit("-", 1)[0] for r in q["relevant"]) for q in langs.values()}) != 1:
        bad(f"{item}: relevant items differ across languages")

for lang in LANGS:
    c = collections.Counter(q_by_item[i][lang]["kind"] for i in q_by_item if lang in q_by_item[i])
    if dict(c) != KINDS:
        bad(f"{lang}: query counts by kind {dict(c)} != {KINDS}")
    if sum(1 for m in by_id.values() if m["lang"] == lang) != 150:
        bad(f"{lang}: expected 150 memories")

# keyword tokens
kw_items = {i for i, langs in q_by_item.items() if langs.get("en", {}).get("kind") == "keyword"}
if kw_items != set(KEYWORD_TOKENS):
    bad(f"KEYWORD_TOKENS does not cover exactly the keyword queries: {sorted(kw_items ^ set(KEYWORD_TOKENS))}")
for item, toks in KEYWORD_TOKENS.items():
    for lang in LANGS:
        q = q_by_item.get(item, {}).get(lang)
        if q is None:
            continue
        tok = norm(toks[lang])
        if tok not in norm(q["query"]):
            bad(f"{item}-{lang}: token {toks[lang]!r} not in query")
        hits = {mid for mid, m in by_id.items() if m["lang"] == lang and tok in norm(m["content"])}
        if hits != set(q["relevant"]):
            bad(f"{item}-{lang}: token {toks[lang]!r} found in {sorted(hits)}, relevant {q['relevant']}")

# ---- summary --------------------------------------------------------------
print(f"memories: {len(mems)} ({len(by_item)} items x {len(LANGS)} languages)")
print(
    "  by type:",
    dict(sorted(collections.Counter(m["memory_type"] for m in by_item_lang.values()).items()))
    if (by_item_lang := {i: langs["en"] for i, langs in by_item.items() if "en" in langs})
    else "",
)
print(f"queries: {len(qs)} ({len(q_by_item)} items x {len(LANGS)} languages)")
print("  by kind:", dict(collections.Counter(langs["en"]["kind"] for langs in q_by_item.values() if "en" in langs)))

if "--bm25" in sys.argv:
    # Optional lexical baseline: BM25 over lowercased word tokens
    # (character bigrams for Japanese), hit@1 / hit@5 per language and kind.
    def toks(text, lang):
        text = norm(text)
        if lang == "ja":
            s = re.sub(r"\s+", "", text)
            return [s[i : i + 2] for i in range(len(s) - 1)]
        return re.findall(r"\w+", text)

    for lang in LANGS:
        docs = [(mid, toks(m["content"], lang)) for mid, m in sorted(by_id.items()) if m["lang"] == lang]
        N = len(docs)
        avg = sum(len(d) for _, d in docs) / N
        df = collections.Counter(t for _, d in docs for t in set(d))
        tfs = [(mid, collections.Counter(d), len(d)) for mid, d in docs]
        res = collections.defaultdict(lambda: [0, 0, 0])
        for item, ls in sorted(q_by_item.items()):
            q = ls[lang]
            qt = toks(q["query"], lang)
            scores = []
            for mid, tf, dl in tfs:
                s = 0.0
                for t in qt:
                    if t in tf:
                        idf = math.log(1 + (N - df[t] + 0.5) / (df[t] + 0.5))
                        s += idf * tf[t] * 2.2 / (tf[t] + 1.2 * (0.25 + 0.75 * dl / avg))
                scores.append((s, mid))
            ranked = [mid for s, mid in sorted(scores, key=lambda x: (-x[0], x[1])) if s > 0]
            rel = set(q["relevant"])
            r = res[q["kind"]]
            r[0] += 1
            r[1] += bool(rel & set(ranked[:1]))
            r[2] += bool(rel & set(ranked[:5]))
        print(
            f"  bm25 {lang}: " + ", ".join(f"{k} {v[1] / v[0]:.2f}/{v[2] / v[0]:.2f}" for k, v in sorted(res.items()))
        )

if problems:
    print(f"\n{len(problems)} problem(s):")
    for p in problems:
        print("  -", p)
    sys.exit(1)
print("all checks passed")
