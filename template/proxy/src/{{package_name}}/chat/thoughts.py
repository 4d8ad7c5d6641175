"""The model's reasoning as ChatKit shows it: a workflow item with one thought task.

The item appears with the first reasoning, grows as more arrives, and folds up with how long
the model thought once the answer starts (or the reply ends). Each update carries the task's
whole text, so while the model thinks an update goes out at most every `UPDATE_SECONDS`; the
last one carries everything. The item is stored with the thread; the backend never gets it back
(conversation.py sends only user and assistant messages).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Literal

from chatkit.types import (
    DurationSummary,
    ThoughtTask,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemUpdatedEvent,
    ThreadStreamEvent,
    Workflow,
    WorkflowItem,
    WorkflowTaskAdded,
    WorkflowTaskUpdated,
)

UPDATE_SECONDS = 0.25


class ThoughtStream:
    def __init__(self, item_id: str, thread_id: str) -> None:
        self._item_id = item_id
        self._thread_id = thread_id
        """Made when the first reasoning arrives: the clocks start now."""
        self._parts: list[str] = []
        self._created = datetime.now()
        self._started = self._sent = time.monotonic()
        self._done = False

    def add(self, text: str) -> list[ThreadStreamEvent]:
        """The events that show `text`, the next piece of reasoning."""
        self._parts.append(text)
        if len(self._parts) == 1:
            item = self._item(Workflow(type="reasoning", tasks=[], expanded=True))
            added = WorkflowTaskAdded(task_index=0, task=self._task("loading"))
            return [ThreadItemAddedEvent(item=item), self._update(added)]
        now = time.monotonic()
        if now - self._sent < UPDATE_SECONDS:
            return []
        self._sent = now
        return [self._update(WorkflowTaskUpdated(task_index=0, task=self._task("loading")))]

    def finish(self) -> list[ThreadStreamEvent]:
        """The events that fold the reasoning up; none when there was none, or once done."""
        if not self._parts or self._done:
            return []
        self._done = True
        task = self._task("complete")
        seconds = max(1, round(time.monotonic() - self._started))
        workflow = Workflow(
            type="reasoning", tasks=[task], summary=DurationSummary(duration=seconds)
        )
        return [
            self._update(WorkflowTaskUpdated(task_index=0, task=task)),
            ThreadItemDoneEvent(item=self._item(workflow)),
        ]

    def _task(self, status: Literal["loading", "complete"]) -> ThoughtTask:
        return ThoughtTask(content="".join(self._parts), status_indicator=status)

    def _item(self, workflow: Workflow) -> WorkflowItem:
        return WorkflowItem(
            id=self._item_id,
            thread_id=self._thread_id,
            created_at=self._created,
            workflow=workflow,
        )

    def _update(self, update: WorkflowTaskAdded | WorkflowTaskUpdated) -> ThreadItemUpdatedEvent:
        return ThreadItemUpdatedEvent(item_id=self._item_id, update=update)
