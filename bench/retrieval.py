"""The retrieval sets (memories, questions, the ids that answer them) and how a ranking is scored on them: R@k is the
share of a question's relevant memories in the top k (for `bench/data`, whose relevant memories are alternatives,
whether any of them is); MRR uses the first relevant memory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bench.common import DATA, load_jsonl

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


SETS: dict[str, Callable[[], RetrievalSet]] = {
    "bench/data": classic,
    "conversations": conversations,
    "multilingual": multilingual,
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
