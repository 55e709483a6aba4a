"""How and where the provider publishes its register."""

from __future__ import annotations

from typing import Any

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from interests.manage.common import MANAGERS, bp, current_account, provider_or_404
from interests.manage.forms import (
    PublicationForm,
)
from interests.security import roles_required
from interests.services import (
    publication_settings,
)

# --- Publication -----------------------------------------------------------------------------


@bp.route("/<slug>/publication", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def publication(slug: str) -> Any:
    provider = provider_or_404(slug)
    current = publication_settings.current(provider)
    form = PublicationForm(
        data={
            "has_website": "yes" if current.has_website else "no",
            "website_url": current.website_url or "",
            "contact_name": current.contact_name or "",
            "contact_email": current.contact_email or "",
            "contact_phone": current.contact_phone or "",
        }
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        changed = publication_settings.change(
            provider,
            publication_settings.PublicationSettings(
                has_website=form.has_website.data == "yes",
                website_url=form.website_url.data or None,
                contact_name=form.contact_name.data or None,
                contact_email=form.contact_email.data or None,
                contact_phone=form.contact_phone.data or None,
            ),
            actor=current_account(),
        )
        flash("Publication settings saved" if changed else "Nothing was changed", "success")
        return redirect(url_for("manage.publication", slug=slug))
    return render_template(
        "manage/publication.html",
        provider=provider,
        form=form,
        register_url=publication_settings.register_url(provider),
        print_url=publication_settings.print_url(provider),
        snippets=publication_settings.snippets(provider),
    )
