"""The account's buckets for the destination bar's picker: GET Service on the
window's pool (the keys may wait on the keyring, the answer on the network),
once per account until its settings change.

A key that may not list buckets (temporary keys, a sub-account without
GetService) is normal, not an error: the picker then says, quietly, to type the
bucket's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import QObject, QThreadPool, Signal

from cosdesk.cos.errors import AccessDenied
from cosdesk.cos.results import BucketSummary
from cosdesk.engine.client_router import ClientRouter
from cosdesk.engine.options import EndpointSpec
from cosdesk.ui.background import run_in_background


@dataclass(frozen=True)
class BucketListing:
    """What GET Service said for an account: its buckets, or why there are none."""

    account: str
    buckets: tuple[BucketSummary, ...] = ()
    # The keys may not list buckets (AccessDenied).
    refused: bool = False
    # Any other failure, as a short text ("" when listed or refused).
    problem: str = ""


class BucketLister(QObject):
    """Lists an account's buckets in the background; ``listed`` carries a
    :class:`BucketListing`. An account is listed once until :meth:`forget`."""

    listed = Signal(object)

    def __init__(self, router: ClientRouter, pool: QThreadPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._router = router
        self._pool = pool
        # Account -> the endpoint it was listed (or is being listed) at.
        self._asked: dict[str, EndpointSpec] = {}
        self._known: dict[str, BucketListing] = {}

    def forget(self) -> None:
        """Accounts or keys changed: list again when asked."""
        self._asked.clear()
        self._known.clear()

    def known(self, account: str) -> BucketListing | None:
        return self._known.get(account)

    def list_for(self, account: str, endpoint: EndpointSpec) -> None:
        """List ``account``'s buckets unless already done (or under way) at ``endpoint``."""
        if self._asked.get(account) == endpoint:
            return
        self._asked[account] = endpoint
        router = self._router
        # Every region's buckets: the account's own region is only its default.
        run_in_background(
            self._pool,
            self,
            lambda: tuple(router(endpoint).iter_buckets()),
            partial(self._on_listed, account, endpoint),
        )

    def _on_listed(self, account: str, endpoint: EndpointSpec, outcome: object) -> None:
        if self._asked.get(account) != endpoint:
            return  # forgotten or asked again elsewhere meanwhile
        if isinstance(outcome, AccessDenied):
            listing = BucketListing(account, refused=True)
        elif isinstance(outcome, Exception):  # the network, the keyring, no keys…
            listing = BucketListing(account, problem=str(outcome) or type(outcome).__name__)
        else:
            listing = BucketListing(account, buckets=tuple(outcome))  # type: ignore[arg-type]
        if listing.problem:
            # Not cached: the next look at the account asks again (the network may be back).
            del self._asked[account]
        else:
            self._known[account] = listing
        self.listed.emit(listing)
