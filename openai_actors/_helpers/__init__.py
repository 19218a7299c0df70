"""Hand-written helpers on generated resources (polling, chunked uploads), outside the generated files.

Each module subclasses a generated resource under the same name; codegen/overrides.toml
([extended]) makes the client build the subclass. `responses.py` is the exception: what
the Responses API adds to its generated types (`Response.output_text`, the stream's
parser), which overrides.toml wires in with [model_bases] and `stream_item`. The
`chat.completions` and `responses` resources are built in two layers: `parse` in
`chat_completions.py` / `responses_resource.py`, and `stream` in subclasses of those
(`chat_completions_stream.py` / `responses_resource_stream.py`), which [extended] names.

Structured outputs (`.parse`): `_parsing.py` is the sans-IO core (request bodies from
a user's type, answers back as `Parsed*` objects), over `_schema.py` (the strict JSON
schema) and `_tools.py` (`pydantic_function_tool`); `parsed_chat_completion.py` and
`parsed_response.py` hold the `Parsed*` types, which `openai_actors.types.chat` and
`openai_actors.types.responses` export.
"""
