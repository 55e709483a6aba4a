"""How names are turned into search terms, the same way at index time and at query time.

search-notes.md: strip accents, drop titles, add adjacent-letter swaps by hand (Whoosh's fuzzy
matching does not count a transposition as one edit), sound-alike codes (double metaphone), and
a curated table of name equivalents for the variants no engine caught (Davies/Davey,
Graham/Graeme, Hughes/Hewes, Bill/William, Liz/Elizabeth).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

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

# Curated equivalents: each group is one name however it is spelt, shortened or nicknamed.
# Sources: common British given-name diminutives, and the surname variants that search-notes.md
# found every word-based engine missed. A word may belong to more than one group.
NAME_GROUPS: tuple[tuple[str, ...], ...] = (
    ("william", "bill", "billy", "will", "willie", "willy", "liam", "wills"),
    (
        "elizabeth",
        "elisabeth",
        "liz",
        "lizzie",
        "lizzy",
        "beth",
        "betty",
        "bess",
        "eliza",
        "libby",
        "lisa",
        "elspeth",
    ),
    ("robert", "rob", "robbie", "bob", "bobby", "bert"),
    ("richard", "rich", "richie", "rick", "ricky", "dick"),
    ("margaret", "maggie", "meg", "peggy", "marge", "margo", "margot", "greta", "mags"),
    (
        "katherine",
        "catherine",
        "kathryn",
        "katharine",
        "kathrine",
        "cathryn",
        "kate",
        "katie",
        "katy",
        "kath",
        "cath",
        "cathy",
        "kathy",
        "kitty",
        "kat",
    ),
    ("james", "jim", "jimmy", "jamie", "jimmie"),
    ("john", "jon", "johnny", "jack", "johnnie"),
    ("ian", "iain", "ean"),
    ("sean", "shaun", "shawn", "shane"),
    ("jonathan", "jon", "jonny", "johnathan", "jonathon"),
    ("michael", "mike", "mick", "mickey", "micky", "mikey", "michal"),
    ("christopher", "chris", "kit", "topher", "kris"),
    ("christine", "christina", "kristina", "kirsty", "kirstie", "chris", "tina", "kristine"),
    ("anthony", "antony", "tony", "anton"),
    ("edward", "ed", "eddie", "eddy", "ted", "teddy", "ned"),
    ("thomas", "tom", "tommy", "thom", "tomas", "tomasz"),
    ("alexander", "alex", "alec", "sandy", "alistair", "alasdair", "alastair", "sasha"),
    ("alexandra", "alex", "alexa", "sandra", "sasha", "lexie"),
    ("andrew", "andy", "drew", "andreas", "andrei"),
    ("daniel", "dan", "danny", "dani"),
    ("david", "dave", "davy", "davie", "dafydd", "dai"),
    ("stephen", "steven", "steve", "stevie", "stefan"),
    ("matthew", "matt", "matty", "mathew"),
    ("nicholas", "nick", "nicky", "nico", "nicolas"),
    ("nicola", "nikki", "nicky", "nicole"),
    ("patrick", "pat", "paddy", "padraig"),
    ("patricia", "pat", "trish", "tricia", "patsy"),
    ("peter", "pete", "piotr", "pedro"),
    ("samuel", "sam", "sammy"),
    ("samantha", "sam", "sammy"),
    ("joseph", "joe", "joey", "josef"),
    ("yusuf", "yousuf", "youssef", "yousef"),
    ("benjamin", "ben", "benny", "benji"),
    ("charles", "charlie", "chas", "chuck"),
    ("charlotte", "charlie", "lottie", "lotte"),
    ("frederick", "fred", "freddie", "freddy"),
    ("henry", "harry", "hal", "hank"),
    ("gregory", "greg"),
    ("timothy", "tim", "timmy"),
    ("philip", "phillip", "phil", "pip"),
    ("jennifer", "jenny", "jen", "jenni"),
    ("susan", "sue", "susie", "suzie", "suzanne", "susanna"),
    ("deborah", "debra", "debbie", "deb"),
    ("rebecca", "becky", "becca", "bex"),
    ("victoria", "vicky", "vicki", "vikki", "tori"),
    ("alison", "allison", "ali"),
    ("ann", "anne", "anna", "annie"),
    ("hannah", "hanna"),
    ("sarah", "sara", "sally"),
    ("rachel", "rachael"),
    ("jacqueline", "jackie", "jacqui"),
    ("helen", "helena", "ellen", "nell", "nellie"),
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
    ("geoffrey", "jeffrey", "geoff", "jeff", "jeffery"),
    ("lewis", "louis", "luis"),
    ("carl", "karl"),
    ("claire", "clare", "clair"),
    ("louise", "louisa", "lou", "lulu"),
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

_GROUPS_BY_WORD: dict[str, tuple[str, ...]] = {}
for _group in NAME_GROUPS:
    for _word in _group:
        _GROUPS_BY_WORD[_word] = (*_GROUPS_BY_WORD.get(_word, ()), _group[0])


def fold(text: str) -> str:
    """Lower case without accents: "Zoë Ní Bhriain" -> "zoe ni bhriain"."""
    text = unicodedata.normalize("NFKD", text.translate(_SPECIAL_LETTERS))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


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
