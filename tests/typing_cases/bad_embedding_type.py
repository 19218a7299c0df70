"""An embedding is a list of floats, not of strings."""

from openai_actors import OpenAI


def embed(client: OpenAI) -> list[str]:
    e = client.embeddings.create(model="text-embedding-3-small", input="Hi")
    vec: list[str] = e.data[0].embedding  # expect-error
    return vec
