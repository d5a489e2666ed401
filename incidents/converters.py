"""URL converters: an id is 1 to 18 digits, so a 20-digit one is a 404 at routing, never a query that overflows."""

from django.urls import register_converter

from incidents.bounds import ID_DIGITS


class IdConverter:
    regex = f"[0-9]{{1,{ID_DIGITS}}}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "id")
