"""The custom actions (`rasa run actions --actions actions`)."""

from serving import log_privacy

# `rasa run actions` imports this package first: its log lines are scrubbed from the start.
log_privacy.install()
