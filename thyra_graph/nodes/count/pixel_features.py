"""Multi-scale pixel features for learning to count: what a density regressor sees at each pixel.

The filter bank of ilastik's pixel classification and density counting (and of Lempitsky &
Zisserman's dense features), at each scale sigma: Gaussian smoothing, gradient magnitude,
Laplacian of Gaussian, the two Hessian eigenvalues and the two structure-tensor eigenvalues.
Derivatives are scale-normalised (times sigma per order) so a feature reads the same for an
object of twice the size at twice the scale. The image is first flattened (a Gaussian four
times the largest scale wide is subtracted), so a brighter sky or a vignetted corner on the
next image does not read as objects. OpenCV does the filtering; scikit-image the eigenvalues.

The settings (the scales, the feature names in order) travel with a trained model, so applying
it computes exactly the features it was trained on.
"""

from __future__ import annotations

import numpy as np

#: The flattening background's width, in multiples of the largest scale.
BACKGROUND_FACTOR = 4.0
#: Per scale, in this order; a model records the list it was trained with.
FEATURES_PER_SCALE = ("gaussian", "gradient", "laplacian", "hessian_high", "hessian_low",
                      "structure_high", "structure_low")


def scales_up_to(max_sigma: float, *, min_sigma: float = 0.7) -> list[float]:
    """Scales from ``min_sigma`` doubling up to ``max_sigma`` (both ends included)."""
    scales = [min_sigma]
    while scales[-1] * 2.0 < max_sigma * 1.001:
        scales.append(scales[-1] * 2.0)
    if scales[-1] < max_sigma * 0.999:
        scales.append(float(max_sigma))
    return [round(s, 4) for s in scales]


def feature_names(sigmas: list[float]) -> list[str]:
    return [f"{name}@{sigma:g}" for sigma in sigmas for name in FEATURES_PER_SCALE]


def pixel_features(grey: np.ndarray, sigmas: list[float], *, background: float = BACKGROUND_FACTOR) -> np.ndarray:
    """An F×(H·W) float32 array: one plane per feature, each the H×W 0-1 grey image's pixels row-major.

    ``background``: the flattening Gaussian's width in multiples of the largest scale.
    """
    import cv2
    from skimage.feature import hessian_matrix_eigvals, structure_tensor_eigenvalues

    grey = np.ascontiguousarray(grey, dtype=np.float32)
    grey = grey - cv2.GaussianBlur(grey, (0, 0), background * max(sigmas), borderType=cv2.BORDER_REFLECT)
    height, width = grey.shape
    out = np.empty((len(sigmas) * len(FEATURES_PER_SCALE), height * width), np.float32)
    column = 0

    def put(values: np.ndarray) -> None:
        nonlocal column
        out[column] = values.reshape(-1)
        column += 1

    # The structure tensor's gradients are taken at a fixed fine scale, then averaged over sigma.
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REFLECT) / np.float32(8.0)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REFLECT) / np.float32(8.0)
    products = (gx * gx, gx * gy, gy * gy)
    for sigma in sigmas:
        smooth = cv2.GaussianBlur(grey, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
        # Sobel on a Gaussian-smoothed image is a derivative of Gaussian; ksize 3 weights sum to 8.
        dx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REFLECT) / np.float32(8.0)
        dy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REFLECT) / np.float32(8.0)
        dxx = cv2.Sobel(dx, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REFLECT) / np.float32(8.0)
        dxy = cv2.Sobel(dx, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REFLECT) / np.float32(8.0)
        dyy = cv2.Sobel(dy, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REFLECT) / np.float32(8.0)
        first, second = np.float32(sigma), np.float32(sigma * sigma)
        put(smooth)
        put(np.sqrt(dx * dx + dy * dy) * first)
        put((dxx + dyy) * second)
        for eigen in hessian_matrix_eigvals([dxx * second, dxy * second, dyy * second]):
            put(eigen)
        tensor = [cv2.GaussianBlur(product, (0, 0), sigma, borderType=cv2.BORDER_REFLECT) for product in products]
        for eigen in structure_tensor_eigenvalues(np.stack(tensor)):
            put(np.sqrt(np.maximum(eigen, 0.0)))
    return out


def on_grid(planes: np.ndarray, shape: tuple[int, int], stride: int) -> np.ndarray:
    """The feature planes at every ``stride``-th pixel both ways (from the middle of each
    stride × stride cell), as an F×(h·w) array; ``grid_shape`` gives (h, w)."""
    if stride == 1:
        return planes
    offset = stride // 2
    return np.ascontiguousarray(planes.reshape(-1, *shape)[:, offset::stride, offset::stride]).reshape(len(planes), -1)


def reach(sigmas: list[float], background: float = BACKGROUND_FACTOR) -> int:
    """How many pixels away a feature still depends on the image: OpenCV cuts float Gaussians at
    4 sigma, and the derivative filters add two pixels each way."""
    return int(np.ceil(4.0 * (background + 1.0) * max(sigmas))) + 4


def grid_shape(shape: tuple[int, int], stride: int) -> tuple[int, int]:
    offset = stride // 2
    return len(range(offset, shape[0], stride)), len(range(offset, shape[1], stride))
