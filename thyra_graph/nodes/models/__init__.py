"""Shared model plumbing for learned nodes: where weights come from and which device runs them."""
