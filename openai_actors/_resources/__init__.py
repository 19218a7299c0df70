"""Resources written by hand (`client.webhooks`) and what the generated ones share (`_base`).

The generated resources are in `openai_actors/resources/`; their methods check
their keyword arguments as a plain Python call would (`_base.check_keys`).
"""
