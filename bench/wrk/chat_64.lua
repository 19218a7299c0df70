-- wrk script: the chat completion `openai-actors bench` sends by default (~64 prompt tokens, max_tokens 64).
wrk.method = "POST"
wrk.body = "{\"model\": \"gpt-4o-mini\", \"messages\": [{\"role\": \"user\", \"content\": \"Benchmarks measure what they are built to measure, so this paragraph says nothing in particular and repeats as often as it must. A river runs past the old mill, where seven workers count grain into sacks before the market opens at dawn. Numbers, names and \"}], \"max_tokens\": 64}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
