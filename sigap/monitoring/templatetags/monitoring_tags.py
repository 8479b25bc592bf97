from django import template

register = template.Library()


@register.simple_tag
def fig(texts: dict[str, str], *parts: object) -> str:
    """The text of the figure whose key is `parts` joined (the page's `data-figure`)."""
    return texts.get("".join(str(p) for p in parts), "—")
