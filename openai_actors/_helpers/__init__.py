"""Hand-written helpers on generated resources (polling, chunked uploads), outside the generated files.

Each module subclasses a generated resource under the same name; codegen/overrides.toml
([extended]) makes the client build the subclass.
"""
