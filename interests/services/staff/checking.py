"""A staff list file, and checking it: the columns and the template, and every line checked
before anything is saved.

Every problem is listed with its line number as in the file (the header is line 1), the column
and what is wrong; a file with any problem is refused whole (`ImportRefused`). Columns (the
template): see COLUMNS. Dates as 2025-04-01 or 01/04/2025. Engagement type as the code or its
label ("bank" or "Bank staff"). Decision maker yes/no (blank is no).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from interests.rules.headings import heading_key, match_headings
from interests.rules.regulators import REGULATORS, find_regulator, normalise_registration_number
from interests.rules.vocabulary import ENGAGEMENT_TYPES

Progress = Callable[[str, int, int], None]  # (stage, done, total)
PROGRESS_EVERY = 1000  # rows checked between progress reports
MAX_PROBLEMS_SHOWN = 1000  # the first problems are listed; the count says how many in all
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    required_value: bool
    max_length: int = 150
    optional_column: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("given_name", "Given name", True, 100),
    Column("family_name", "Family name", True, 100),
    Column("regulator", "Regulator", True, 10),
    Column("registration_number", "Registration number", True, 20),
    Column("email", "Email", False, 320),
    Column("engagement_type", "Engagement type", True, 40),
    Column("role", "Role", True, 150),
    Column("department", "Department", False, 150),
    Column("start_date", "Start date", True, 10),
    Column("end_date", "End date", False, 10),
    Column("decision_maker", "Decision maker", False, 5),
    Column("profession", "Profession", False, 100, optional_column=True),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
TEMPLATE_EXAMPLE = (
    "Amira",
    "Okafor",
    "GMC",
    "1234567",
    "amira.okafor@example.nhs.uk",
    "employee",
    "Consultant urogynaecologist",
    "Gynaecology",
    "2024-04-01",
    "",
    "yes",
    "Doctor",
)
_TYPE_BY_WORD = {
    **{term.code: term.code for term in ENGAGEMENT_TYPES},
    **{term.label.lower(): term.code for term in ENGAGEMENT_TYPES},
    "locum or agency": "locum",
    "agency": "locum",
    "practising privileges": "practising_privileges",
    "contractor": "contractor",
    "partner": "contractor",
}
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def template_csv() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.heading for column in COLUMNS])
    writer.writerow(TEMPLATE_EXAMPLE)
    return buffer.getvalue()


@dataclass(frozen=True)
class Problem:
    line: int | None
    column: str | None
    message: str


@dataclass
class Problems:
    """A file's problems, by line and column: the first MAX_PROBLEMS_SHOWN listed, all counted.
    Any problem means nothing may be saved (a staff list; a Disclosure UK file)."""

    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add(self, line: int | None, column: str | None, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_SHOWN:
            self.problems.append(Problem(line, column, message))


@dataclass(frozen=True)
class StaffRow:
    line: int
    given_name: str
    family_name: str
    regulator: str
    registration_number: str
    email: str | None
    engagement_type: str
    role: str
    department: str | None
    start_date: date
    end_date: date | None
    decision_maker: bool
    profession: str | None


@dataclass
class Checked(Problems):
    """The result of checking a file: clean rows, or problems (then nothing may be saved)."""

    rows: list[StaffRow] = field(default_factory=list)
    sha256: str = ""


class ImportRefused(ValueError):
    """The file has problems; nothing was saved."""

    def __init__(self, checked: Checked) -> None:
        super().__init__(f"The file has {checked.problem_count} problem(s); nothing was saved")
        self.checked = checked


_KEY_BY_HEADING = {heading_key(column.heading): column.key for column in COLUMNS}
_KEY_BY_HEADING.update({heading_key(column.key): column.key for column in COLUMNS})
_KEY_BY_HEADING.update(
    {"email address": "email", "start": "start_date", "end": "end_date", "decision-maker": "decision_maker"}
)


def decode(content: bytes, checked: Checked) -> str | None:
    """The file's text if it is UTF-8 (with or without a byte order mark)."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        checked.add(
            None,
            None,
            "The file is saved as UTF-16 (Unicode text). "
            "Save it as 'CSV UTF-8 (Comma delimited)' and try again",
        )
        return None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        checked.add(
            line,
            None,
            "The file is not saved as UTF-8. In your spreadsheet choose 'Save as' and "
            "'CSV UTF-8 (Comma delimited)', then try again",
        )
        return None


def parse_date(text: str) -> date | None | str:
    """A date, None for blank, or a problem ("not a real date" / "format")."""
    text = text.strip()
    if not text:
        return None
    match = _ISO_DATE.fullmatch(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = _UK_DATE.fullmatch(text)
        if not match:
            return "format"
        day, month, year = (int(part) for part in match.groups())
    if not 1900 <= year <= 2100:
        return "real"
    try:
        return date(year, month, day)
    except ValueError:
        return "real"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def check(content: bytes, *, progress: Progress | None = None) -> Checked:
    """Check a whole staff-list file in one streaming pass. Nothing is saved."""
    checked = Checked(sha256=sha256(content))
    text = decode(content, checked)
    if text is None:
        return checked
    if not text.strip():
        checked.add(1, None, "The file is empty. Use the template: a header line, then one line per person")
        return checked
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except csv.Error as exc:
        checked.add(1, None, f"The header line cannot be read: {exc}")
        return checked
    header_text = ",".join(header)
    if len(header) == 1 and (";" in header_text or "\t" in header_text):
        separator = "semicolons" if header_text.count(";") >= header_text.count("\t") else "tabs"
        checked.add(
            1,
            None,
            f"The columns are separated by {separator}, not commas. Save the file as "
            "'CSV UTF-8 (Comma delimited)' and try again",
        )
        return checked
    headings = match_headings(header, _KEY_BY_HEADING)
    positions = headings.positions
    for key in headings.repeated:
        checked.add(1, COLUMN_BY_KEY[key].heading, f"The column {COLUMN_BY_KEY[key].heading} appears twice")
    for column in COLUMNS:
        if column.key not in positions and not column.optional_column:
            checked.add(
                1, column.heading, f"The file has no {column.heading} column. Use the template's headings"
            )
    if not checked.ok:
        return checked
    width = len(header)
    # One search of the whole file, rather than one per value (600,000 in a 50,000-line file):
    # only when it finds a control character are the values searched one by one, to name them.
    control_characters = _CONTROL_CHARACTERS.search(text) is not None
    seen: dict[tuple[str, str], int] = {}
    previous_end = 1
    count = 0
    try:
        for record in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress("checking", count, 0)
            if len(record) != width:
                checked.add(
                    line,
                    None,
                    f"This line has {len(record)} values but the header has {width} columns. "
                    "Check for a missing or extra comma, or a value with a comma that is not in quotes",
                )
                continue
            row = _check_row(
                line, {key: record[index] for key, index in positions.items()}, checked, control_characters
            )
            if row is None:
                continue
            identity = (row.regulator, row.registration_number)
            first = seen.get(identity)
            if first is not None:
                checked.add(
                    line,
                    "Registration number",
                    f"{row.regulator} {row.registration_number} is already on line {first}: "
                    "list each person once",
                )
                continue
            seen[identity] = line
            checked.rows.append(row)
    except csv.Error as exc:
        checked.add(previous_end + 1, None, f"This line cannot be read: {exc}")
    if checked.ok and not checked.rows:
        checked.add(2, None, "The file has a header line but no staff. Add one line per person")
    if not checked.ok:
        checked.rows = []  # never half a file
    return checked


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def _check_row(
    line: int, values: dict[str, str], checked: Checked, control_characters: bool = True
) -> StaffRow | None:
    """One line's values, cleaned and checked (``control_characters``: whether the file has any)."""
    before = checked.problem_count
    clean: dict[str, str] = {}
    for column in COLUMNS:
        raw = values.get(column.key, "")
        if control_characters and _CONTROL_CHARACTERS.search(raw):
            checked.add(line, column.heading, f"{column.heading} must not include control characters")
            continue
        value = (
            _SPACES.sub(" ", raw).strip()
            if ("  " in raw or "\n" in raw or "\t" in raw or "\r" in raw)
            else raw.strip()
        )
        if column.required_value and not value:
            checked.add(line, column.heading, f"Enter the {column.heading.lower()}")
            continue
        if len(value) > column.max_length:
            checked.add(
                line, column.heading, f"{column.heading} must be {column.max_length:,} characters or fewer"
            )
            continue
        clean[column.key] = value
    regulator = None
    if clean.get("regulator"):
        regulator = find_regulator(clean["regulator"])
        if regulator is None:
            known = ", ".join(r.code for r in REGULATORS)
            checked.add(line, "Regulator", f"Unknown regulator '{clean['regulator']}': use one of {known}")
    number = normalise_registration_number(clean.get("registration_number", ""))
    if regulator is not None and number and not regulator.pattern.fullmatch(number):
        checked.add(
            line,
            "Registration number",
            f"'{clean['registration_number']}' is not a {regulator.code} registration number: "
            f"it should look like {regulator.example}",
        )
    engagement_type = None
    if clean.get("engagement_type"):
        engagement_type = _TYPE_BY_WORD.get(clean["engagement_type"].lower())
        if engagement_type is None:
            known = ", ".join(term.code for term in ENGAGEMENT_TYPES)
            checked.add(
                line,
                "Engagement type",
                f"Unknown engagement type '{clean['engagement_type']}': use one of {known}",
            )
    dates: dict[str, date | None] = {}
    for key in ("start_date", "end_date"):
        if key not in clean:
            continue
        heading = COLUMN_BY_KEY[key].heading
        parsed = parse_date(clean[key])
        if parsed == "format":
            checked.add(
                line, heading, f"{heading} '{clean[key]}' must be a date like 2025-04-01 or 01/04/2025"
            )
        elif parsed == "real":
            checked.add(line, heading, f"{heading} '{clean[key]}' is not a real date")
        else:
            dates[key] = parsed  # type: ignore[assignment]
    start, end = dates.get("start_date"), dates.get("end_date")
    if start is not None and end is not None and end < start:
        checked.add(line, "End date", "End date must be the same as or after the start date")
    decision = (clean.get("decision_maker") or "").lower()
    if "decision_maker" in clean and decision not in _YES | _NO:
        checked.add(line, "Decision maker", "Decision maker must be yes or no")
    email = clean.get("email") or None
    if email and not EMAIL_PATTERN.fullmatch(email):
        checked.add(
            line, "Email", f"'{email}' is not an email address: it should look like name@example.nhs.uk"
        )
    if checked.problem_count != before or regulator is None or engagement_type is None or start is None:
        return None
    return StaffRow(
        line=line,
        given_name=clean["given_name"],
        family_name=clean["family_name"],
        regulator=regulator.code,
        registration_number=number,
        email=email.lower() if email else None,
        engagement_type=engagement_type,
        role=clean["role"],
        department=clean.get("department") or None,
        start_date=start,
        end_date=end,
        decision_maker=decision in _YES,
        profession=clean.get("profession") or regulator.professions[0],
    )
