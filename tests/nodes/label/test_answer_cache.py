"""The answer cache: what a labelling model said, keyed by crop, prompt, model and settings."""

from __future__ import annotations

from thyra_graph.engine.context import Context
from thyra_graph.engine.resources import ResourceCache
from thyra_graph.engine.store import Memo, Store
from thyra_graph.nodes.label.answer_cache import NAMESPACE, AnswerCache, answer_key

PNG = b"\x89PNG fake"


def test_the_key_changes_with_crop_prompt_model_and_settings_only():
    base = answer_key(PNG, "describe", "m", {"temperature": 0.0})
    assert base == answer_key(PNG, "describe", "m", {"temperature": 0.0})
    assert len({base, answer_key(PNG + b"!", "describe", "m", {"temperature": 0.0}),
                answer_key(PNG, "describe it", "m", {"temperature": 0.0}),
                answer_key(PNG, "describe", "m2", {"temperature": 0.0}),
                answer_key(PNG, "describe", "m", {"temperature": 0.5})}) == 5


def test_an_answer_is_one_record_of_the_store_read_back_by_a_new_cache(tmp_path):
    key = answer_key(PNG, "p", "m")
    AnswerCache(Memo(Store(tmp_path))).put(key, {"text": "a red disc", "model": "m"})
    records = list(tmp_path.rglob("*.thyra"))
    assert records == [Store(tmp_path).path_for(f"memo-{NAMESPACE}", key)]
    assert not list(tmp_path.rglob("*.tmp"))  # atomic write left no temporary file
    assert AnswerCache(Memo(Store(tmp_path))).get(key)["text"] == "a red disc"


def test_a_damaged_record_reads_as_a_miss(tmp_path):
    key = answer_key(PNG, "p", "m")
    AnswerCache(Memo(Store(tmp_path))).put(key, {"text": "x"})
    path = Store(tmp_path).path_for(f"memo-{NAMESPACE}", key)
    path.write_bytes(path.read_bytes()[:-3] + b"{no")
    assert AnswerCache(Memo(Store(tmp_path))).get(key) is None


def test_a_record_stored_under_another_key_is_not_served(tmp_path):
    key, other = answer_key(PNG, "p", "m"), answer_key(PNG, "q", "m")
    store = Store(tmp_path)
    AnswerCache(Memo(store)).put(key, {"text": "x"})
    target = store.path_for(f"memo-{NAMESPACE}", other)
    target.parent.mkdir(parents=True, exist_ok=True)
    store.path_for(f"memo-{NAMESPACE}", key).rename(target)
    assert AnswerCache(Memo(Store(tmp_path))).get(other) is None


def test_without_a_store_answers_stay_in_memory():
    cache = AnswerCache(Memo(None))
    cache.put("k" * 64, {"text": "x"})
    assert cache.get("k" * 64)["text"] == "x" and list(cache.memory) == ["k" * 64]


def test_a_run_keeps_its_answers_in_its_store_and_reuses_one_cache_per_executor(tmp_path):
    resources, store = ResourceCache(), Store(tmp_path)
    first = AnswerCache.for_context(Context("a", "label.vlm", resources=resources, store=store))
    second = AnswerCache.for_context(Context("b", "label.vlm", resources=resources, store=store))
    assert first is second and first.memo.store is store
    assert AnswerCache.for_context(Context.standalone("label.vlm")).memo.store is None
