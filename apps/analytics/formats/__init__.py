"""Reading traffic files (ad networks, attribution platforms, trackers) into normalized rows.

Pure Python and no database: ``read`` streams a file in batches of ``MetricRow`` or ``ConversionRow`` and
collects every bad cell and business-rule warning; the import pipeline decides what to write. See rows.py for
the contract and catalog.py for the formats.
"""

from .catalog import FORMATS, FileFormat, by_code
from .reading import ERROR_LIMIT, Reading, detect, read
from .rows import CellError, ConversionRow, Format, FormatNotRecognized, MetricRow, UnreadableFile, Warning_

__all__ = [
    "ERROR_LIMIT",
    "FORMATS",
    "CellError",
    "ConversionRow",
    "FileFormat",
    "Format",
    "FormatNotRecognized",
    "MetricRow",
    "Reading",
    "UnreadableFile",
    "Warning_",
    "by_code",
    "detect",
    "read",
]
