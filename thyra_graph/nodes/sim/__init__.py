"""Simulation nodes: ocean-wave continuation (initial state from an image, a Taichi wave
solver with obstacles and absorbing boundaries, rendering the result to video).

The discretisation is described once, in NumPy (:mod:`.wave_grid`); the Taichi solver
(:mod:`.wave_solver`) and the float64 NumPy reference (:mod:`.wave_reference`) step the same
arrays with the same scheme, so tests can hold one against the other.
"""
