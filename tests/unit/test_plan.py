"""Planning: PUT up to SliceSize, multipart above, never more than 10,000 parts."""

from __future__ import annotations

import itertools

import pytest

from cosdesk.engine.options import UploadMethodChoice, UploadOptions
from cosdesk.engine.plan import MAX_PARTS, MAX_PUT_SIZE, MiB, PlanError, part_size_for, plan_upload
from cosdesk.engine.task import UploadMethod


def test_files_up_to_slice_size_go_by_put() -> None:
    options = UploadOptions()
    assert plan_upload(0, options).method is UploadMethod.PUT
    assert plan_upload(MiB, options).method is UploadMethod.PUT
    assert plan_upload(MiB + 1, options).method is UploadMethod.MULTIPART


def test_zero_byte_file_is_one_empty_put() -> None:
    plan = plan_upload(0, UploadOptions())
    assert plan.part_count == 1
    assert [(p.offset, p.size) for p in plan.parts()] == [(0, 0)]


def test_slice_size_below_one_mib_is_refused() -> None:
    with pytest.raises(ValueError, match="SliceSize"):
        UploadOptions(slice_size=MiB - 1)


def test_a_larger_slice_size_keeps_bigger_files_simple() -> None:
    options = UploadOptions(slice_size=10 * MiB)
    assert plan_upload(10 * MiB, options).method is UploadMethod.PUT
    assert plan_upload(10 * MiB + 1, options).method is UploadMethod.MULTIPART


def test_multipart_parts_cover_the_file_exactly() -> None:
    size = 5 * MiB + 123
    plan = plan_upload(size, UploadOptions(chunk_size=2 * MiB))
    parts = list(plan.parts())
    assert [p.part_number for p in parts] == [1, 2, 3]
    assert sum(p.size for p in parts) == size
    assert parts[-1].size == MiB + 123
    assert all(a.offset + a.size == b.offset for a, b in itertools.pairwise(parts))
    assert plan.part(3) == parts[2]


def test_part_size_is_raised_so_no_file_needs_more_than_10000_parts() -> None:
    size = 100 * 1024 * MiB  # 100 GiB at 1 MiB parts would be 102,400 parts
    part_size = part_size_for(size, MiB)
    assert -(-size // part_size) <= MAX_PARTS
    assert part_size % MiB == 0
    assert part_size_for(10 * MiB, MiB) == MiB


def test_a_huge_file_goes_multipart_even_with_a_huge_slice_size() -> None:
    options = UploadOptions(slice_size=10 * MAX_PUT_SIZE)
    assert plan_upload(MAX_PUT_SIZE + 1, options).method is UploadMethod.MULTIPART


def test_more_than_cos_largest_object_is_refused() -> None:
    with pytest.raises(PlanError):
        plan_upload(10_000 * 5 * 1000**3 + 1, UploadOptions())


def test_append_is_planned_when_asked() -> None:
    plan = plan_upload(3 * MiB, UploadOptions(method=UploadMethodChoice.APPEND))
    assert plan.method is UploadMethod.APPEND
    assert plan.part_count == 3
