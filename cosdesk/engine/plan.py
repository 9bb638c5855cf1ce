"""Deciding how a file is sent: PUT Object, multipart (and with which part size),
or APPEND; and cutting it into parts.

COS limits (see ARCHITECTURE.md, 'Limits'): PUT Object at most 5 GB; parts numbered 1..10,000,
each at least 1 MB (except the last) and at most 5 GB.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cosdesk.engine.options import (
    ADAPTIVE_MAX_PART_SIZE,
    ADAPTIVE_PART_COUNT,
    MIN_SLICE_SIZE,
    UploadMethodChoice,
    UploadOptions,
)
from cosdesk.engine.task import UploadMethod

MiB = 1024 * 1024
GB = 1000**3
MAX_PUT_SIZE = 5 * GB
MAX_PARTS = 10_000
MIN_PART_SIZE = MIN_SLICE_SIZE
MAX_PART_SIZE = 5 * GB
MAX_OBJECT_SIZE = MAX_PARTS * MAX_PART_SIZE
# One APPEND request carries at most this much (COS: 5 GB per append).
MAX_APPEND_SIZE = 5 * GB


class PlanError(ValueError):
    """The file cannot be uploaded to COS as asked (too large, bad sizes)."""


@dataclass(frozen=True)
class PartSpec:
    """Part ``part_number`` (1-based) covers bytes ``offset .. offset+size`` of the file."""

    part_number: int
    offset: int
    size: int


@dataclass(frozen=True)
class UploadPlan:
    method: UploadMethod
    size: int
    part_size: int  # multipart / append: bytes per part; PUT: the size itself

    @property
    def part_count(self) -> int:
        if self.method is UploadMethod.PUT:
            return 1
        return max(1, -(-self.size // self.part_size))

    def parts(self) -> Iterator[PartSpec]:
        """The parts in order (for PUT, the single whole body). A 0-byte file has one
        empty part."""
        count = self.part_count
        for index in range(count):
            offset = index * self.part_size
            yield PartSpec(index + 1, offset, min(self.part_size, self.size - offset) if self.size else 0)

    def part(self, part_number: int) -> PartSpec:
        if not 1 <= part_number <= self.part_count:
            raise IndexError(f"part {part_number} is outside 1..{self.part_count}")
        offset = (part_number - 1) * self.part_size
        return PartSpec(part_number, offset, min(self.part_size, self.size - offset))


def part_size_for(size: int, preferred_part_size: int) -> int:
    """The part size for a ``size``-byte multipart upload: ``preferred_part_size``,
    raised (to a whole MiB) when the file would otherwise need more than 10,000
    parts. Raises PlanError when even 5 GB parts are not enough."""
    if size > MAX_OBJECT_SIZE:
        raise PlanError(f"{size} bytes is more than COS's largest object ({MAX_OBJECT_SIZE} bytes)")
    part_size = min(max(preferred_part_size, MIN_PART_SIZE), MAX_PART_SIZE)
    if -(-size // part_size) > MAX_PARTS:
        needed = -(-size // MAX_PARTS)
        # Whole MiB parts read better in logs; near the 5 GB ceiling take the exact need.
        part_size = max(min(-(-needed // MiB) * MiB, MAX_PART_SIZE), needed)
    return part_size


def plan_upload(size: int, options: UploadOptions) -> UploadPlan:
    """PUT for files of at most SliceSize (and at most 5 GB), multipart above;
    APPEND when the options ask for it. A 0-byte file is a PUT."""
    if size < 0:
        raise PlanError("a file cannot have a negative size")
    if options.method is UploadMethodChoice.APPEND:
        return UploadPlan(
            UploadMethod.APPEND, size, min(max(options.chunk_size, MIN_PART_SIZE), MAX_APPEND_SIZE)
        )
    if size <= options.slice_size and size <= MAX_PUT_SIZE:
        return UploadPlan(UploadMethod.PUT, size, size)
    preferred = options.chunk_size
    if options.adaptive_part_size:
        # Whole MiB, about ADAPTIVE_PART_COUNT parts, never below the asked size.
        adaptive = -(-size // ADAPTIVE_PART_COUNT // MiB) * MiB
        preferred = max(preferred, min(adaptive, ADAPTIVE_MAX_PART_SIZE))
    return UploadPlan(UploadMethod.MULTIPART, size, part_size_for(size, preferred))
