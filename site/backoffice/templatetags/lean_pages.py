"""The lean admin pages' scripts for a changelist (theme/templates/admin/change_list.html).

A ModelAdmin's media is one list for its change form and its changelist. A changelist whose media is
only the ModelAdmin's own gets:
- no urlify.js, prepopulate.js and xregexp (35 KB): prepopulated fields exist only on change forms;
- no jQuery (nor jquery.init.js and RelatedObjectLookups.js, which need it) unless it is a popup or
  an editable list: jQuery serves related-object popups and list_editable widgets;
- every script deferred, in order, so none holds up the first paint.
Any other media (a filter's or a widget's scripts) keeps Unfold's own script tags, untouched.
"""

from django import template
from django.forms import Media, Script

register = template.Library()

FORM_ONLY = {"admin/js/urlify.js", "admin/js/prepopulate.js",
             "admin/js/vendor/xregexp/xregexp.js", "admin/js/vendor/xregexp/xregexp.min.js"}
JQUERY = {"admin/js/vendor/jquery/jquery.js", "admin/js/vendor/jquery/jquery.min.js",
          "admin/js/jquery.init.js", "admin/js/admin/RelatedObjectLookups.js"}
MODEL_ADMIN_OWN = FORM_ONLY | JQUERY | {"admin/js/core.js", "admin/js/actions.js"}


@register.simple_tag
def changelist_scripts(media, cl, is_popup=False):
    """The changelist's <script> tags: deferred, without what this list cannot use."""
    scripts = media._js
    if not all(isinstance(path, str) and path in MODEL_ADMIN_OWN for path in scripts):
        return Media(js=scripts).render()
    dropped = FORM_ONLY if is_popup or cl.formset is not None else FORM_ONLY | JQUERY
    return Media(js=[Script(path, defer=True) for path in scripts if path not in dropped]).render()
