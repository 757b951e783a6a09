"""The REALTALK benchmark's loader and scoring, on two small chats written here in the dataset's format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.quality import half
from bench.retrieval import realtalk, score


def chat(number: int, first: str, second: str) -> dict[str, object]:
    return {
        "name": {"speaker_1": first, "speaker_2": second},
        "session_1": [
            {
                "clean_text": "Hi! Where do you work?",
                "speaker": first,
                "date_time": "1.1.2024, 10:00",
                "dia_id": "D1:1",
            },
            {"clean_text": "At the bakery on Elm St", "speaker": second, "date_time": "", "dia_id": "D1:2"},
            {"clean_text": "   ", "speaker": first, "img_file": ["x.jpg"], "dia_id": "D1:3"},
            {"clean_text": "haha", "speaker": first, "dia_id": "D1:4"},
        ],
        "events_session_1": [],
        "session_2": [
            {"clean_text": "HAHA ", "speaker": first, "dia_id": "D2:1"},
            {"clean_text": "I quit the bakery", "speaker": second, "dia_id": "D2:2"},
        ],
        "session_1_date_time": "1.1.2024",
        "qa": [
            {
                "question": f"Where did {second} work?",
                "answer": "a bakery",
                "evidence": ["D1:2", "D2:2"],
                "category": 1,
            },
            {"question": "When did they laugh?", "answer": "twice", "evidence": ["D2:1"], "category": 2},
            {"question": "What is in the photo?", "answer": "?", "evidence": ["D1:3"], "category": 3},
            {"question": "Unanswered?", "answer": "?", "evidence": [], "category": 3},
        ],
    }


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "Chat_2_Ann_Bo.json").write_text(json.dumps(chat(2, "Ann", "Bo")))
    (tmp_path / "Chat_10_Cy_Di.json").write_text(json.dumps(chat(10, "Cy", "Di")))
    (tmp_path / "README.md").write_text("not a chat")
    return tmp_path


def test_each_chat_is_a_user_and_each_message_with_text_a_fact_memory(folder: Path) -> None:
    found = realtalk(folder)
    assert found.users() == ["chat-02", "chat-10"]
    ann = [m for m in found.memories if m.user == "chat-02"]
    assert [(m.id, m.content, m.memory_type) for m in ann] == [
        ("chat-02/D1:1", "Ann: Hi! Where do you work?", "fact"),
        ("chat-02/D1:2", "Bo: At the bakery on Elm St", "fact"),
        ("chat-02/D1:4", "Ann: haha", "fact"),  # D1:3 has no text; D2:1 says it again (below)
        ("chat-02/D2:2", "Bo: I quit the bakery", "fact"),
    ]


def test_questions_ask_for_their_evidence_and_a_repeated_message_is_the_one_memory(folder: Path) -> None:
    queries = [q for q in realtalk(folder).queries if q.user == "chat-10"]
    # The server refreshes "Cy: HAHA " into "Cy: haha" instead of adding it, so D2:1 is answered by D1:4.
    assert [(q.text, q.relevant, q.kind) for q in queries] == [
        ("Where did Di work?", ("chat-10/D1:2", "chat-10/D2:2"), "fact"),
        ("When did they laugh?", ("chat-10/D1:4",), "date"),
    ]
    assert [half(q) for q in queries] == ["chats 6–10", "chats 6–10"]


def test_a_folder_without_chats_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no REALTALK chats"):
        realtalk(tmp_path)


def test_recall_counts_the_share_of_evidence_found_and_mrr_the_first_hit(folder: Path) -> None:
    queries = [q for q in realtalk(folder).queries if q.user == "chat-02"]
    ranked = [
        ["chat-02/D1:1", "chat-02/D1:2"] + [f"other-{i}" for i in range(7)] + ["chat-02/D2:2"],
        ["chat-02/D1:1"],
    ]
    scores = score(queries, ranked, any_relevant=False)
    assert scores.recall == {1: 0.0, 5: 0.25, 10: 0.5}
    assert scores.mrr == pytest.approx(0.25)
