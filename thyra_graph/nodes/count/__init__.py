"""Counting nodes: tiny objects by blob detection, clumps, density maps, tiles, networks, video.

The classical counters share one detector (``scale_space`` + ``resolve``), run on a
background-flattened image (``background``) with thresholds in units of the image's own
local noise, so the same defaults work on stars, birds, cars and cells once the expected
object size range is given.
"""
