"""The API's response models (pydantic v2), apart from storage: amounts are decimal strings (``uint256``
does not fit a JSON number exactly in most clients), addresses checksummed, hashes ``0x`` hex."""
