"""Bulk loading of an empty SQLite R*Tree (Sort-Tile-Recursive packing), for large imports.

Inserting a million boxes into SQLite's R*Tree one by one (from its trigger, or from one
INSERT … SELECT) costs more than storing the rows themselves. When the tree is empty, this
module packs it in one pass instead — the approach GDAL takes for GeoPackage indexes — by
writing SQLite's own node format into the tree's shadow tables (``%_node``, ``%_rowid``,
``%_parent``). SQLite's ``rtreecheck()`` accepts the result, and later inserts, updates and
deletes go through the ordinary R*Tree code.

Node format (sqlite/ext/rtree): a node is ``size`` bytes: a 2-byte big-endian depth (root
only), a 2-byte cell count, then cells of an 8-byte big-endian rowid (or child node number)
and, per dimension, a 4-byte big-endian float32 min and max. Coordinates are rounded
outwards to float32, as SQLite itself does.
"""

from __future__ import annotations

import math

import numpy as np
from sqlalchemy import Connection

CELL = np.dtype([("id", ">i8"), ("box", ">f4", (4,))])  # minx, maxx, miny, maxy


def _outward(values: np.ndarray, down: bool) -> np.ndarray:
    f = values.astype(np.float32)
    if down:
        wrong = f.astype(np.float64) > values
        f[wrong] = np.nextafter(f[wrong], np.float32(-np.inf))
    else:
        wrong = f.astype(np.float64) < values
        f[wrong] = np.nextafter(f[wrong], np.float32(np.inf))
    return f


def _str_order(boxes: np.ndarray, capacity: int) -> np.ndarray:
    """Sort-Tile-Recursive order of boxes (n × [minx, maxx, miny, maxy]) into runs of ``capacity``."""
    n = len(boxes)
    cx = (boxes[:, 0].astype(np.float64) + boxes[:, 1]) / 2
    cy = (boxes[:, 2].astype(np.float64) + boxes[:, 3]) / 2
    leaves = math.ceil(n / capacity)
    slices = max(1, math.ceil(math.sqrt(leaves)))
    per_slice = slices * capacity
    by_x = np.argsort(cx, kind="stable")
    slice_of = np.empty(n, dtype=np.int64)
    slice_of[by_x] = np.arange(n) // per_slice
    return np.lexsort((cy, slice_of))


def is_empty(conn: Connection, table: str) -> bool:
    return conn.exec_driver_sql(f"SELECT count(*) FROM {table}_rowid").scalar() == 0


def bulk_load(conn: Connection, table: str, ids: np.ndarray, bounds: np.ndarray) -> None:
    """Pack boxes into the empty R*Tree ``table``. ``bounds`` rows are (minx, miny, maxx, maxy)."""
    if len(ids) == 0:
        return
    if not is_empty(conn, table):
        raise ValueError(f"{table} is not empty: bulk loading packs an empty tree only")
    size = int(conn.exec_driver_sql(f"SELECT length(data) FROM {table}_node WHERE nodeno = 1").scalar_one())
    capacity = (size - 4) // CELL.itemsize
    boxes = np.column_stack(
        [
            _outward(bounds[:, 0], down=True),
            _outward(bounds[:, 2], down=False),
            _outward(bounds[:, 1], down=True),
            _outward(bounds[:, 3], down=False),
        ]
    )
    entries = np.asarray(ids, dtype=np.int64)
    next_node = 2
    rowid_rows: list[tuple[int, int]] = []
    parent_rows: list[tuple[int, int]] = []
    node_rows: list[tuple[int, bytes]] = []
    depth = 0
    while True:
        root_level = len(entries) <= capacity
        order = np.arange(len(entries)) if root_level else _str_order(boxes, capacity)
        cells = np.empty(len(entries), dtype=CELL)
        cells["id"] = entries[order]
        cells["box"] = boxes[order]
        starts = np.arange(0, len(entries), capacity)
        numbers = np.array([1]) if root_level else np.arange(next_node, next_node + len(starts))
        next_node += 0 if root_level else len(starts)
        # children point at their parent node
        owner = np.repeat(numbers, np.diff(np.append(starts, len(entries))))
        if depth == 0:
            rowid_rows = list(zip(cells["id"].tolist(), owner.tolist(), strict=True))
        else:
            parent_rows += list(zip(cells["id"].tolist(), owner.tolist(), strict=True))
        for k, start in enumerate(starts.tolist()):
            chunk = cells[start : start + capacity]
            header = (depth if root_level else 0).to_bytes(2, "big") + len(chunk).to_bytes(2, "big")
            blob = header + chunk.tobytes()
            node_rows.append((int(numbers[k]), blob + bytes(size - len(blob))))
        if root_level:
            break
        # the next level up: one entry per node, its box the union of its cells
        box = cells["box"].astype(np.float32)
        entries = numbers
        boxes = np.column_stack(
            [
                np.minimum.reduceat(box[:, 0], starts),
                np.maximum.reduceat(box[:, 1], starts),
                np.minimum.reduceat(box[:, 2], starts),
                np.maximum.reduceat(box[:, 3], starts),
            ]
        )
        depth += 1
    conn.exec_driver_sql(f"DELETE FROM {table}_node WHERE nodeno = 1")
    conn.exec_driver_sql(f"INSERT INTO {table}_node (nodeno, data) VALUES (?, ?)", node_rows)
    conn.exec_driver_sql(f"INSERT INTO {table}_rowid (rowid, nodeno) VALUES (?, ?)", rowid_rows)
    if parent_rows:
        conn.exec_driver_sql(f"INSERT INTO {table}_parent (nodeno, parentnode) VALUES (?, ?)", parent_rows)
