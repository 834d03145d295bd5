"""Deterministic rollout: a stable hash of the order uid picks the bucket, so a retried order
takes the same path in every process (Python's hash() is salted per process; sha256 is not)."""

from __future__ import annotations

import hashlib


def bucket(uid: str) -> int:
    """The uid's rollout bucket, in [0, 100)."""
    return int.from_bytes(hashlib.sha256(uid.encode()).digest()[:8], "big") % 100


def choose_path(uid: object, use_native: bool, rollout_percentage: int) -> str:
    """"native" iff the flag is on and the uid's bucket is inside the rollout."""
    if use_native and isinstance(uid, str) and bucket(uid) < rollout_percentage:
        return "native"
    return "legacy"
