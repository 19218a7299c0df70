"""The module-level client, the Azure clients and the httpx2 clients as a user's checker sees them:
all typed, and a setting of the wrong type is caught."""

import openai_actors
from openai_actors import AsyncAzureOpenAI, AzureOpenAI, DefaultAsyncHttpx2Client, DefaultHttpx2Client


async def token() -> str:
    return "t"


def module_client() -> str | None:
    openai_actors.api_key = "sk-..."
    openai_actors.base_url = "http://localhost:8000/v1"
    openai_actors.default_headers = {"x-foo": "true"}
    openai_actors.timeout = 20.0
    openai_actors.api_type = "azure"
    completion = openai_actors.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
    )
    vectors = openai_actors.embeddings.create(model="m", input="x").data[0].embedding
    assert isinstance(vectors, list)
    openai_actors.max_retries = "3"  # expect-error
    return completion.choices[0].message.content


def azure_clients() -> None:
    sync = AzureOpenAI(
        api_version="2024-10-21",
        azure_endpoint="https://r.openai.azure.com",
        azure_ad_token_provider=lambda: "t",
        http_client=DefaultHttpx2Client(),
    )
    copy: AzureOpenAI = sync.with_options(api_version="2025-01-01", max_retries=0)
    copy.close()
    AsyncAzureOpenAI(
        api_version="2024-10-21",
        base_url="https://gw/openai/deployments/d",
        azure_ad_token_provider=token,
        http_client=DefaultAsyncHttpx2Client(),
    )
