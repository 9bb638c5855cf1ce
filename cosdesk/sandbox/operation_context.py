"""What every operation works against: the store, the faults to inject, the
server's region and buckets, the key policy and the clock.

``Operations`` (which routes requests) is one of these; the ``*_operations``
modules take this type rather than ``Operations``, so the router can import
them and they need not import the router.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cosdesk.sandbox import xml_responses as xml
from cosdesk.sandbox.errors import no_such_upload
from cosdesk.sandbox.exchange import Exchange
from cosdesk.sandbox.faults import FaultSettings
from cosdesk.sandbox.request_auth import AuthPolicy
from cosdesk.sandbox.storage import Storage, UploadRecord


@dataclass(frozen=True)
class ServerInfo:
    region: str
    app_id_of: Callable[[str], str]


class OperationContext:
    def __init__(
        self,
        storage: Storage,
        faults: FaultSettings,
        info: ServerInfo,
        auth_policy: AuthPolicy,
        clock: Callable[[], float],
    ) -> None:
        self.storage = storage
        self.faults = faults
        self.info = info
        self.auth_policy = auth_policy
        # The server's notion of now (the real clock plus any injected offset).
        self.clock = clock

    def location(self, bucket: str, key: str) -> str:
        return f"{bucket}.cos.{self.info.region}.myqcloud.com/{xml.url_encode(key)}"

    def upload_of(self, exchange: Exchange) -> UploadRecord:
        """The multipart upload ``uploadId`` names, for this bucket and key; 404 NoSuchUpload."""
        upload_id = exchange.param("uploadId") or ""
        upload = self.storage.get_upload(upload_id)
        if upload is None or upload.bucket != exchange.bucket or upload.key != exchange.key:
            raise no_such_upload()
        return upload
