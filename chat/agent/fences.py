"""Incremental parser for the model's streamed text: prose becomes `thought`s, the fenced ```tsx
block streams out as code chunks while it is written, and the ```sql, ```json params and ```json
clarify fences are collected whole (docs/artifact.md, "The agent's final message"). The writers
of the format live here too, beside the parser that reads it back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

FENCE = "```"
CODE_LANGUAGES = {"tsx", "jsx", "ts", "typescript", "js", "javascript", "react"}
SQL_TAG = "sql"
CODE_TAG = "tsx"
PARAMS_TAG = "json params"
CLARIFY_TAG = "json clarify"
SUGGESTIONS_TAG = "json suggestions"


def fence(tag: str, body: str) -> str:
    """One fenced block of the final-message format; the parser below reads it back."""
    return f"{FENCE}{tag}\n{body.rstrip()}\n{FENCE}\n"


def params_fence(params: dict[str, Any], *, indent: int | None = None) -> str:
    return fence(PARAMS_TAG, json.dumps(params, indent=indent, ensure_ascii=False))


def final_message(
    text: str, *, sql: str | None, code: str, params: dict[str, Any], indent: int | None = 2
) -> str:
    """The whole final message in the order docs/artifact.md gives: text, SQL, component,
    parameters (no SQL for generate-ui and repair runs)."""
    parts = [text.strip() + "\n\n"]
    if sql is not None:
        parts.append(fence(SQL_TAG, sql))
    parts.append(fence(CODE_TAG, code))
    parts.append(params_fence(params, indent=indent))
    return "".join(parts)


def clarify_message(question: str, options: list[str]) -> str:
    """A question back instead of an answer: the question as prose, then the readings to pick
    from (each a complete question), which the runner streams as a `clarify` event."""
    asked = json.dumps({"question": question, "options": options}, ensure_ascii=False)
    return f"{question.strip()}\n\n" + fence(CLARIFY_TAG, asked)


def decline_message(text: str, suggestions: list[str]) -> str:
    """A refusal: why, as prose, then the questions to ask instead (each a complete question),
    which the runner sends with the `error` event for the portal to offer as buttons."""
    if not suggestions:
        return text.strip()
    offered = json.dumps(suggestions, ensure_ascii=False)
    return f"{text.strip()}\n\n" + fence(SUGGESTIONS_TAG, offered)


Piece = tuple[Literal["thought", "code"], str]


@dataclass
class ParsedMessage:
    text: str = ""
    code: str = ""
    code_started: bool = False
    code_closed: bool = False
    sql: str | None = None
    params: dict[str, Any] | None = None
    params_error: str | None = None
    clarify: dict[str, Any] | None = None
    suggestions: list[str] = field(default_factory=list)

    @property
    def code_complete(self) -> bool:
        return bool(self.code.strip()) and (self.code_closed or "export default" in self.code)


@dataclass
class FenceParser:
    """Feed text deltas; get back thought lines and code chunks in order."""

    result: ParsedMessage = field(default_factory=ParsedMessage)
    _buffer: str = ""
    _mode: Literal["text", "code", "other", "skipline"] = "text"
    _fence_kind: str = ""
    _body: list[str] = field(default_factory=list)
    _thought_lines: list[str] = field(default_factory=list)

    def feed(self, delta: str) -> list[Piece]:
        self.result.text += delta
        self._buffer += delta
        out: list[Piece] = []
        while self._step(out):
            pass
        return out

    def close(self) -> list[Piece]:
        """End of the message: flush what is left (an unterminated fence keeps its body)."""
        out: list[Piece] = []
        rest, self._buffer = self._buffer, ""
        if self._mode == "text":
            self._thought_lines.append(rest)
            self._flush_thought(out)
        elif self._mode == "code":
            if rest:
                self._emit_code(rest, out)
        elif self._mode == "other":
            self._body.append(rest)
            self._finish_fence()
        self._mode = "text"
        return out

    # --- internals -------------------------------------------------------------------------
    def _step(self, out: list[Piece]) -> bool:
        if self._mode == "skipline":
            newline = self._buffer.find("\n")
            if newline < 0:
                self._buffer = ""
                return False
            self._buffer = self._buffer[newline + 1 :]
            self._mode = "text"
            return True
        if self._mode == "text":
            newline = self._buffer.find("\n")
            if newline < 0:
                return False
            line, self._buffer = self._buffer[:newline], self._buffer[newline + 1 :]
            stripped = line.strip()
            if stripped.startswith(FENCE):
                self._flush_thought(out)
                self._open_fence(stripped[len(FENCE) :].strip().lower())
            elif stripped:
                self._thought_lines.append(line)
                self._flush_thought(out)
            return True
        # Inside a fence, which ends at a line starting with ```.
        end = self._closing_fence_at()
        if end is not None:
            body, self._buffer = self._buffer[:end], self._buffer[end + len(FENCE) :]
            if self._mode == "code":
                if body:
                    self._emit_code(body, out)
                self.result.code_closed = True
            else:
                self._body.append(body)
                self._finish_fence()
            self._mode = "skipline"
            return True
        if self._mode == "code":
            keep = self._partial_fence_suffix()
            emit = self._buffer[: len(self._buffer) - keep]
            self._buffer = self._buffer[len(self._buffer) - keep :]
            if emit:
                self._emit_code(emit, out)
        else:
            keep = self._partial_fence_suffix()
            self._body.append(self._buffer[: len(self._buffer) - keep])
            self._buffer = self._buffer[len(self._buffer) - keep :]
        return False

    def _closing_fence_at(self) -> int | None:
        if self._buffer.startswith(FENCE) and self._at_line_start():
            return 0
        index = self._buffer.find("\n" + FENCE)
        return None if index < 0 else index + 1

    def _at_line_start(self) -> bool:
        written = self.result.code if self._mode == "code" else "".join(self._body)
        return not written or written.endswith("\n")

    def _partial_fence_suffix(self) -> int:
        """Length of the buffer's tail that may still become a closing fence: held back."""
        for size in range(len(FENCE), 0, -1):
            if self._buffer.endswith("\n" + FENCE[: size - 1]):
                return size
        if self._buffer and FENCE.startswith(self._buffer) and self._at_line_start():
            return len(self._buffer)
        return 0

    def _open_fence(self, info: str) -> None:
        words = info.split()
        language = words[0] if words else ""
        if language in CODE_LANGUAGES and not self.result.code_started:
            self._mode = "code"
            self.result.code_started = True
        else:
            self._mode = "other"
            if language == "json":
                kind = words[1] if len(words) > 1 else ""
                self._fence_kind = kind if kind in ("clarify", "suggestions") else "params"
            else:
                self._fence_kind = language
            self._body = []

    def _finish_fence(self) -> None:
        body = "".join(self._body).strip()
        self._body = []
        if self._fence_kind == "sql" and body:
            self.result.sql = body
        elif self._fence_kind == "clarify" and body:
            try:
                asked = json.loads(body)
            except json.JSONDecodeError:
                asked = None
            if isinstance(asked, dict) and isinstance(asked.get("question"), str):
                self.result.clarify = asked
        elif self._fence_kind == "suggestions" and body:
            try:
                offered = json.loads(body)
            except json.JSONDecodeError:
                offered = None
            if isinstance(offered, list):
                self.result.suggestions = [str(s) for s in offered if str(s).strip()][:6]
        elif self._fence_kind == "params" and body:
            try:
                value = json.loads(body)
            except json.JSONDecodeError as exc:
                self.result.params_error = f"params are not valid JSON: {exc}"
            else:
                if isinstance(value, dict):
                    self.result.params = value
        self._fence_kind = ""

    def _emit_code(self, chunk: str, out: list[Piece]) -> None:
        self.result.code += chunk
        out.append(("code", chunk))

    def _flush_thought(self, out: list[Piece]) -> None:
        text = "\n".join(line.rstrip() for line in self._thought_lines).strip()
        self._thought_lines = []
        if text:
            out.append(("thought", text))
