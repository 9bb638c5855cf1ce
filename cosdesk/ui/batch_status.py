"""What the status bar says about the current batch (``engine/batch.py``: the
files queued or resumed since uploads last stopped): its files, bytes, speed,
time left and overall bar, and the notice when it ends or stops.

Every figure comes from one ``BatchProgress``, so they agree with each other:
the bar is the bytes label as a fraction; the time left is hidden whenever the
engine cannot tell it (nothing running, paused, speed not measured yet)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from cosdesk.engine.task import BatchProgress
from cosdesk.ui.formatting import format_duration, format_percent, format_size, format_speed


def _tr(text: str, count: int = -1) -> str:
    return QCoreApplication.translate("BatchStatus", text, None, count)


def _tr_window(text: str, count: int = -1) -> str:
    # These texts were the main window's before they moved here: their context
    # stays, so their translations do too.
    return QCoreApplication.translate("MainWindow", text, None, count)


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


def batch_texts(batch: BatchProgress) -> BatchTexts:
    running = batch.running > 0
    counts = [
        (batch.succeeded, _tr("%n uploaded", batch.succeeded)),
        (batch.running, _tr("%n uploading", batch.running)),
        (batch.waiting, _tr("%n waiting", batch.waiting)),
        (batch.paused, _tr("%n paused", batch.paused)),
        (batch.failed, _tr("%n failed", batch.failed)),
        (batch.canceled, _tr("%n canceled", batch.canceled)),
    ]
    told = [text for number, text in counts if number]
    files_tip = _tr("The files added or resumed since uploads last stopped.")
    if told:
        files_tip += "\n" + _tr(", ").join(told)
    bar_tip = _tr("%1 of this batch is uploaded").replace("%1", format_percent(batch.percent, 1))
    if batch.paused or batch.failed:
        bar_tip += "\n" + _tr("Paused and failed files are not counted in the time left.")
    return BatchTexts(
        files=_tr_window("%1 / %2 files").replace("%1", str(batch.succeeded)).replace("%2", str(batch.files)),
        files_tip=files_tip,
        bytes=f"{format_size(batch.loaded)} / {format_size(batch.total)}",
        speed=format_speed(batch.speed) if running else "",
        time_left=(
            _tr_window("%1 left").replace("%1", format_duration(batch.eta_s))
            if running and batch.eta_s is not None
            else ""
        ),
        bar_value=round(batch.percent * 1000),
        bar_tip=bar_tip,
    )


@dataclass(frozen=True)
class BatchNotice:
    """What to tell when the queue stops: ``notify`` through the desktop (the batch
    ended), or only in the status bar (the user paused it: they know)."""

    title: str
    message: str
    failed: bool = False
    notify: bool = True


def stop_notice(batch: BatchProgress) -> BatchNotice | None:
    """The notice for a batch whose queue went idle, counting the files of the
    whole batch (those finished before a pause too); None when nothing in it
    finished or failed (all canceled)."""
    done, failed, paused = batch.succeeded, batch.failed, batch.paused
    if paused:
        message = _tr("%n file(s) paused", paused)
        if done:
            message = _tr("%n file(s) uploaded; ", done) + message
        if failed:
            message += _tr("; %n failed", failed)
        return BatchNotice(_tr("Uploads paused"), message + _tr("."), failed=bool(failed), notify=False)
    if failed:
        return BatchNotice(
            _tr_window("Uploads finished with errors"),
            _tr_window("%1 failed, %2 uploaded. Open the Failed tab for details.")
            .replace("%1", str(failed))
            .replace("%2", str(done)),
            failed=True,
        )
    if done:
        return BatchNotice(_tr_window("Uploads finished"), _tr_window("%n file(s) uploaded.", done))
    return None
