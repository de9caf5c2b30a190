"""Segmentation nodes: SAM 2 from prompts, sweeping, video propagation, tiling, crops."""
