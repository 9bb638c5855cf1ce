"""DeleteObjects: many keys in one request, every key accounted for."""

from __future__ import annotations

import pytest

from cosdesk.cos.client import MAX_DELETE_KEYS, CosClient
from cosdesk.cos.errors import CosValidationError

ODD_KEYS = ["odd/100%.txt", "odd/a&b<c>.txt", "odd/中文/文件.txt", "odd/new\nline", "odd/  spaces  "]


def _keys_under(client: CosClient, bucket: str, prefix: str) -> list[str]:
    return sorted(summary.key for summary in client.iter_objects(bucket, prefix))


@pytest.mark.parametrize("quiet", [True, False])
def test_delete_objects_deletes_the_keys_given_and_nothing_else(
    cos_client: CosClient, bucket: str, quiet: bool
) -> None:
    keys = [f"many/{number:04d}.txt" for number in range(25)] + ODD_KEYS
    for key in keys:
        cos_client.put_object(bucket, key, b"x")
    cos_client.put_object(bucket, "many-kept.txt", b"keep")
    doomed = [key for key in keys if key != "many/0007.txt"] + ["many/never-existed"]

    result = cos_client.delete_objects(bucket, doomed, quiet=quiet)

    assert sorted(result.deleted) == sorted(doomed)
    assert result.failures == ()
    assert result.request_id
    assert _keys_under(cos_client, bucket, "many") == ["many-kept.txt", "many/0007.txt"]
    assert _keys_under(cos_client, bucket, "odd/") == []


@pytest.mark.parametrize("count", [0, MAX_DELETE_KEYS + 1])
def test_delete_objects_refuses_an_empty_or_oversized_batch(
    cos_client: CosClient, bucket: str, count: int
) -> None:
    with pytest.raises(CosValidationError, match=f"not {count}"):
        cos_client.delete_objects(bucket, [f"k{number}" for number in range(count)])
