"""Columns and rows in numpy arrays: how every part of the model is written down.

Columns are allocated in blocks (one per device quantity), rows are collected as fixed-width
groups of (column, value) pairs and concatenated into one row-wise sparse matrix, which is
handed to HiGHS with a single ``passModel`` (see ``model.py``), without a modelling layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .problem import FloatArray

type IntArray = NDArray[np.int64]


class Builder:
    """Column blocks and row groups in numpy arrays."""

    def __init__(self) -> None:
        self.ncol = 0
        self._lb: list[FloatArray] = []
        self._ub: list[FloatArray] = []
        self._obj: dict[str, list[tuple[IntArray, FloatArray]]] = {}
        self._rows_cols: list[IntArray] = []
        self._rows_vals: list[FloatArray] = []
        self._rows_len: list[IntArray] = []
        self._rows_lo: list[FloatArray] = []
        self._rows_hi: list[FloatArray] = []
        self.nrow = 0

    def cols(self, n: int, lb: float | FloatArray, ub: float | FloatArray) -> IntArray:
        """``n`` new columns with these bounds; returns their indices."""
        idx = np.arange(self.ncol, self.ncol + n, dtype=np.int64)
        self._lb.append(np.broadcast_to(np.asarray(lb, dtype=np.float64), (n,)))
        self._ub.append(np.broadcast_to(np.asarray(ub, dtype=np.float64), (n,)))
        self.ncol += n
        return idx

    def objective(self, key: str, idx: IntArray, coef: float | FloatArray) -> None:
        """Add ``coef * x[idx]`` to the objective of rung ``key``."""
        c = np.broadcast_to(np.asarray(coef, dtype=np.float64), idx.shape)
        self._obj.setdefault(key, []).append((idx, c))

    def rows(
        self,
        cols: list[IntArray],
        vals: list[float | FloatArray],
        lo: float | FloatArray,
        hi: float | FloatArray,
    ) -> IntArray:
        """Add ``m`` rows ``lo <= sum_k vals[k][i]*x[cols[k][i]] <= hi`` (all of length m)."""
        m = len(cols[0])
        c2 = np.stack(cols, axis=1)
        v2 = np.stack([np.broadcast_to(np.asarray(v, dtype=np.float64), (m,)) for v in vals], 1)
        self._rows_cols.append(c2.reshape(-1))
        self._rows_vals.append(v2.reshape(-1))
        self._rows_len.append(np.full(m, len(cols), dtype=np.int64))
        self._rows_lo.append(np.broadcast_to(np.asarray(lo, dtype=np.float64), (m,)))
        self._rows_hi.append(np.broadcast_to(np.asarray(hi, dtype=np.float64), (m,)))
        idx = np.arange(self.nrow, self.nrow + m, dtype=np.int64)
        self.nrow += m
        return idx

    def row(self, cols: IntArray, vals: FloatArray, lo: float, hi: float) -> int:
        """One row ``lo <= vals @ x[cols] <= hi`` of any width."""
        self._rows_cols.append(np.asarray(cols, dtype=np.int64))
        self._rows_vals.append(np.asarray(vals, dtype=np.float64))
        self._rows_len.append(np.array([len(cols)], dtype=np.int64))
        self._rows_lo.append(np.array([lo]))
        self._rows_hi.append(np.array([hi]))
        self.nrow += 1
        return self.nrow - 1

    def sparse_rows(
        self,
        lengths: IntArray,
        cols: IntArray,
        vals: FloatArray,
        lo: float | FloatArray,
        hi: float | FloatArray,
    ) -> IntArray:
        """Add ``len(lengths)`` rows of any widths at once: row ``i`` is the next
        ``lengths[i]`` pairs of ``cols``/``vals``, bounded by ``lo``/``hi``."""
        m = len(lengths)
        self._rows_cols.append(np.asarray(cols, dtype=np.int64))
        self._rows_vals.append(np.asarray(vals, dtype=np.float64))
        self._rows_len.append(np.asarray(lengths, dtype=np.int64))
        self._rows_lo.append(np.broadcast_to(np.asarray(lo, dtype=np.float64), (m,)))
        self._rows_hi.append(np.broadcast_to(np.asarray(hi, dtype=np.float64), (m,)))
        idx = np.arange(self.nrow, self.nrow + m, dtype=np.int64)
        self.nrow += m
        return idx

    def finish(self) -> BaseModel:
        obj: dict[str, FloatArray] = {}
        for key, parts in self._obj.items():
            vec = np.zeros(self.ncol)
            for idx, c in parts:
                np.add.at(vec, idx, c)
            obj[key] = vec
        lens = np.concatenate(self._rows_len) if self._rows_len else np.zeros(0, np.int64)
        start = np.zeros(self.nrow + 1, dtype=np.int64)
        np.cumsum(lens, out=start[1:])
        return BaseModel(
            ncol=self.ncol,
            col_lower=np.concatenate(self._lb),
            col_upper=np.concatenate(self._ub),
            objectives=obj,
            row_start=start,
            row_index=np.concatenate(self._rows_cols),
            row_value=np.concatenate(self._rows_vals),
            row_lower=np.concatenate(self._rows_lo),
            row_upper=np.concatenate(self._rows_hi),
        )


@dataclass
class BaseModel:
    """The continuous model (no binaries) in row-wise sparse form."""

    ncol: int
    col_lower: FloatArray
    col_upper: FloatArray
    objectives: dict[str, FloatArray]
    row_start: IntArray
    row_index: IntArray
    row_value: FloatArray
    row_lower: FloatArray
    row_upper: FloatArray

    def objective(self, key: str) -> FloatArray:
        return self.objectives.get(key, np.zeros(self.ncol))
