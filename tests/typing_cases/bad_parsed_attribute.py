"""`message.parsed` is the model given (or None), not Any: a misspelt field is caught."""

from pydantic import BaseModel

from openai_actors import OpenAI


class MathResponse(BaseModel):
    final_answer: str


def ask(client: OpenAI) -> None:
    c = client.chat.completions.parse(
        model="gpt-4o", messages=[{"role": "user", "content": "Hi"}], response_format=MathResponse
    )
    if c.choices[0].message.parsed:
        print(c.choices[0].message.parsed.final_anser)  # expect-error
