"""The batch plan: placeholders filled per input, collisions refused before anything runs."""

from __future__ import annotations

import pytest
from batch.helpers import graph_of

from thyra_graph.batch import BatchError, BatchInput, plan_batch, read_inputs


def test_placeholders_are_filled_from_each_input_file(batchkit, tmp_path):
    for scene in ("s1", "s2"):
        (tmp_path / "data" / scene).mkdir(parents=True)
        (tmp_path / "data" / scene / "cars.txt").write_text("x")
    graph = graph_of(batchkit, tmp_path, "batchkit.modelled", "out/{relpath}-{parent}-{name}-{index}.txt")
    inputs = read_inputs(str(tmp_path / "data" / "**" / "*.txt"), bind="work.path")
    jobs = plan_batch(graph, inputs)
    assert [job.values["work.out"] for job in jobs] == ["out/s1/cars-s1-cars.txt-0.txt", "out/s2/cars-s2-cars.txt-1.txt"]
    assert jobs[0].writes == (str(tmp_path / "out" / "s1" / "cars-s1-cars.txt-0.txt"),)


def test_two_inputs_writing_one_file_are_refused_naming_both(batchkit, tmp_path):
    graph = graph_of(batchkit, tmp_path, "batchkit.modelled", "out/{stem}.txt")
    inputs = [BatchInput(label=f"{scene}/cars.txt", values={"work.path": str(tmp_path / scene / "cars.txt")},
                         file=str(tmp_path / scene / "cars.txt")) for scene in ("s1", "s2")]
    with pytest.raises(BatchError, match=r"'s1/cars.txt' and 's2/cars.txt'.*\{relpath\}"):
        plan_batch(graph, inputs)


def test_relpath_never_climbs_out_of_the_output_folder(batchkit, tmp_path):
    graph = graph_of(batchkit, tmp_path, "batchkit.modelled", "out/{relpath}.txt")
    outside = BatchInput(label="row", values={"work.path": "../elsewhere/a.txt"}, root=str(tmp_path / "rows"))
    with pytest.raises(BatchError, match="not below"):
        plan_batch(graph, [outside])
