"""Writing both indexes together: a rebuild from scratch, or the professionals and providers that
changed, with the companies nobody publishes any more taken out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from whoosh import writing
from whoosh.query import Term

from interests.search import names
from interests.search.documents import PersonDocument, ProviderDocument
from interests.search.whoosh.indexes import ORGS, PEOPLE, create, searcher, writer
from interests.search.whoosh.schema import company_document, people_document, provider_document


def company_keys_of(directory: str, professional_ids: Iterable[int]) -> dict[int, set[str]]:
    """The company keys each professional's current document holds."""
    s = searcher(directory, PEOPLE)
    found: dict[int, set[str]] = {}
    for pid in professional_ids:
        stored = s.document(id=str(pid))
        if stored is not None:
            found[pid] = set((stored.get("companies") or "").split())
    return found


def _unused_company_keys(directory: str, keys: set[str], being_rewritten: set[int]) -> set[str]:
    """Of these company keys, those no professional outside ``being_rewritten`` still declares."""
    if not keys:
        return set()
    people = searcher(directory, PEOPLE)
    unused = set()
    for key in keys:
        hits = people.search(Term("companies", key), limit=len(being_rewritten) + 1)
        if all(int(hit["id"]) in being_rewritten for hit in hits):
            unused.add(key)
    return unused


class Writer:
    """Both indexes' write locks (people, then orgs: one order everywhere), and the changes."""

    def __init__(self, directory: str, rebuild: bool) -> None:
        self.directory = directory
        self.rebuild = rebuild
        if rebuild:
            create(directory)
        self.people = writer(directory, PEOPLE, **({"limitmb": 256} if rebuild else {}))
        try:
            self.orgs = writer(directory, ORGS)
        except BaseException:
            self.people.cancel()
            raise
        self.changed: dict[int, PersonDocument | None] = {}
        self.providers: list[ProviderDocument] = []
        self.companies: dict[str, str] = {}  # key -> label, for a rebuild

    def reserve(self, professional_ids: Iterable[int]) -> None:
        """Nothing to do: the indexes' write locks, taken above, already keep other writers out."""

    def put_people(self, documents: Mapping[int, PersonDocument | None]) -> None:
        if not self.rebuild:
            self.changed.update(documents)
            return
        for doc in documents.values():
            if doc is not None:
                self.people.add_document(**people_document(doc))
                for company in doc.companies:
                    self.companies.setdefault(names.company_key(company), company)

    def put_providers(self, providers: Iterable[ProviderDocument]) -> None:
        self.providers.extend(providers)

    def commit(self) -> None:
        if self.rebuild:
            for provider in self.providers:
                self.orgs.add_document(**provider_document(provider))
            for label in self.companies.values():
                self.orgs.add_document(**company_document(label))
            self.orgs.commit(mergetype=writing.CLEAR)
            self.people.commit(mergetype=writing.CLEAR)
            return
        if not self.changed and not self.providers:
            self.cancel()
            return
        old_keys = company_keys_of(self.directory, self.changed)
        labels: dict[str, str] = {}
        for doc in self.changed.values():
            for company in doc.companies if doc is not None else ():
                labels.setdefault(names.company_key(company), company)
        # Companies: add the new, remove those nobody else still publishes.
        orgs = searcher(self.directory, ORGS)
        for key, label in labels.items():
            if orgs.document(key=f"c:{key}") is None:
                self.orgs.add_document(**company_document(label))
        maybe_gone = set().union(*old_keys.values()) - set(labels) if old_keys else set()
        removed = _unused_company_keys(self.directory, maybe_gone, set(self.changed))
        for key in removed:
            self.orgs.delete_by_term("key", f"c:{key}")
        for provider in self.providers:
            self.orgs.update_document(**provider_document(provider))
        # A removed company name must not linger in deleted segments: merge the small index.
        self.orgs.commit(optimize=bool(removed))
        for pid, doc in self.changed.items():
            if doc is not None:
                self.people.update_document(**people_document(doc))
            else:
                self.people.delete_by_term("id", str(pid))
        self.people.commit()

    def cancel(self) -> None:
        for w in (self.orgs, self.people):
            if not w.is_closed:
                w.cancel()
