"""``manage.py check`` (and every start-up) resolves what modules declare by name: each dotted path
imports, each template loads, each model label exists, each menu URL name reverses. A typo in a
``module.py`` fails here, naming the module and the field, instead of on first use."""

from django.apps import apps
from django.core import checks
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from . import registry


def _dotted(module, field, path):
    if not path:
        return None
    try:
        import_string(path)
    except ImportError as error:
        return checks.Error(f"module {module.key!r}: {field} {path!r} does not resolve ({error})",
                            obj=f"{module.key}.module", id="registry.E001")
    return None


def _template(module, field, name):
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return checks.Error(f"module {module.key!r}: {field} template {name!r} does not exist",
                            obj=f"{module.key}.module", id="registry.E002")
    return None


def _model(module, field, label, *, needs=(), column=None):
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return checks.Error(f"module {module.key!r}: {field} {label!r} is not a model (\"app_label.Model\")",
                            obj=f"{module.key}.module", id="registry.E003")
    if column and column not in {f.name for f in model._meta.concrete_fields}:
        return checks.Error(f"module {module.key!r}: {field} {label!r} has no field {column!r}",
                            obj=f"{module.key}.module", id="registry.E003")
    missing = [name for name in needs if not hasattr(model, name)]
    if missing:
        return checks.Error(f"module {module.key!r}: {field} {label!r} has no {', '.join(missing)}()",
                            hint="The document carries its own glue: what the approver reads on the decide page.",
                            obj=f"{module.key}.module", id="registry.E005")
    return None


def _link(module, field, link):
    if link.startswith("/"):
        return None
    try:
        reverse(link)
    except NoReverseMatch:
        return checks.Error(f"module {module.key!r}: {field} URL name {link!r} does not reverse",
                            obj=f"{module.key}.module", id="registry.E004")
    return None


def _problems(module):
    yield _dotted(module, "admin_urls", module.admin_urls)
    yield _dotted(module, "demo", module.demo)
    for widget in module.widgets:
        yield _dotted(module, f"widgets[{widget.key}].callable", widget.callable)
        yield _template(module, f"widgets[{widget.key}]", widget.template)
    for schedule in module.schedules:
        yield _dotted(module, f"schedules[{schedule.name}].job", schedule.job)
    for condition in module.health_conditions:
        yield _dotted(module, f"health_conditions[{condition.key}].check", condition.check)
    for subscription in module.subscriptions:
        yield _dotted(module, f"subscriptions[{subscription.event}].handler", subscription.handler)
    for topic in module.outbox_topics:
        yield _dotted(module, f"outbox_topics[{topic.name}].handler", topic.handler)
    for rule in module.approval_rules:
        yield _model(module, "approval_rules document", rule.document, needs=("approval_details",))
        yield _dotted(module, f"approval_rules[{rule.document}].on_approved", rule.on_approved)
    for label in module.append_only:
        yield _model(module, "append_only", label)
    for retention in module.retention:
        yield _model(module, "retention", retention.model, column=retention.field)
    if module.fiscal_receipt:
        for name in ("block", "issue", "check_buyer"):
            yield _dotted(module, f"fiscal_receipt.{name}", getattr(module.fiscal_receipt, name))
        yield _template(module, "fiscal_receipt", module.fiscal_receipt.template)
    for item in module.menu:
        yield _link(module, f"menu[{item.title}].link", item.link)
    if module.public:
        for kind in module.public.requests:
            yield _dotted(module, f"public.requests[{kind.key}].create", kind.create)
        for lookup in module.public.lookups:
            yield _dotted(module, f"public.lookups[{lookup.key}].callable", lookup.callable)
            yield _dotted(module, f"public.lookups[{lookup.key}].reference_key", lookup.reference_key)
            yield _template(module, f"public.lookups[{lookup.key}]", lookup.template)


@checks.register()
def declarations_resolve(app_configs=None, **kwargs):
    return [problem for module in registry.modules() for problem in _problems(module) if problem]
