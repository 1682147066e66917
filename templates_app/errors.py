"""Domain errors of templates: what the API answers and the admin shows."""

from __future__ import annotations

from core.errors import Conflict, Forbidden, InvalidInput, NotFound, TooLarge


class InvalidTemplate(InvalidInput):
    code = "invalid_template"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems), detail={"reasons": problems})
        self.problems = problems


class InvalidShares(InvalidInput):
    code = "invalid_shares"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems), detail={"reasons": problems})


class VersionConflict(Conflict):
    """The template moved on since the caller read it; `current_version` is where it is now."""

    code = "version_conflict"

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(
            f"The template was changed by someone else: your copy is version {expected}, "
            f"the current one is version {current}. Reload it and apply your change again.",
            detail={"current_version": current},
        )
        self.current_version = current


class VersionNotFound(NotFound):
    code = "version_not_found"


class InvalidThumbnail(InvalidInput):
    code = "invalid_thumbnail"


class ThumbnailTooLarge(TooLarge):
    code = "thumbnail_too_large"


class ThumbnailNotFound(NotFound):
    code = "thumbnail_not_found"


class ThumbnailForbidden(Forbidden):
    code = "thumbnail_forbidden"
