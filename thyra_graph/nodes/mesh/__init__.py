"""Mesh nodes (Open3D): surface reconstruction and simplification."""
