"""Log records in the console: to Textual's devtools console, and an engine's errors on screen as alerts."""

from __future__ import annotations

import logging

from textual.app import App
from textual.logging import TextualHandler
from textual.message import Message


class EngineLogAlert(Message):
    """An ERROR a cutover module logged (the engine thread's, usually), to be shown as an alert."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class ConsoleLogHandler(TextualHandler):
    def __init__(self, app: App) -> None:
        super().__init__(stderr=False, stdout=False)  # never write over the console's screen
        self.app = app

    def emit(self, record: logging.LogRecord) -> None:
        super().emit(record)
        if record.levelno >= logging.ERROR and record.name.startswith("cutover."):
            # post_message is thread-safe and never blocks: the engine thread must not wait on the UI.
            self.app.post_message(EngineLogAlert(record.getMessage()))
