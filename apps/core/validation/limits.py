"""Sizes of what a person may type, shared by the API's serializers and the admin's forms."""

# Text a person types into an unbounded text field (notes, a description): long enough for any note, short
# enough that one request cannot store a megabyte.
TEXT_MAX_LENGTH = 5000
