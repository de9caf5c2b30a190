"""Reading a water surface off an image: brightness → height, and which way it moves.

All filters work in the Fourier domain on a mirror-padded copy (an image is not periodic; the
mirror keeps its edges from wrapping around into each other). Wavenumbers are in cycles per
metre, directions in degrees in image axes (0 = right, 90 = down the image).
"""

from __future__ import annotations

import math

import numpy as np


def luminance(data: np.ndarray) -> np.ndarray:
    """Brightness 0–1 of an RGB/grey image, uint8 or float."""
    array = np.asarray(data)
    scale = 255.0 if array.dtype == np.uint8 else 1.0
    array = array.astype(np.float64) / scale
    if array.ndim == 3:
        channels = array[..., :3] if array.shape[2] >= 3 else np.repeat(array[..., :1], 3, axis=2)
        array = channels @ np.array([0.299, 0.587, 0.114])
    return array


def resize(array: np.ndarray, shape: tuple[int, int], *, nearest: bool = False) -> np.ndarray:
    """``array`` resampled to ``shape`` (rows, cols): area-averaged when shrinking."""
    import cv2

    rows, cols = shape
    if array.shape[:2] == (rows, cols):
        return array
    if nearest:
        method = cv2.INTER_NEAREST
    else:
        method = cv2.INTER_AREA if rows < array.shape[0] else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(array), (cols, rows), interpolation=method)


def _spectrum(values: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    rows, cols = values.shape
    padded = np.pad(values, ((0, rows), (0, cols)), mode="symmetric")
    return np.fft.rfft2(padded), (2 * rows, 2 * cols)


def _wavenumbers(full: tuple[int, int], dx: float, dy: float) -> tuple[np.ndarray, np.ndarray]:
    ky = np.fft.fftfreq(full[0], d=dy)[:, None]
    kx = np.fft.rfftfreq(full[1], d=dx)[None, :]
    return kx, ky


def band_pass(values: np.ndarray, *, dx: float, dy: float, min_wavelength: float,
              max_wavelength: float) -> np.ndarray:
    """Keep undulations between ``min_wavelength`` and ``max_wavelength`` metres.

    Removes what is not waves: the overall brightness and slow shading gradients (longer than
    ``max_wavelength``) and pixel noise and texture (shorter than ``min_wavelength``).
    """
    spectrum, full = _spectrum(values - values.mean())
    kx, ky = _wavenumbers(full, dx, dy)
    k = np.hypot(kx, ky)
    low, high = 1.0 / max_wavelength, 1.0 / min_wavelength
    gain = (1.0 - np.exp(-(k / low) ** 4)) * np.exp(-(k / high) ** 4)
    return np.fft.irfft2(spectrum * gain, s=full)[: values.shape[0], : values.shape[1]]


def height_from_shading(values: np.ndarray, *, dx: float, dy: float, light_azimuth: float,
                        max_wavelength: float) -> np.ndarray:
    """Height whose slopes explain the shading: a surface lit from ``light_azimuth`` is brighter
    where it faces the light, ``I ≈ −∇h · l``; integrated along the light in Fourier space.

    Components running along the light (k ⊥ l) leave no shading and cannot be recovered.
    """
    spectrum, full = _spectrum(values - values.mean())
    kx, ky = _wavenumbers(full, dx, dy)
    angle = math.radians(light_azimuth)
    along = 2.0 * math.pi * (kx * math.cos(angle) + ky * math.sin(angle))
    # −i K·l ĥ = Î  →  ĥ = i Î / (K·l), regularised where K·l → 0.
    eps = 2.0 * math.pi / max_wavelength
    height_hat = 1j * spectrum * along / (along ** 2 + eps ** 2)
    return np.fft.irfft2(height_hat, s=full)[: values.shape[0], : values.shape[1]]


def one_way_velocity(height: np.ndarray, speed: np.ndarray, *, dx: float, dy: float,
                     direction: float, margin: int) -> np.ndarray:
    """Vertical velocity that makes every wave of ``height`` travel toward ``direction``.

    For a wave ``cos(K·x − ωt)`` moving along ``d`` (K·d > 0), ``u_t = −i c|K| sign(K·d) û``
    per Fourier component; the local speed ``c(x)`` scales the result (exact for uniform depth).
    The transform needs a periodic field, and mirroring the image would turn waves around, so
    the height is tapered to zero over ``margin`` cells at the edges and zero-padded. Within
    ``2·margin`` of an edge the result hands over to the local one-way rule ``u_t = −c ∂u/∂s``
    (exact for waves along ``d``, off by ``1 − cos φ`` for waves at ``φ`` from it).
    """
    rows, cols = height.shape
    margin = max(1, margin)
    taper = _edge_ramp(rows, margin, 0)[:, None] * _edge_ramp(cols, margin, 0)[None, :]
    padded = np.pad(height * taper, margin)
    spectrum = np.fft.rfft2(padded)
    kx, ky = _wavenumbers(padded.shape, dx, dy)
    angle = math.radians(direction)
    along = kx * math.cos(angle) + ky * math.sin(angle)
    rate_hat = -1j * 2.0 * math.pi * np.hypot(kx, ky) * np.sign(along) * spectrum
    rate = np.fft.irfft2(rate_hat, s=padded.shape)[margin:-margin, margin:-margin]
    gy, gx = np.gradient(height, dy, dx)
    local = -(math.cos(angle) * gx + math.sin(angle) * gy)
    blend = _edge_ramp(rows, margin, margin)[:, None] * _edge_ramp(cols, margin, margin)[None, :]
    return speed * (blend * rate + (1.0 - blend) * local)


def _edge_ramp(n: int, width: int, start: int) -> np.ndarray:
    """0 within ``start`` cells of either end, rising (sin²) to 1 over the next ``width``."""
    distance = np.minimum(np.arange(n) + 0.5, n - np.arange(n) - 0.5) - start
    return np.sin(0.5 * math.pi * np.clip(distance / width, 0.0, 1.0)) ** 2


def wave_speed(depth: np.ndarray, *, model: str, wavelength: float, gravity: float) -> np.ndarray:
    """Phase speed of water waves over ``depth`` metres.

    ``shallow``: √(g·h), exact for waves much longer than the depth. ``dispersive``: the full
    linear dispersion relation ``c = √(g/k · tanh(k h))`` at one ``wavelength`` (a monochromatic
    approximation: deep-water waves of that length travel at the right speed).
    """
    depth = np.maximum(depth, 0.0)
    if model == "shallow":
        return np.sqrt(gravity * depth)
    k = 2.0 * math.pi / wavelength
    return np.sqrt(gravity / k * np.tanh(k * depth))
