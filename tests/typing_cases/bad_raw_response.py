"""`with_raw_response` keeps the result's type: parse() is a ChatCompletion, not Any."""

from openai_actors import OpenAI


def ask(client: OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
    )
    text: str | None = raw.parse().choices[0].message.contnet  # expect-error
    print(text)
