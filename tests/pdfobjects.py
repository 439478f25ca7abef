"""pypdf's objects as the types a test reads them as: pypdf types what it reads as any PDF object, a test
knows a dictionary or an array must stand there and says so (a reference is followed to its object)."""

from __future__ import annotations

from pypdf.generic import ArrayObject, DictionaryObject, PdfObject, StreamObject


def pdf_dict(value: object) -> DictionaryObject:
    """`value`, or the object it refers to, which must be a dictionary."""
    if isinstance(value, PdfObject):
        value = value.get_object()
    assert isinstance(value, DictionaryObject), value
    return value


def pdf_array(value: object) -> ArrayObject:
    """`value`, or the object it refers to, which must be an array."""
    if isinstance(value, PdfObject):
        value = value.get_object()
    assert isinstance(value, ArrayObject), value
    return value


def pdf_stream(value: object) -> StreamObject:
    """`value`, or the object it refers to, which must be a stream."""
    if isinstance(value, PdfObject):
        value = value.get_object()
    assert isinstance(value, StreamObject), value
    return value
