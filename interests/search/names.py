"""How names are turned into search terms, the same way at index time and at query time.

search-notes.md: strip accents, drop titles, add adjacent-letter swaps by hand (Whoosh's fuzzy
matching does not count a transposition as one edit), sound-alike codes (double metaphone), and
name equivalents for the variants no engine caught: nicknames from a maintained dataset
(Bill/William, Peggy/Margaret), and the project's own spellings (Davies/Davey, Graham/Graeme,
Hughes/Hewes).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import cache

from nicknames import name_triplets
from whoosh.lang.dmetaphone import double_metaphone

# Titles and honorifics a patient may type before a name; they are not part of the name.
TITLES = frozenset(
    {
        "dr",
        "doctor",
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "prof",
        "professor",
        "sir",
        "dame",
        "lord",
        "lady",
        "rev",
        "revd",
        "reverend",
        "nurse",
        "sister",
        "matron",
        "mister",
        "consultant",
        "surgeon",
    }
)

# Letters NFKD does not split into a base letter and an accent.
_SPECIAL_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ı": "i",
        "œ": "oe",
        "Œ": "OE",
        "þ": "th",
    }
)
_APOSTROPHES = re.compile(r"['\u2019\u2018`\u00b4]")
_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower case without accents: "Zoë Ní Bhriain" -> "zoe ni bhriain"."""
    text = unicodedata.normalize("NFKD", text.translate(_SPECIAL_LETTERS))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


# Nicknames come from a maintained dataset (the `nicknames` package: hand-curated English given
# names and their diminutives, "Robert" -> Bob, Bobby, Rob...): each of its given names is a group
# with its nicknames. The project keeps its own groups below for what that dataset does not hold:
# spellings of one name (Catherine, Katherine, Kathryn), British and Welsh forms (Liam, Dafydd), and
# the surname variants search-notes.md found every word-based engine missed. A word may belong to
# more than one group; a nickname or variant scores below the exact name (tiers.py).
SPELLING_GROUPS: tuple[tuple[str, ...], ...] = (
    ("william", "liam", "wills"),
    ("elizabeth", "elisabeth", "elspeth"),
    ("robert", "robbie", "bert"),
    ("margaret", "margo", "margot", "greta", "mags"),
    (
        "katherine",
        "catherine",
        "kathryn",
        "katharine",
        "kathrine",
        "cathryn",
        "katie",
        "kath",
        "cath",
        "kitty",
        "kat",
    ),
    ("john", "johnnie"),
    ("ian", "iain", "ean"),
    ("sean", "shaun", "shawn", "shane"),
    ("michael", "michal"),
    ("christopher", "topher", "kris"),
    ("christine", "christina", "kristina", "kirsty", "kirstie", "kristine"),
    ("anthony", "antony", "anton"),
    ("thomas", "tomas", "tomasz"),
    ("alexander", "alistair", "alasdair", "alastair", "sasha"),
    ("alexandra", "alexa", "sasha", "lexie"),
    ("andrew", "andreas", "andrei"),
    ("daniel", "dani"),
    ("david", "davy", "davie", "dafydd", "dai"),
    ("stephen", "steven", "stevie", "stefan"),
    ("matthew", "mathew"),
    ("nicholas", "nicolas"),
    ("nicola", "nikki", "nicky", "nicole"),
    ("patrick", "padraig"),
    ("peter", "piotr", "pedro"),
    ("joseph", "josef"),
    ("yusuf", "yousuf", "youssef", "yousef"),
    ("benjamin", "benji"),
    ("charles", "chas"),
    ("charlotte", "charlie", "lotte"),
    ("philip", "phillip"),
    ("susan", "suzanne", "susanna"),
    ("deborah", "debra"),
    ("rebecca", "bex"),
    ("victoria", "vikki"),
    ("alison", "allison"),
    ("ann", "anne", "anna"),
    ("hannah", "hanna"),
    ("helen", "helena", "nell", "nellie"),
    ("zoe", "zoey"),
    ("chloe", "khloe"),
    ("siobhan", "shevaun", "chevonne"),
    (
        "mohammed",
        "muhammad",
        "mohamed",
        "mohammad",
        "muhammed",
        "mohamad",
        "mohd",
        "mehmet",
        "mohammod",
        "muhammet",
    ),
    ("ahmed", "ahmad", "ahmet"),
    ("hussain", "hussein", "husain", "hussan"),
    ("aisha", "ayesha", "aysha", "ayse"),
    ("fatima", "fatimah", "fatma"),
    ("graham", "graeme", "grahame"),
    ("neil", "neal", "niall", "neill"),
    ("geoffrey", "jeffrey", "jeffery"),
    ("lewis", "louis", "luis"),
    ("carl", "karl"),
    ("louise", "louisa", "lulu"),
    ("jane", "jayne", "jayn"),
    ("catriona", "katrina", "catrina"),
    ("bjorn", "bjoern"),
    ("ciaran", "kieran", "kieron"),
    # Surnames
    ("smith", "smyth", "smythe"),
    ("davies", "davis", "davey", "davy", "davie", "daveys"),
    ("hughes", "hewes", "hughs", "hewe"),
    ("thompson", "thomson", "tomson"),
    ("stewart", "stuart", "steward"),
    ("reid", "reed", "read", "reade"),
    ("clark", "clarke", "clerk"),
    ("brown", "browne"),
    ("green", "greene"),
    ("phillips", "philips", "phillipps"),
    ("matthews", "mathews"),
    ("jeffries", "jefferies", "jeffreys", "jeffrey"),
    ("stephenson", "stevenson"),
    ("chaudhry", "chaudhary", "chaudhri", "choudhury", "chowdhury", "choudhry"),
    ("rahman", "rehman"),
    ("oneill", "oneil", "oneal", "oneale"),
    ("obrien", "obryan", "obrian"),
    ("patterson", "paterson"),
    ("lloyd", "loyd"),
    ("llewellyn", "llewelyn", "lewellyn", "llewelin"),
)


def _nickname_groups() -> tuple[tuple[str, ...], ...]:
    """The dataset's given names, each with its nicknames, as groups of single folded words."""
    nicknames: dict[str, set[str]] = {}
    for triplet in name_triplets():
        if triplet.relationship != "has_nickname":
            continue
        given, nickname = _WORD.findall(fold(triplet.name1)), _WORD.findall(fold(triplet.name2))
        if len(given) == 1 and len(nickname) == 1 and given != nickname:
            nicknames.setdefault(given[0], set()).add(nickname[0])
    return tuple((given, *sorted(nicks)) for given, nicks in sorted(nicknames.items()))


NAME_GROUPS: tuple[tuple[str, ...], ...] = _nickname_groups() + SPELLING_GROUPS

_GROUPS_BY_WORD: dict[str, tuple[str, ...]] = {}
for _group in NAME_GROUPS:
    for _word in _group:
        if _group[0] not in _GROUPS_BY_WORD.get(_word, ()):  # the dataset's William and ours are one
            _GROUPS_BY_WORD[_word] = (*_GROUPS_BY_WORD.get(_word, ()), _group[0])


def words(text: str) -> list[str]:
    """The words of a name or query: folded, apostrophes removed (O'Neill -> oneill), split on the rest."""
    return _WORD.findall(_APOSTROPHES.sub("", fold(text)))


def name_words(text: str) -> list[str]:
    """Words of a name as typed by a patient: titles dropped, "O Neill" joined to "oneill"."""
    found = [w for w in words(text) if w not in TITLES]
    joined: list[str] = []
    skip = False
    for i, word in enumerate(found):
        if skip:
            skip = False
            continue
        if word == "o" and i + 1 < len(found):  # "O Neill" typed with a space
            joined.append("o" + found[i + 1])
            skip = True
        else:
            joined.append(word)
    return joined


def index_words(name: str) -> list[str]:
    """Terms a stored name is indexed under: each word, the joined form of hyphenated and
    apostrophe names (Smith-Jones -> smithjones; O'Neill -> oneill and neill)."""
    folded = fold(name)
    terms = list(words(name))
    for part in re.split(r"\s+", folded):
        if "-" in part:
            terms.append(re.sub(r"[^a-z0-9]", "", _APOSTROPHES.sub("", part)))
        apostrophe = _APOSTROPHES.split(part)
        if len(apostrophe) == 2 and apostrophe[1]:
            terms.append(re.sub(r"[^a-z0-9]", "", apostrophe[1]))
    return [t for t in dict.fromkeys(terms) if t]


def mac_key(word: str) -> str | None:
    """MacDonald and McDonald are one name."""
    if word.startswith("mac") and len(word) > 5:
        return "mc" + word[3:]
    if word.startswith("mc") and len(word) > 4:
        return "mc" + word[2:]
    return None


def equivalence_keys(word: str) -> list[str]:
    keys = list(_GROUPS_BY_WORD.get(word, ()))
    mac = mac_key(word)
    if mac:
        keys.append(mac)
        keys.extend(_GROUPS_BY_WORD.get("mac" + mac[2:], ()))
    return keys


@cache
def _words_of_group(key: str) -> frozenset[str]:
    return frozenset(w for w, groups in _GROUPS_BY_WORD.items() if key in groups)


def _words_with_keys(keys: frozenset[str]) -> set[str]:
    """Every word whose equivalence keys include one of these (equivalence_keys, turned round)."""
    found: set[str] = set()
    for key in keys:
        for word in _words_of_group(key):
            found.add(word)
            if word.startswith("mac") and mac_key(word):  # its Mc form has its groups too
                found.add("mc" + word[3:])
        if key.startswith("mc"):  # a Mac/Mc key: both spellings
            found.update((key, "mac" + key[2:]))
    return {word for word in found if keys.intersection(equivalence_keys(word))}


@cache
def key_held_with(keys: frozenset[str]) -> str | None:
    """One of these equivalence keys that everyone holding any of them holds too (every word with
    one of the keys has it: Thomas, Tom and Thom all have "thomas"), or None."""
    words = _words_with_keys(keys)
    for key in sorted(keys):
        if all(key in equivalence_keys(word) for word in words):
            return key
    return None


def sound_codes(word: str) -> list[str]:
    if not word.isalpha() or len(word) < 2:
        return []
    primary, secondary = double_metaphone(word)
    return [code for code in dict.fromkeys((primary, secondary)) if code]


def swaps(word: str) -> list[str]:
    """Each adjacent-letter swap of a word ("williasm" -> "willisam"...): a transposition is one
    typing mistake, but two edits to Whoosh's Levenshtein automaton."""
    found = []
    for i in range(len(word) - 1):
        if word[i] != word[i + 1]:
            found.append(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    return found


def company_key(name: str) -> str:
    """An opaque key for a company name. The big index holds only this, never the name, so a
    name removed from the register (withheld later) leaves no readable trace there."""
    return hashlib.sha256(" ".join(words(name)).encode()).hexdigest()[:20]
