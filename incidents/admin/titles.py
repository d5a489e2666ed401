"""Our own admin page titles, in place of Django's generic ones.

Django's Korean catalog builds titles by pasting the model name into a phrase ("보기위한 보상 신청
를(을) 선택", "뷰 보상 신청"), which reads badly. Every ModelAdmin of ours (incidents and
compensation) mixes this in first; tests/compensation/test_admin_titles.py checks that none is left out.
A title a view passes itself still wins.
"""

from django.utils.text import capfirst
from django.utils.translation import gettext


def _name(model_admin, plural=False):
    opts = model_admin.opts
    return capfirst(opts.verbose_name_plural if plural else opts.verbose_name)


class PlainTitlesMixin:
    def changelist_view(self, request, extra_context=None):
        title = gettext("%(name)s list") % {"name": _name(self, plural=True)}
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def add_view(self, request, form_url="", extra_context=None):
        title = gettext("New %(name)s") % {"name": _name(self)}
        return super().add_view(request, form_url, {"title": title, **(extra_context or {})})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        title = gettext("%(name)s details") % {"name": _name(self)}
        return super().change_view(request, object_id, form_url, {"title": title, **(extra_context or {})})
