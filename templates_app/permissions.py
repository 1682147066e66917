"""Who may see and do what with a template: the one place these rules live. The API, the admin
and the data endpoint's access hook all ask here.

- Curators and superusers: everything, including publish/feature/archive and bulk import.
- Analysts: create; edit and delete their own templates and those shared with them as editor;
  share their own.
- Viewers: open what they can see, change parameters in the UI, refresh data; never edit.
- Seeing a template: its owner; curators; anyone holding a Vizorch role when it is published or
  visible to the organization; users (directly or through a group) it is shared with when its
  visibility is not private. Archived templates are seen only by their owner and curators.
  Whoever cannot see a template gets 404, never 403.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from core.errors import Forbidden, NotFound
from core.roles import ANALYST, CURATOR, roles_of
from templates_app.models import ShareRole, Status, Template, TemplateShare, Visibility

User = Any  # an authenticated Django user, or AnonymousUser

NOT_FOUND = "Template not found."
# Which right a change of a field needs (`check_can_change`): curating, sharing, else editing.
CURATION_FIELDS = ("status", "featured")
SHARING_FIELDS = ("visibility",)


def is_curator(user: User) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser) or CURATOR in roles_of(user)


def is_analyst(user: User) -> bool:
    return getattr(user, "is_authenticated", False) and ANALYST in roles_of(user)


def can_create(user: User) -> bool:
    return is_curator(user) or is_analyst(user)


def can_import(user: User) -> bool:
    return is_curator(user)


def can_curate(user: User) -> bool:
    """Publish, feature, unfeature and archive any template."""
    return is_curator(user)


def _shares_of(user: User) -> QuerySet[TemplateShare]:
    return TemplateShare.objects.filter(Q(user=user) | Q(group__in=user.groups.all()))


def visible_q(user: User) -> Q:
    """The filter selecting every template `user` may see (`Q(pk__in=[])` for nobody)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    if is_curator(user):
        return Q()
    shared_ids = _shares_of(user).values("template_id")
    seen = Q(visibility__in=[Visibility.SHARED, Visibility.ORGANIZATION], pk__in=shared_ids)
    if roles_of(user):
        seen |= Q(status=Status.PUBLISHED) | Q(visibility=Visibility.ORGANIZATION)
    return Q(owner=user) | (~Q(status=Status.ARCHIVED) & seen)


def visible_templates(user: User) -> QuerySet[Template]:
    return Template.objects.filter(visible_q(user))


def can_view(user: User, template: Template) -> bool:
    return visible_templates(user).filter(pk=template.pk).exists()


def share_role(user: User, template: Template) -> str | None:
    """The strongest role `user` holds on `template` through its shares, if they apply."""
    if template.visibility == Visibility.PRIVATE or template.status == Status.ARCHIVED:
        return None
    roles = set(_shares_of(user).filter(template=template).values_list("role", flat=True))
    if ShareRole.EDITOR in roles:
        return ShareRole.EDITOR
    return ShareRole.VIEWER if roles else None


def can_edit(user: User, template: Template) -> bool:
    """Change content, restore a version, delete. Viewers never edit, whatever they are shared."""
    if is_curator(user):
        return True
    if not is_analyst(user):
        return False
    if template.owner_id is not None and template.owner_id == user.pk:
        return True
    return share_role(user, template) == ShareRole.EDITOR


def can_delete(user: User, template: Template) -> bool:
    return can_edit(user, template)


def can_share(user: User, template: Template) -> bool:
    """Change visibility and shares."""
    if is_curator(user):
        return True
    return is_analyst(user) and template.owner_id is not None and template.owner_id == user.pk


def can_refresh(user: User, template: Template) -> bool:
    return can_view(user, template)


def can_read_result(user: User, result_id: str) -> bool:
    """The data endpoint's hook: a result referenced by a template the user can see is readable."""
    if not result_id:
        return False
    return visible_templates(user).filter(result_id=str(result_id)).exists()


# --- checks that raise: what services call before they act -----------------------------------


def check_can_create(user: User) -> None:
    if not can_create(user):
        raise Forbidden("Only analysts and curators can save templates.")


def check_can_import(user: User) -> None:
    if not can_import(user):
        raise Forbidden("Only curators can import templates.")


def check_can_change(user: User, template: Template, fields: Iterable[str]) -> None:
    """May `user` change these fields of `template`? Curation first, then sharing, then content,
    so the message names the strongest right the change lacks."""
    names = set(fields)
    if names & set(CURATION_FIELDS) and not can_curate(user):
        raise Forbidden("Only curators can publish, feature or archive templates.")
    if names & set(SHARING_FIELDS) and not can_share(user, template):
        raise Forbidden("Only the owner or a curator can change who sees this template.")
    if names - {*CURATION_FIELDS, *SHARING_FIELDS} and not can_edit(user, template):
        raise Forbidden("You can view this template but not change it.")


def check_can_edit(user: User, template: Template) -> None:
    if not can_edit(user, template):
        raise Forbidden("You can view this template but not change it.")


def check_can_delete(user: User, template: Template) -> None:
    if not can_delete(user, template):
        raise Forbidden("You can view this template but not delete it.")


def check_can_see_shares(user: User, template: Template) -> None:
    if not can_share(user, template):
        raise Forbidden("Only the owner or a curator can see this template's shares.")


def check_can_share(user: User, template: Template) -> None:
    if not can_share(user, template):
        raise Forbidden("Only the owner or a curator can share this template.")


def check_can_refresh(user: User, template: Template) -> None:
    # Seeing a template is what refreshing it takes; whoever cannot gets "not found".
    if not can_refresh(user, template):
        raise NotFound(NOT_FOUND)
