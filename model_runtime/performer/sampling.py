"""Random draws whose running averages settle fast, so a minute of motion shows its style.

Plain independent draws let a 60-s clip's blink count or mean look-away length wander by 10-20%
from the style asked for. Quantiles taken along a golden-ratio sequence (with a random start)
are spread evenly over (0, 1), so sample means converge like 1/n instead of 1/sqrt(n), while each
draw still looks random. Event times stay genuinely random; only sizes and shares are spread.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


class SpreadUniform:
    """Uniforms in (0, 1) along a golden-ratio sequence with a random start: call it for the next n."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._state = float(rng.random())

    def __call__(self, n: int) -> NDArray[np.float64]:
        steps = self._state + _GOLDEN * np.arange(1, n + 1)
        self._state = float(steps[-1] % 1.0) if n else self._state
        out: NDArray[np.float64] = np.clip(steps % 1.0, 1e-6, 1.0 - 1e-6)
        return out


def gamma_quantile(u: NDArray[np.float64], shape: float) -> NDArray[np.float64]:
    """Quantiles of the unit-mean gamma distribution with integer-ish ``shape`` (Wilson-Hilferty).

    Accurate to a few percent for shape >= 2, which is all the performer uses; numpy has no
    inverse gamma CDF and scipy is not a runtime dependency.
    """
    z = _normal_quantile(u)
    c = 1.0 / (9.0 * shape)
    out: NDArray[np.float64] = np.maximum(1.0 - c + z * math.sqrt(c), 0.05) ** 3
    norm = np.maximum(1.0 - c + _normal_quantile(_GRID) * math.sqrt(c), 0.05) ** 3
    return out / float(np.mean(norm))


def _normal_quantile(u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9)."""
    a = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02, 1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
    b = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02, 6.680131188771972e01, -1.328068155288572e01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00, -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
    u = np.clip(np.asarray(u, dtype=np.float64), 1e-12, 1.0 - 1e-12)
    low = u < 0.02425
    high = u > 1.0 - 0.02425
    out = np.empty_like(u)
    mid = ~(low | high)
    q = u[mid] - 0.5
    r = q * q
    out[mid] = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (
        ((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0
    )
    for mask, sign in ((low, 1.0), (high, -1.0)):
        tail = u[mask] if sign > 0 else 1.0 - u[mask]
        q = np.sqrt(-2.0 * np.log(tail))
        out[mask] = sign * (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0
        )
    return out


# Fine grid used to renormalise gamma_quantile to mean exactly 1.
_GRID: Final[NDArray[np.float64]] = (np.arange(4000, dtype=np.float64) + 0.5) / 4000.0


def stochastic_round(x: float, rng: np.random.Generator) -> int:
    """floor(x) or ceil(x), with the chance of ceil equal to the fraction, so counts are unbiased."""
    base = math.floor(x)
    return int(base + (rng.random() < x - base))
