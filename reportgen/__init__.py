"""reportgen: a monthly marketing-operations review from one Excel workbook."""

__version__ = "0.1.0"
