"""Reading one cell: numbers, amounts, dates, times, countries, platforms and currencies as real exports spell them.

Each reader returns the value or raises ``Bad`` carrying the form that was expected (a lazy translated phrase
that completes "… is not {expected}"). Missing cells (empty, "N/A", "None", "-") read as None, never 0.

Two readings depend on the whole file rather than on the cell: whether "1,234" means one thousand two hundred
and thirty-four or one point two three four, and whether "05/04/2026" is the 4th of May or the 5th of April.
``FileStyle`` holds those decisions; the reader takes them from the first batch of rows (see
``FileStyle.learn``) so that every row of a file is read the same way.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from .countries import COMMON_NAMES, COUNTRIES, UNKNOWN_COUNTRY
from .currencies import EXTRA_CODES, ISO_4217, SPELLINGS

MISSING = frozenset({"", "n/a", "na", "#n/a", "none", "null", "nil", "nan", "-", "--", "—", "–", "(none)"})

EXPECTED_INTEGER = _("a whole number such as 1234 or 1 234")
EXPECTED_COUNT = _("a whole number, zero or more")
EXPECTED_AMOUNT = _("an amount such as 1234.56, 1 234,56 or 1,234.56")
EXPECTED_DATE = _("a date such as 2026-05-01, 01.05.2026 or 05/01/2026")
EXPECTED_DATETIME = _("a date and time such as 2026-05-01 13:45:00")
EXPECTED_COUNTRY = _("a country code (ISO 3166-1 alpha-2 or alpha-3) or a country name")
EXPECTED_CURRENCY = _("a three-letter currency code such as USD")
EXPECTED_PRESENT = _("filled in (the column is required)")
EXPECTED_UTC_OFFSET = _("an offset from UTC in hours such as +3, -5, 0 or +5:30")


class Bad(ValueError):
    """A cell that cannot be read; ``expected`` names the form that would have been read."""

    def __init__(self, expected):
        super().__init__(str(expected))
        self.expected = expected


def is_missing(raw) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip().lower() in MISSING)


# ---------------------------------------------------------------------------------------------- numbers

# Grouping spaces: ordinary, no-break, narrow no-break and thin spaces, and the Swiss apostrophe.
_GROUPING = str.maketrans("", "", " \u00a0\u202f\u2009'’")
_PLAIN_INT = re.compile(r"-?[0-9]+", re.ASCII)
PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)
_DIGITS = re.compile(r"-?[0-9]+", re.ASCII)
_GROUPED = re.compile(r"-?[0-9]{1,3}(?:[.,][0-9]{3})+", re.ASCII)  # thousands in groups of three


class FileStyle:
    """Per-file decisions for ambiguous spellings, learnt from the first batch of cells.

    ``decimal_comma``: a lone comma followed by exactly three digits ("1,234") and a lone point followed by
    exactly three digits ("1.234") are ambiguous; everything else says which separator is the decimal one.
    ``day_first``: "05/04/2026" is ambiguous; a day above 12 in either place decides it for the file.
    """

    def __init__(self, *, delimiter: str = ","):
        # A semicolon-separated file is almost always written where the comma is the decimal separator.
        self.decimal_comma = delimiter == ";"
        self.day_first: bool | None = None  # None: not decided yet (month first, as US exporters write)
        self.decided_numbers = False

    def learn_number(self, text: str) -> None:
        if self.decided_numbers or not text:
            return
        text = text.translate(_GROUPING)
        comma, point = text.rfind(","), text.rfind(".")
        if comma >= 0 and point >= 0:
            self.decimal_comma, self.decided_numbers = comma > point, True
        elif comma >= 0 and text.count(",") == 1 and len(text) - comma - 1 != 3:
            self.decimal_comma, self.decided_numbers = True, True
        elif point >= 0 and text.count(".") == 1 and len(text) - point - 1 != 3:
            self.decimal_comma, self.decided_numbers = False, True

    def learn_date(self, text: str) -> None:
        if self.day_first is not None or not text:
            return
        match = SLASH_DATE.match(text.strip())
        if match:
            first, second = int(match["a"]), int(match["b"])
            if first > 12 >= second:
                self.day_first = True
            elif second > 12 >= first:
                self.day_first = False


def _normalise_number(text: str, style: FileStyle) -> str | None:
    """The number in ``text`` as a plain "-1234.56" string, or None when it is not a number."""
    text = text.translate(_GROUPING)
    negative = text.startswith("(") and text.endswith(")")  # accounting style: (12.50) is -12.50
    if negative:
        text = text[1:-1]
    if text.startswith("+"):
        text = text[1:]
    comma, point = text.rfind(","), text.rfind(".")
    if comma >= 0 and point >= 0:
        decimal_at = max(comma, point)
        whole, fraction = text[:decimal_at], text[decimal_at + 1 :]
        if not _GROUPED.fullmatch(whole) or not fraction.isdigit():
            return None
        text = whole.replace(",", "").replace(".", "") + "." + fraction
    elif comma >= 0:
        if text.count(",") > 1 or (len(text) - comma - 1 == 3 and not style.decimal_comma):
            if not _GROUPED.fullmatch(text):
                return None
            text = text.replace(",", "")
        else:
            text = text.replace(",", ".")
    elif point >= 0 and (text.count(".") > 1 or (len(text) - point - 1 == 3 and style.decimal_comma)):
        if not _GROUPED.fullmatch(text):
            return None
        text = text.replace(".", "")
    if not PLAIN_DECIMAL.fullmatch(text):
        return None
    if negative:
        text = text[1:] if text.startswith("-") else "-" + text
    return text


def read_count(raw, style: FileStyle) -> int | None:
    """A whole number of impressions, clicks, installs... (JSON may send it as a string or a number)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, Decimal):
        if raw != raw.to_integral_value():
            raise Bad(EXPECTED_INTEGER)
        value = int(raw)
    else:
        if raw is None:
            return None
        if not isinstance(raw, str):  # true/false, a list or an object in a JSON row
            raise Bad(EXPECTED_INTEGER)
        text = raw.strip()
        if text.isascii() and text.isdigit():
            return int(text)
        if _PLAIN_INT.fullmatch(text):
            value = int(text)
        else:
            if text.lower() in MISSING:
                return None
            plain = _normalise_number(text, style)
            if plain is None:
                raise Bad(EXPECTED_INTEGER)
            number = Decimal(plain)
            if number != number.to_integral_value():
                raise Bad(EXPECTED_INTEGER)
            value = int(number)
    if value < 0:
        raise Bad(EXPECTED_COUNT)
    return value


def read_amount(raw, style: FileStyle) -> tuple[Decimal | None, str]:
    """An amount and the currency its spelling names, if any ("$12.50" -> (12.50, "USD"), "12,50 €")."""
    if isinstance(raw, Decimal | int) and not isinstance(raw, bool):
        return Decimal(raw), ""
    if raw is None:
        return None, ""
    if not isinstance(raw, str):  # true/false, a list or an object in a JSON row (JSON floats arrive as Decimal)
        raise Bad(EXPECTED_AMOUNT)
    text = raw.strip()
    if PLAIN_DECIMAL.fullmatch(text):
        return Decimal(text), ""
    if text.lower() in MISSING:
        return None, ""
    currency = ""
    start, end = 0, len(text)
    while start < end and not (text[start].isdigit() or text[start] in "-+(.,"):
        start += 1
    while end > start and not (text[end - 1].isdigit() or text[end - 1] == ")"):
        end -= 1
    prefix, suffix = text[:start].strip(), text[end:].strip()
    if prefix or suffix:
        currency = currency_from_spelling(prefix or suffix) if not (prefix and suffix) else ""
        if not currency:
            raise Bad(EXPECTED_AMOUNT)
        text = text[start:end].strip()
    plain = _normalise_number(text, style)
    if plain is None:
        raise Bad(EXPECTED_AMOUNT)
    try:
        return Decimal(plain), currency
    except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
        raise Bad(EXPECTED_AMOUNT) from None


# ---------------------------------------------------------------------------------------------- dates

_ISO_DATE = re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})")
_DOT_DATE = re.compile(r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})")
SLASH_DATE = re.compile(r"(?P<a>\d{1,2})[/-](?P<b>\d{1,2})[/-](?P<y>\d{4})")
_TIME = re.compile(
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,6})\d*)?)?)?"
    r"\s*(?P<tz>Z|UTC|[+-]\d{2}:?\d{2})?"
)
_NAMED_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%b %d %Y")


def _split_date(text: str, style: FileStyle) -> tuple[date, int] | None:
    """The date at the start of ``text`` and where it ends, or None."""
    for pattern in (_ISO_DATE, _DOT_DATE):
        match = pattern.match(text)
        if match:
            return date(int(match["y"]), int(match["m"]), int(match["d"])), match.end()
    match = SLASH_DATE.match(text)
    if match:
        first, second = int(match["a"]), int(match["b"])
        day, month = (first, second) if style.day_first else (second, first)
        return date(int(match["y"]), month, day), match.end()
    return None


def _parse_datetime(raw, style: FileStyle) -> tuple[date, tuple | None]:
    """(date, (hour, minute, second, microsecond, tzinfo | None) or None)."""
    text = raw.strip()
    try:
        found = _split_date(text, style)
    except ValueError:  # 31.02.2026, month 13
        found = None
    if found is None:
        for fmt in _NAMED_FORMATS:
            try:
                return datetime.strptime(text, fmt).date(), None
            except ValueError:
                continue
        raise Bad(EXPECTED_DATE)
    day, end = found
    rest = text[end:]
    if not rest:
        return day, None
    match = _TIME.fullmatch(rest)
    if not match:
        raise Bad(EXPECTED_DATETIME)
    zone = None
    if match["tz"]:
        zone = UTC if match["tz"] in ("Z", "UTC") else _offset(match["tz"])
    if match["H"] is None:
        return day, (0, 0, 0, 0, zone) if zone else None
    hour, minute = int(match["H"]), int(match["M"])
    second = int(match["S"] or 0)
    micro = int((match["f"] or "0").ljust(6, "0"))
    if hour > 23 or minute > 59 or second > 59:
        raise Bad(EXPECTED_DATETIME)
    return day, (hour, minute, second, micro, zone)


def _offset(text: str) -> tzinfo:
    from datetime import timezone as fixed

    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return fixed(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def read_date(raw, style: FileStyle, zone: ZoneInfo) -> date | None:
    """A report date. A timestamp with its own offset is moved into the source's time zone first."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise Bad(EXPECTED_DATE)
    if raw.strip().lower() in MISSING:
        return None
    day, time = _parse_datetime(raw, style)
    if time and time[4] is not None:
        moment = datetime(day.year, day.month, day.day, *time[:4], tzinfo=time[4])
        return moment.astimezone(zone).date()
    return day


def read_datetime(raw, style: FileStyle, zone: ZoneInfo) -> datetime | None:
    """An aware datetime in UTC; a time without an offset is in the source's time zone, a Unix timestamp in
    seconds or milliseconds is UTC."""
    if isinstance(raw, int | Decimal) and not isinstance(raw, bool):
        raw = str(raw)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise Bad(EXPECTED_DATETIME)
    text = raw.strip()
    if text.lower() in MISSING:
        return None
    if _DIGITS.fullmatch(text) and len(text) in (10, 13):
        seconds = int(text) / 1000 if len(text) == 13 else int(text)
        return datetime.fromtimestamp(seconds, tz=UTC)
    day, time = _parse_datetime(text, style)
    hour, minute, second, micro, offset = time or (0, 0, 0, 0, None)
    moment = datetime(day.year, day.month, day.day, hour, minute, second, micro, tzinfo=offset or zone)
    return moment.astimezone(UTC)


# ---------------------------------------------------------------------------------------------- words


def _key(name: str) -> str:
    return " ".join(name.replace(".", " ").replace(",", " ").split()).casefold().replace("ё", "е")


_COUNTRY_KEYS: dict[str, str] = {}
for _alpha2, _alpha3, _names in COUNTRIES:
    _COUNTRY_KEYS[_alpha2.casefold()] = _alpha2
    _COUNTRY_KEYS[_alpha3.casefold()] = _alpha2
    for _name in _names:
        _COUNTRY_KEYS[_key(_name)] = _alpha2
for _name, _alpha2 in COMMON_NAMES.items():
    _COUNTRY_KEYS[_key(_name)] = _alpha2
_COUNTRY_KEYS["uk"] = "GB"  # the alpha-2 code is GB, but "UK" is what people (and some exports) write


def read_country(raw) -> str:
    """ISO 3166-1 alpha-2 upper case from a code or a name; "" when the cell says there is none."""
    if raw is None:
        return ""
    text = raw.strip() if isinstance(raw, str) else str(raw)
    folded = text.casefold()
    if folded in MISSING or folded in UNKNOWN_COUNTRY:
        return ""
    found = _COUNTRY_KEYS.get(folded) or _COUNTRY_KEYS.get(_key(text))
    if not found:
        raise Bad(EXPECTED_COUNTRY)
    return found


_OS = {"ios": "ios", "iphone": "ios", "ipad": "ios", "iphone os": "ios", "ipados": "ios", "android": "android"}


def read_os(raw) -> str:
    """ "ios", "android" or the platform's own name in lower case ("windows", "web")."""
    if raw is None:
        return ""
    text = str(raw).strip().casefold()
    if text in MISSING:
        return ""
    for prefix in ("platform_", "os_"):
        text = text.removeprefix(prefix)
    return _OS.get(text, text)


_CURRENCY_CODE = re.compile(r"[A-Z]{3,4}")


def currency_from_spelling(text: str) -> str:
    """The ISO code a symbol or code spells ("$" -> "USD", "eur" -> "EUR"), or "" when it spells none."""
    text = text.strip()
    upper = text.upper()
    if upper in ISO_4217 or upper in EXTRA_CODES:
        return upper
    return SPELLINGS.get(text) or SPELLINGS.get(text.casefold(), "")


def read_currency(raw) -> str:
    """An upper-case currency code; any three letters are accepted (an unknown one is warned about later)."""
    if raw is None:
        return ""
    text = str(raw).strip()
    if text.lower() in MISSING:
        return ""
    code = currency_from_spelling(text)
    if code:
        return code
    if _CURRENCY_CODE.fullmatch(text.upper()):
        return text.upper()
    raise Bad(EXPECTED_CURRENCY)


_UTC_OFFSET = re.compile(r"(?:UTC|GMT)?\s*([+-]?)\s*([0-9]{1,2})(?:[:.]?([0-9]{2}))?", re.ASCII | re.IGNORECASE)


def read_utc_offset(raw) -> str:
    """A time zone given as an offset from UTC ("+3", "-05:00", "UTC+5:30", "0"), as the label facts carry:
    "UTC+03:00", "UTC-05:00", "UTC+05:30", "UTC" (never POSIX's "Etc/GMT-3", which a reader takes for UTC-3)."""
    if is_missing(raw):
        return ""
    match = _UTC_OFFSET.fullmatch(str(raw).strip())
    if match is None:
        raise Bad(EXPECTED_UTC_OFFSET)
    sign, hours, minutes = match[1] or "+", int(match[2]), int(match[3] or 0)
    if hours > (14 if sign == "+" else 12) or minutes % 15 or (minutes and hours >= 12):
        raise Bad(EXPECTED_UTC_OFFSET)
    if not hours and not minutes:
        return "UTC"
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def utc_offset_of(label: str) -> timedelta:
    """The offset a label of :func:`read_utc_offset` stands for."""
    if label == "UTC":
        return timedelta(0)
    sign = -1 if label[3] == "-" else 1
    return sign * timedelta(hours=int(label[4:6]), minutes=int(label[7:9]))


def is_known_currency(code: str) -> bool:
    return code in ISO_4217 or code in EXTRA_CODES


def read_text(raw) -> str:
    """An identifier or a name: stripped; a missing marker reads as ""."""
    if raw is None:
        return ""
    text = raw.strip() if isinstance(raw, str) else str(raw)
    if text[:1] in MAY_BE_MISSING and text.lower() in MISSING:
        return ""
    return text


MAY_BE_MISSING = frozenset({"", "n", "N", "#", "-", "—", "–", "("})
