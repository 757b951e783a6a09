"""The retrieval sets (memories, questions, the ids that answer them) and how a ranking is scored on them: R@k is the
share of a question's relevant memories in the top k (for `bench/data`, whose relevant memories are alternatives,
whether any of them is); MRR uses the first relevant memory."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import DATA, ROOT, load_jsonl
from expiring_memory_mcp.rules import dedup_key

K = (1, 5, 10)


@dataclass(frozen=True)
class Memory:
    user: str
    id: str
    content: str
    memory_type: str


@dataclass(frozen=True)
class Query:
    user: str
    text: str
    relevant: tuple[str, ...]
    kind: str
    lang: str = "en"


@dataclass
class RetrievalSet:
    name: str
    memories: list[Memory]
    queries: list[Query]
    any_relevant: bool = False  # relevant memories are alternatives: finding one is enough

    def users(self) -> list[str]:
        return sorted({m.user for m in self.memories})

    def sliced(self, users: int, queries_per_user: int) -> RetrievalSet:
        kept = self.users()[:users]
        picked: list[Query] = []
        for user in kept:
            picked += [q for q in self.queries if q.user == user][:queries_per_user]
        return RetrievalSet(self.name, [m for m in self.memories if m.user in kept], picked, self.any_relevant)


def classic() -> RetrievalSet:
    """`bench/data`: one user, 326 hand-written memories, 187 queries."""
    memories = [Memory("dana", m["id"], m["content"], m["memory_type"]) for m in load_jsonl(DATA / "memories.jsonl")]
    queries = [Query("dana", q["query"], tuple(q["relevant"]), q["kind"]) for q in load_jsonl(DATA / "queries.jsonl")]
    return RetrievalSet("bench/data", memories, queries, any_relevant=True)


def conversations() -> RetrievalSet:
    """`bench/data/conversations`: several users' dialog turns and notes, questions that need names, numbers,
    paraphrase or two memories."""
    folder = DATA / "conversations"
    memories: list[Memory] = []
    queries: list[Query] = []
    for path in sorted(folder.glob("*.memories.jsonl")):
        memories += [Memory(m["user"], m["id"], m["content"], m["memory_type"]) for m in load_jsonl(path)]
    for path in sorted(folder.glob("*.queries.jsonl")):
        queries += [Query(q["user"], q["query"], tuple(q["relevant"]), q["kind"]) for q in load_jsonl(path)]
    return RetrievalSet("conversations", memories, queries)


def multilingual() -> RetrievalSet:
    """`bench/data/multilingual`: one user's memories and questions in five languages, one user per language."""
    folder = DATA / "multilingual"
    memories = [
        Memory(f"ml-{m['lang']}", m["id"], m["content"], m["memory_type"])
        for m in load_jsonl(folder / "memories.jsonl")
    ]
    queries = [
        Query(f"ml-{q['lang']}", q["query"], tuple(q["relevant"]), q["kind"], q["lang"])
        for q in load_jsonl(folder / "queries.jsonl")
    ]
    return RetrievalSet("multilingual", memories, queries)


# REALTALK (arXiv 2502.13270): ten real 21-day chats, read from a path, never copied into the project.
REALTALK = ROOT.parent / "shared" / "realtalk"
CATEGORIES = {1: "fact", 2: "date", 3: "inference"}


def realtalk(folder: Path | None = None) -> RetrievalSet:
    """REALTALK by its README's protocol: each chat is one user; every message with text is one `fact` memory,
    "<speaker>: <clean_text>", with its `dia_id` as the set id; each question whose evidence names messages of its
    chat asks for them. The chat's number orders the users ("chat-01" ... "chat-10") and names the halves."""
    folder = folder or REALTALK
    memories: list[Memory] = []
    queries: list[Query] = []
    paths = sorted(folder.glob("Chat_*.json"), key=lambda p: int(p.name.split("_")[1]))
    if not paths:
        raise FileNotFoundError(f"no REALTALK chats (Chat_*.json) in {folder}")
    for path in paths:
        user = f"chat-{int(path.name.split('_')[1]):02d}"
        chat = json.loads(path.read_text())
        first: dict[str, str] = {}  # a message's dia_id -> the id of the memory that holds its text
        held: dict[str, str] = {}  # the server's dedup key -> that memory's id
        for key in sorted((k for k in chat if re.fullmatch(r"session_\d+", k)), key=lambda k: int(k.split("_")[1])):
            for message in chat[key]:
                text = str(message.get("clean_text") or "").strip()
                if not text:
                    continue
                content = f"{message['speaker']}: {text}"
                # The server refreshes a memory remembered again word for word (rules.dedup_key) instead of adding a
                # second: a repeated message ("Emi: Haha") is the one memory, and answers for each of its dia_ids.
                memory_id = held.setdefault(dedup_key(content), f"{user}/{message['dia_id']}")
                if memory_id == f"{user}/{message['dia_id']}":
                    memories.append(Memory(user, memory_id, content, "fact"))
                first[message["dia_id"]] = memory_id
        for qa in chat.get("qa", []):
            gold = tuple(dict.fromkeys(first[e] for e in qa.get("evidence") or [] if e in first))
            if gold:
                kind = CATEGORIES.get(qa.get("category"), str(qa.get("category")))
                queries.append(Query(user, qa["question"], gold, kind))
    return RetrievalSet("realtalk", memories, queries)


SETS: dict[str, Callable[[], RetrievalSet]] = {
    "bench/data": classic,
    "conversations": conversations,
    "multilingual": multilingual,
    "realtalk": realtalk,
}


# -- metrics -------------------------------------------------------------------------------------------


@dataclass
class Scores:
    recall: dict[int, float] = field(default_factory=dict)
    mrr: float = 0.0
    count: int = 0

    def row(self) -> str:
        return " | ".join(f"{self.recall[k]:.3f}" for k in K) + f" | {self.mrr:.3f}"


def score(queries: list[Query], ranked: list[list[str]], *, any_relevant: bool) -> Scores:
    if not queries:
        return Scores({k: 0.0 for k in K})
    recall = {k: 0.0 for k in K}
    rr = 0.0
    for query, got in zip(queries, ranked, strict=True):
        relevant = set(query.relevant)
        for k in K:
            found = len(relevant & set(got[:k]))
            recall[k] += min(found, 1) if any_relevant else found / len(relevant)
        rank = next((i + 1 for i, g in enumerate(got) if g in relevant), None)
        rr += 1 / rank if rank else 0.0
    n = len(queries)
    return Scores({k: v / n for k, v in recall.items()}, rr / n, n)


def by(
    queries: list[Query], ranked: list[list[str]], key: Callable[[Query], str], *, any_relevant: bool
) -> dict[str, Scores]:
    groups: dict[str, list[int]] = {}
    for n, query in enumerate(queries):
        groups.setdefault(key(query), []).append(n)
    return {
        name: score([queries[i] for i in idx], [ranked[i] for i in idx], any_relevant=any_relevant)
        for name, idx in sorted(groups.items())
    }
