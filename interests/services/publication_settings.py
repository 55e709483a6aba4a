"""A provider's publication settings: its website, whether it has none (then the printable on-site
register is its register, First Do No Harm response 9.7), and the contact for patients' questions."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from flask import current_app

from interests.models import Account, Provider, utcnow
from interests.services import audit, search_index
from interests.services.outbox import absolute_url


@dataclass(frozen=True)
class PublicationSettings:
    has_website: bool
    website_url: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None


def current(provider: Provider) -> PublicationSettings:
    return PublicationSettings(
        has_website=provider.has_website,
        website_url=provider.website_url,
        contact_name=provider.contact_name,
        contact_email=provider.contact_email,
        contact_phone=provider.contact_phone,
    )


def change(provider: Provider, settings: PublicationSettings, *, actor: Account) -> bool:
    before = current(provider)
    if before == settings:
        return False
    for name, value in asdict(settings).items():
        setattr(provider, name, value)
    provider.register_updated_at = utcnow()
    audit.record(
        "provider.publication_changed",
        provider,
        actor=actor,
        provider_id=provider.id,
        summary=f"Changed how {provider.name} publishes its register",
        data={"before": asdict(before), "after": asdict(settings)},
    )
    search_index.schedule(provider_id=provider.id)
    return True


def _public_path(provider: Provider, suffix: str = "") -> str:
    """The public contract's /providers/<slug> address (built by the public pages' own route if known)."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule == "/providers/<slug>" + suffix and "GET" in (rule.methods or ()):
            return absolute_url(rule.endpoint, slug=provider.slug)
    return absolute_url("public.start").rstrip("/") + f"/providers/{provider.slug}{suffix}"


def register_url(provider: Provider) -> str:
    return _public_path(provider)


def print_url(provider: Provider) -> str:
    return _public_path(provider, "/print")


def snippets(provider: Provider) -> dict[str, str]:
    """HTML to paste into the provider's own website: a link, and an embedded frame."""
    url = register_url(provider)
    name = (
        provider.name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
    return {
        "link": f'<a href="{url}">Declared interests of our healthcare professionals ({name})</a>',
        "embed": (
            f'<iframe src="{url}" title="Declared interests of healthcare professionals at {name}" '
            'width="100%" height="800" loading="lazy"></iframe>'
        ),
    }
