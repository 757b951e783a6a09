"""The memory view: a private web page to see and steer what the assistant remembers.

`security` decides who may see it, `views` shapes what the page shows, `app` is the Starlette routes and their Jinja2
templates (templates/, static/), and `launch` serves it for `expiring-memory-mcp ui` and the open_memory_view tool.
`serve --http` mounts it at /ui (remote.py)."""
