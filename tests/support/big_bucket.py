"""A bucket with a folder of 200,000 objects on the local server, filled in about
a second (objects recorded straight into its index: 200,000 PUTs take minutes),
and the remote pane's model reading it through a real client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QThreadPool

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint
from cosdesk.cos.results import ListObjectsResult
from cosdesk.engine.options import EndpointSpec
from cosdesk.sandbox.server import SandboxServer
from cosdesk.ui.remote_model import PAGE_SIZE, RemoteLocation, RemoteObjectsModel

BUCKET = "examplebucket-1250000000"
REGION = "ap-guangzhou"
SECRET_ID, SECRET_KEY = "AKIDbigbucket", "big-bucket-secret"
BIG_FOLDER = "photos/"
BIG_COUNT = 200_000
# What else the big folder holds: its own marker, a sub-folder, and a neighbour outside it.
SUB_FOLDER_KEY = "photos/2024/a.jpg"
OUTSIDE_KEY = "photos-old/kept.jpg"


def photo_key(number: int) -> str:
    return f"{BIG_FOLDER}{number:06d}.jpg"


@contextmanager
def big_bucket(root: Path, count: int = BIG_COUNT) -> Iterator[SandboxServer]:
    with SandboxServer(
        root=root, buckets=[BUCKET], credentials={SECRET_ID: SECRET_KEY}, region=REGION, discard_bodies=True
    ) as server:
        keys = (photo_key(number) for number in range(count))
        server.storage.add_empty_objects(BUCKET, keys, storage_class="STANDARD_IA")
        server.storage.add_empty_objects(BUCKET, [BIG_FOLDER, SUB_FOLDER_KEY, OUTSIDE_KEY])
        yield server


@contextmanager
def remote_model(server: SandboxServer) -> Iterator[tuple[RemoteObjectsModel, RemoteLocation]]:
    """The pane's model over ``server``'s big folder (not yet shown)."""
    spec = EndpointSpec(REGION, url=server.endpoint, path_style=True)
    client = CosClient(Credentials(SECRET_ID, SECRET_KEY), Endpoint.custom(server.endpoint, region=REGION))
    pool = QThreadPool()

    def list_page(location: RemoteLocation, name_filter: str, marker: str | None) -> ListObjectsResult:
        return client.list_objects(
            location.bucket,
            prefix=location.prefix + name_filter,
            delimiter="/",
            marker=marker,
            max_keys=PAGE_SIZE,
        )

    model = RemoteObjectsModel(list_page, pool)
    try:
        yield model, RemoteLocation(spec, BUCKET, BIG_FOLDER)
    finally:
        pool.waitForDone(10_000)
        client.close()
