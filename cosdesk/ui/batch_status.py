"""What the status bar says about the current batch (``engine/batch.py``: the
files queued or resumed since uploads last stopped): its files, bytes, speed,
time left and overall bar, and the notice when it ends or stops.

Every figure comes from one ``BatchProgress``, so they agree with each other:
the bar is the bytes label as a fraction; the time left is hidden whenever the
engine cannot tell it (nothing running, paused, speed not measured yet)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject

from cosdesk.engine.task import BatchProgress, FailedFile
from cosdesk.ui.formatting import (
    describe_error,
    format_duration,
    format_percent,
    format_size,
    format_speed,
    unanswered_note,
)
from cosdesk.ui.task_cells import name_of_key


@dataclass(frozen=True)
class BatchTexts:
    """The status bar's figures for one BatchProgress (empty text: hidden)."""

    files: str
    files_tip: str
    bytes: str
    speed: str
    time_left: str
    bar_value: int  # 0..1000
    bar_tip: str


@dataclass(frozen=True)
class BatchNotice:
    """What to tell when the queue stops: ``notify`` through the desktop (the batch
    ended), or only in the status bar (the user paused it: they know)."""

    title: str
    message: str
    failed: bool = False
    notify: bool = True


def batch_texts(batch: BatchProgress) -> BatchTexts:
    return BatchStatus().texts(batch)


def stop_notice(batch: BatchProgress) -> BatchNotice | None:
    """The notice for a batch whose queue went idle, counting the files of the
    whole batch (those finished before a pause too); None when nothing in it
    finished or failed (all canceled)."""
    return BatchStatus().stop_notice(batch)


class BatchStatus(QObject):
    """The words of the two functions above. A QObject only for ``self.tr``: the
    translation tools find a message, and see that a ``%n`` one has plural forms,
    only in a ``self.tr`` call written in a class named as the message's context."""

    def texts(self, batch: BatchProgress) -> BatchTexts:
        running = batch.running > 0
        counts = [
            (batch.succeeded, self.tr("%n uploaded", None, batch.succeeded)),
            (batch.running, self.tr("%n uploading", None, batch.running)),
            (batch.waiting, self.tr("%n waiting", None, batch.waiting)),
            (batch.paused, self.tr("%n paused", None, batch.paused)),
            (batch.failed, self.tr("%n failed", None, batch.failed)),
            (batch.canceled, self.tr("%n canceled", None, batch.canceled)),
        ]
        told = [text for number, text in counts if number]
        files_tip = self.tr("The files added or resumed since uploads last stopped.")
        if told:
            files_tip += "\n" + self.tr(", ").join(told)
        bar_tip = self.tr("%1 of this batch is uploaded").replace("%1", format_percent(batch.percent, 1))
        if batch.paused or batch.failed:
            bar_tip += "\n" + self.tr("Paused and failed files are not counted in the time left.")
        files = self.tr("%1 / %2 files").replace("%1", str(batch.succeeded)).replace("%2", str(batch.files))
        return BatchTexts(
            files=files,
            files_tip=files_tip,
            bytes=f"{format_size(batch.loaded)} / {format_size(batch.total)}",
            speed=format_speed(batch.speed) if running and batch.speed is not None else "",
            time_left=self._time_left(batch),
            bar_value=round(batch.percent * 1000),
            bar_tip=bar_tip,
        )

    def _time_left(self, batch: BatchProgress) -> str:
        # No time can be told while the server answers nothing: the bar says that.
        if batch.running and batch.unanswered_s is not None:
            return unanswered_note(batch.unanswered_s)
        if batch.running and batch.eta_s is not None:
            return self.tr("%1 left").replace("%1", format_duration(batch.eta_s))
        return ""

    def _why(self, failure: FailedFile | None, failed: int) -> str:
        """Why a failed file failed, so that a person need not look for it: the
        only one's, or the first's of several. Empty when the batch does not know
        (its failures were restored so)."""
        if failure is None:
            return ""
        reason = describe_error(failure.error, short=True)
        if failed == 1:
            return self.tr("%1: %2").replace("%1", name_of_key(failure.key)).replace("%2", reason)
        return self.tr("The first, %1: %2").replace("%1", name_of_key(failure.key)).replace("%2", reason)

    def _retried(self, transient: int, failed: int) -> str:
        """How many of the failed files the window starts again by itself, when
        due (engine/retry_scheduler.py): "finished with errors" alone read as if
        a lost network had ended them."""
        if not transient:
            return ""
        if transient < failed:
            return self.tr("%1 of them will be retried automatically.").replace("%1", str(transient))
        if failed == 1:
            return self.tr("It will be retried automatically.")
        return self.tr("They will be retried automatically.")

    def stop_notice(self, batch: BatchProgress) -> BatchNotice | None:
        done, failed, paused = batch.succeeded, batch.failed, batch.paused
        if paused:
            message = self.tr("%n file(s) paused", None, paused)
            if done:
                message = self.tr("%n file(s) uploaded; ", None, done) + message
            if failed:
                message += self.tr("; %n failed", None, failed)
            return BatchNotice(
                self.tr("Uploads paused"), message + self.tr("."), failed=bool(failed), notify=False
            )
        if failed:
            sentences = [
                self.tr("%1 failed, %2 uploaded.").replace("%1", str(failed)).replace("%2", str(done)),
                # Before the reason: a status bar cuts a long notice at its end.
                self._retried(batch.failed_transient, failed),
                self._why(batch.first_failure, failed),
                self.tr("Open the Failed tab for details."),
            ]
            return BatchNotice(
                self.tr("Uploads finished with errors"), " ".join(filter(None, sentences)), failed=True
            )
        if done:
            return BatchNotice(self.tr("Uploads finished"), self.tr("%n file(s) uploaded.", None, done))
        return None
