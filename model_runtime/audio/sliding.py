"""Streaming building blocks: sliding-window reductions and first-in-first-out row buffers.

Each stage of the front end is written once, as a stream; the whole-file result is the same stream
fed in large blocks, so streamed and whole-file features agree by construction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

Reducer = Callable[..., Any]


class SlidingWindow:
    """Output ``k`` = ``reduce(x[k - before : k + after + 1])`` over a stream of values.

    Positions before the first and after the last input read ``pad``. Output ``k`` comes out as
    soon as input ``k + after`` has arrived (a look-ahead of ``after`` values); ``finish`` pads the
    end and returns the outputs still owed, so exactly one output comes out per input.
    """

    def __init__(self, before: int, after: int, pad: float | bool, reduce: Reducer, dtype: type = np.float64) -> None:
        self.before = before
        self.after = after
        self.pad = pad
        self.reduce = reduce
        self.dtype = dtype
        self.history: NDArray[Any] = np.full(before, pad, dtype=dtype)

    def push(self, values: NDArray[Any]) -> NDArray[Any]:
        data = np.concatenate([self.history, np.asarray(values, dtype=self.dtype)])
        width = self.before + self.after + 1
        ready = len(data) - width + 1
        if ready <= 0:
            self.history = data
            return np.zeros(0, dtype=self.dtype)
        extreme = _EXTREMES.get(self.reduce)
        if extreme is not None and width > 8:
            out: NDArray[Any] = _sliding_extreme(data, width, extreme)
        else:
            out = np.asarray(self.reduce(sliding_window_view(data, width), axis=1), dtype=self.dtype)
        self.history = data[ready:]
        return out

    def finish(self) -> NDArray[Any]:
        return self.push(np.full(self.after, self.pad, dtype=self.dtype))


_EXTREMES: dict[Any, np.ufunc] = {np.max: np.maximum, np.min: np.minimum}


def _sliding_extreme(data: NDArray[Any], width: int, ufunc: np.ufunc) -> NDArray[Any]:
    """Sliding max/min in O(n) (van Herk / Gil-Werman): block prefix and suffix extremes."""
    n_out = len(data) - width + 1
    fill = -np.inf if ufunc is np.maximum else np.inf
    blocks = np.concatenate([data, np.full(-len(data) % width, fill, dtype=data.dtype)]).reshape(-1, width)
    prefix = ufunc.accumulate(blocks, axis=1).ravel()
    suffix = ufunc.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    result: NDArray[Any] = ufunc(suffix[:n_out], prefix[width - 1 : width - 1 + n_out])
    return result


class RowQueue:
    """First-in-first-out buffer of rows (1-D values or 2-D rows) for aligning streams of different delay."""

    def __init__(self, empty: NDArray[Any]) -> None:
        self.empty = empty  # zero rows of the right dtype and row shape
        self.parts: list[NDArray[Any]] = []
        self.size = 0

    def put(self, rows: NDArray[Any]) -> None:
        if len(rows):
            self.parts.append(rows)
            self.size += len(rows)

    def take(self, n: int) -> NDArray[Any]:
        if not self.parts:
            return self.empty
        data = np.concatenate(self.parts) if len(self.parts) > 1 else self.parts[0]
        head, tail = data[:n], data[n:]
        self.parts = [tail] if len(tail) else []
        self.size = len(tail)
        return head


def take_aligned(*queues: RowQueue) -> list[NDArray[Any]]:
    """Take the rows that every queue has (the same count from each)."""
    n = min(q.size for q in queues)
    return [q.take(n) for q in queues]


def majority(windows: NDArray[np.bool_], axis: int) -> NDArray[np.bool_]:
    """True where more than half of each window is True (a median filter for booleans)."""
    return np.asarray(np.count_nonzero(windows, axis=axis) * 2 > windows.shape[axis])
