"""The API's resources (`client.chat.completions`, `client.embeddings`, ...), sync and async.

Each endpoint's parameters are declared once, as a TypedDict; the sync and
async methods take them with `**params: Unpack[...]`, so type checkers and
IDEs know every parameter, and `check_params` gives the TypeError a plain
Python call would for an unknown or missing one.
"""
