"""Hand-written helpers on generated resources (polling, chunked uploads), outside the generated files.

Each module subclasses a generated resource under the same name; codegen/overrides.toml
([extended]) makes the client build the subclass. `responses.py` is the exception: what
the Responses API adds to its generated types (`Response.output_text`, the stream's
parser), which overrides.toml wires in with [model_bases] and `stream_item`.
"""
