"""Prompts asked of labelling models and how their answers are read back."""

from __future__ import annotations

import pytest

from thyra_graph.nodes.label.prompts import (DESCRIBE_PROMPT, build_prompt, extract_json_object, match_class,
                                             parse_answer, short_label)

CLASSES = ["car", "traffic light", "tree"]


def test_an_empty_template_asks_for_a_description_without_classes():
    assert build_prompt("", [], 0) == DESCRIBE_PROMPT


def test_with_classes_the_default_prompt_lists_them_and_asks_for_json():
    prompt = build_prompt("", CLASSES, 0)
    assert "car, traffic light, tree" in prompt
    assert '{"label"' in prompt and "JSON" in prompt
    assert "{classes}" not in prompt


def test_placeholders_are_filled_and_other_braces_left_alone():
    prompt = build_prompt('Region {index}: pick from {classes}. Reply as JSON like {"label": "x"}', CLASSES, 4)
    assert prompt == 'Region 5: pick from car, traffic light, tree. Reply as JSON like {"label": "x"}'


def test_a_custom_template_without_json_gets_the_json_instruction_when_classes_are_given():
    assert "JSON" in build_prompt("What is this?", CLASSES, 0)
    assert build_prompt("What is this?", [], 0) == "What is this?"


def test_a_json_answer_with_a_listed_label_is_structured_and_unflagged():
    answer = parse_answer('{"label": "tree", "description": "A tall oak."}', CLASSES)
    assert (answer.label, answer.description, answer.structured, answer.problem) == ("tree", "A tall oak.", True, None)


@pytest.mark.parametrize("text", [
    '```json\n{"label": "Tree", "description": "An oak."}\n```',
    'Sure! Here is my answer:\n{"label": "TREE", "description": "An oak."} Hope this helps.',
    '```\n{"label": "trees", "description": "An oak."}\n```',
])
def test_json_is_found_in_code_fences_and_prose_and_the_label_matched_ignoring_case_and_plural(text):
    answer = parse_answer(text, CLASSES)
    assert answer.label == "tree" and answer.structured and answer.problem is None


def test_a_near_miss_label_is_corrected_to_the_class():
    assert match_class("traffic-light", CLASSES) == "traffic light"
    assert match_class("trafic light", CLASSES) == "traffic light"
    assert match_class("bicycle", CLASSES) is None


def test_a_label_outside_the_class_list_is_kept_but_flagged():
    answer = parse_answer('{"label": "bicycle", "description": "A red bike."}', CLASSES)
    assert answer.label == "bicycle" and answer.structured
    assert "not one of the classes" in answer.problem


def test_malformed_json_falls_back_to_free_text_and_is_flagged():
    answer = parse_answer('{"label": "car", "description": "unterminated', CLASSES)
    assert not answer.structured
    assert answer.description.startswith('{"label"')
    assert answer.problem is not None and "not JSON" in answer.problem


def test_prose_naming_one_class_gives_that_label_flagged_as_not_json():
    answer = parse_answer("This is clearly a car parked by the road.", CLASSES)
    assert answer.label == "car" and not answer.structured
    assert "not JSON" in answer.problem and "'car'" in answer.problem


def test_prose_naming_no_class_keeps_its_first_sentence_as_label_and_is_flagged():
    answer = parse_answer("A small brown dog. It sits on grass.", CLASSES)
    assert answer.label == "A small brown dog"
    assert answer.description == "A small brown dog. It sits on grass."
    assert "names none of the classes" in answer.problem


def test_free_text_without_classes_is_the_expected_answer_and_not_flagged():
    answer = parse_answer("A red disc on a grey background.", [])
    assert answer == type(answer)("A red disc on a grey background", "A red disc on a grey background.", False, None)


def test_an_empty_answer_is_flagged():
    answer = parse_answer("   ", CLASSES)
    assert answer.label is None and answer.problem == "the model gave an empty answer"


def test_json_without_a_label_looks_for_a_class_in_its_description():
    answer = parse_answer('{"description": "A tree with red leaves."}', CLASSES)
    assert answer.label == "tree" and "no \"label\"" in answer.problem


def test_extract_json_object_skips_braces_that_are_not_json():
    assert extract_json_object('set {a, b} then {"label": "car"}') == {"label": "car"}
    assert extract_json_object("no json here") is None


def test_short_label_cuts_long_sentences():
    label = short_label("x" * 100)
    assert len(label) == 60 and label.endswith("…")
