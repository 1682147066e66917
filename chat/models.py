"""Conversations, their runs, and each run's durable event log (the SSE ids are its sequence
numbers, so a reconnecting client can be given exactly what it missed)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Conversation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    title = models.CharField(max_length=200, blank=True, default="")
    template_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title or str(self.id)


class Run(models.Model):
    class Kind(models.TextChoices):
        CHAT = "chat"
        GENERATE_UI = "generate_ui"
        REPAIR = "repair"

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="runs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CHAT)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    prompt = models.TextField()
    engine = models.CharField(max_length=64, blank=True, default="")
    # generate-ui and repair runs work on data that exists already.
    source_run = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="derived_runs"
    )
    input_result_id = models.CharField(max_length=128, blank=True, default="")
    input_code = models.TextField(blank=True, default="")
    input_params = models.JSONField(null=True, blank=True)

    generated_sql = models.TextField(blank=True, default="")
    sql_engine = models.CharField(max_length=64, blank=True, default="")
    ui_code = models.TextField(blank=True, default="")
    parameters = models.JSONField(null=True, blank=True)
    result_id = models.CharField(max_length=128, blank=True, default="")
    data_url = models.CharField(max_length=300, blank=True, default="")
    final_message = models.TextField(blank=True, default="")
    error_stage = models.CharField(max_length=32, blank=True, default="")
    error_message = models.TextField(blank=True, default="")

    cancel_requested = models.BooleanField(default=False)
    # Refreshed by every attached stream; the worker cancels a run nobody has listened to lately.
    listener_seen_at = models.DateTimeField(null=True, blank=True)
    # Refreshed by the worker driving the run; a stream ends a run whose worker went away.
    worker_seen_at = models.DateTimeField(null=True, blank=True)
    # The worker process holding the run (queued or driving it); another worker takes the run
    # over when this one has been silent too long.
    worker_id = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class RunEvent(models.Model):
    """One emitted SSE event. `seq` starts at 1 per run and has no gaps."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    event = models.CharField(max_length=16)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="chat_event_seq_unique")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.seq} {self.event}"
