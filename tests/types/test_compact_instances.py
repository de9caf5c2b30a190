"""A FrameSeries of Instances built with InstancesSeriesBuilder keeps masks run-length encoded:
it reads back exactly what went in, survives the disk-cache record, and stays small."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from thyra_graph.types import FrameSeries, Instances
from thyra_graph.types.compact_instances import CompactInstanceFrames, decode_masks, encode_masks
from thyra_graph.types.series import InstancesSeriesBuilder


def moving_disc_frames(count: int, height: int = 90, width: int = 160):
    yy, xx = np.ogrid[:height, :width]
    for i in range(count):
        disc = (yy - 45) ** 2 + (xx - (20 + 3 * i)) ** 2 <= 15 ** 2
        bar = np.zeros((height, width), bool)
        bar[5:10, i:i + 40] = True
        yield Instances(np.stack([disc, bar]), class_ids=[1, 2], scores=[0.9, 0.5 + i / 100],
                        labels=["ball", "bar"], classes={1: "ball", 2: "bar"},
                        extra=[{"object": 1}, {"object": 2, "frame": i}])


def build(count: int) -> tuple[FrameSeries, list[Instances]]:
    originals = list(moving_disc_frames(count))
    builder = InstancesSeriesBuilder(90, 160)
    for i, instances in enumerate(originals):
        builder.append(2 * i, 2 * i / 25.0, instances)
    return builder.finish(), originals


def test_rle_round_trip_is_exact_including_edge_pixels():
    rng = np.random.default_rng(0)
    masks = rng.random((3, 17, 23)) > 0.6
    masks[0, :, -1] = True
    masks[1, -1, :] = True
    assert np.array_equal(decode_masks(encode_masks(masks), 17, 23), masks)
    assert decode_masks([], 17, 23).shape == (0, 17, 23)


def test_compact_series_reads_back_every_frame_exactly(same):
    series, originals = build(12)
    series.validate()
    assert isinstance(series.items, CompactInstanceFrames)
    assert series.item_type is Instances
    assert list(series.frames) == list(range(0, 24, 2))
    for (frame, time, item), original in zip(series, originals):
        same(item, original)
    same(series.at(4), originals[2])
    same(series.items[-1], originals[-1])


def test_compact_series_survives_the_disk_cache_record(roundtrip, same):
    series, originals = build(5)
    decoded = roundtrip(series)
    assert isinstance(decoded.items, CompactInstanceFrames)
    for (_, _, item), original in zip(decoded, originals):
        same(item, original)
    assert np.array_equal(decoded.times, series.times)


def test_compact_series_is_far_smaller_than_plain_masks():
    series, originals = build(40)
    plain = sum(item.masks.nbytes for item in originals)
    assert series.nbytes() * 20 < plain


def test_select_keeps_frames_compact_and_in_order(same):
    series, originals = build(6)
    picked = series.select([0, 3, 5])
    assert isinstance(picked.items, CompactInstanceFrames)
    assert list(picked.frames) == [0, 6, 10]
    same(picked.items[1], originals[3])
    picked.validate()


def test_frames_must_arrive_in_order_and_at_the_video_size():
    builder = InstancesSeriesBuilder(90, 160)
    first = next(moving_disc_frames(1))
    builder.append(3, 0.1, first)
    with pytest.raises(ValueError, match="video order"):
        builder.append(3, 0.1, first)
    with pytest.raises(ValueError, match="video's size"):
        builder.append(4, 0.2, Instances.empty(10, 10))


def test_empty_frames_and_empty_series_are_fine(roundtrip):
    builder = InstancesSeriesBuilder(8, 8)
    builder.append(0, 0.0, Instances.empty(8, 8))
    series = builder.finish()
    series.validate()
    assert len(series.items[0]) == 0
    assert len(roundtrip(series).items[0]) == 0
    empty = InstancesSeriesBuilder(8, 8).finish()
    empty.validate()
    assert len(roundtrip(empty)) == 0



@settings(max_examples=60, deadline=None)
@given(arrays(bool, st.tuples(st.integers(0, 4), st.integers(1, 17), st.integers(1, 23))))
def test_any_masks_survive_encoding(masks):
    assert np.array_equal(decode_masks(encode_masks(masks), *masks.shape[1:]), masks)
