"""The answer cache: what a labelling model said, keyed by crop, prompt, model and settings."""

from __future__ import annotations

import json

from thyra_graph.engine.context import Context
from thyra_graph.engine.resources import ResourceCache
from thyra_graph.nodes.label.answer_cache import FOLDER_NAME, AnswerCache, answer_key

PNG = b"\x89PNG fake"


def test_the_key_changes_with_crop_prompt_model_and_settings_only():
    base = answer_key(PNG, "describe", "m", {"temperature": 0.0})
    assert base == answer_key(PNG, "describe", "m", {"temperature": 0.0})
    assert len({base, answer_key(PNG + b"!", "describe", "m", {"temperature": 0.0}),
                answer_key(PNG, "describe it", "m", {"temperature": 0.0}),
                answer_key(PNG, "describe", "m2", {"temperature": 0.0}),
                answer_key(PNG, "describe", "m", {"temperature": 0.5})}) == 5


def test_an_answer_is_written_as_one_json_file_and_read_back_by_a_new_cache(tmp_path):
    key = answer_key(PNG, "p", "m")
    AnswerCache(tmp_path).put(key, {"text": "a red disc", "model": "m"})
    files = list(tmp_path.rglob("*.json"))
    assert files == [tmp_path / key[:2] / f"{key}.json"]
    assert json.loads(files[0].read_text(encoding="utf-8"))["text"] == "a red disc"
    assert not list(tmp_path.rglob(".tmp-*"))  # atomic write left no temporary file
    assert AnswerCache(tmp_path).get(key)["text"] == "a red disc"


def test_a_damaged_file_reads_as_a_miss(tmp_path):
    key = answer_key(PNG, "p", "m")
    AnswerCache(tmp_path).put(key, {"text": "x"})
    (tmp_path / key[:2] / f"{key}.json").write_text("{not json", encoding="utf-8")
    assert AnswerCache(tmp_path).get(key) is None


def test_a_file_stored_under_another_key_is_not_served(tmp_path):
    key, other = answer_key(PNG, "p", "m"), answer_key(PNG, "q", "m")
    AnswerCache(tmp_path).put(key, {"text": "x"})
    (tmp_path / other[:2]).mkdir(exist_ok=True)
    (tmp_path / key[:2] / f"{key}.json").rename(tmp_path / other[:2] / f"{other}.json")
    assert AnswerCache(tmp_path).get(other) is None


def test_without_a_folder_answers_stay_in_memory():
    cache = AnswerCache(None)
    cache.put("k" * 64, {"text": "x"})
    assert cache.get("k" * 64)["text"] == "x" and len(cache) == 1


def test_a_run_keeps_its_answers_under_the_disk_cache_and_reuses_one_cache_per_executor(tmp_path):
    resources = ResourceCache()
    first = AnswerCache.for_context(Context("a", "label.vlm", resources=resources, cache_dir=tmp_path))
    second = AnswerCache.for_context(Context("b", "label.vlm", resources=resources, cache_dir=tmp_path))
    assert first is second and first.folder == tmp_path / FOLDER_NAME
    assert AnswerCache.for_context(Context.standalone("label.vlm")).folder is None
