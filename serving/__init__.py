"""How the Rasa server is run in every profile: kind replies when something fails, and a
REST channel that answers bad input with 4xx. `python -m serving run ...` is `rasa run ...`
with these in place."""
