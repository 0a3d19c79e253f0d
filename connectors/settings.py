"""Channel settings read from environment variables that credentials.yml names.

Rasa stops at start-up when `${VAR}` in credentials.yml is unset, so credentials.yml names
the variables instead and each connector reads them here: a channel whose variables are
unset stays registered, answers its webhooks with 503 and is reported as not configured.
`python -m connectors.settings` prints each channel's state (`make run` calls it).
"""

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Text

import yaml


@dataclass(frozen=True)
class ChannelSettings:
    """One channel's settings: which variable holds each setting and its value."""

    channel: Text
    variables: Dict[Text, Text]
    values: Dict[Text, Optional[Text]]
    required: tuple

    def get(self, key: Text, default: Optional[Text] = None) -> Optional[Text]:
        return self.values.get(key) or default

    @property
    def missing(self) -> List[Text]:
        return [self.variables[key] for key in self.required if not self.values.get(key)]

    @property
    def configured(self) -> bool:
        return not self.missing

    def describe(self) -> Text:
        if self.configured:
            return f"{self.channel}: configured"
        return f"{self.channel}: not configured (set {', '.join(self.missing)})"


def read_settings(
    channel: Text,
    credentials: Optional[Mapping[Text, Any]],
    required: Iterable[Text],
    environ: Optional[Mapping[Text, Text]] = None,
) -> ChannelSettings:
    """Reads the variables that `credentials` names (setting -> variable name)."""
    environ = os.environ if environ is None else environ
    variables = {key: str(name) for key, name in (credentials or {}).items()}
    required = tuple(required)
    unnamed = [key for key in required if key not in variables]
    if unnamed:
        raise ValueError(f"credentials.yml: {channel} needs variable names for {unnamed}")
    values = {key: (environ.get(name) or "").strip() or None for key, name in variables.items()}
    return ChannelSettings(channel, variables, values, required)


def channel_report(credentials_path: Path, environ: Optional[Mapping[Text, Text]] = None) -> List[Text]:
    """One line per WhatsApp channel registered in credentials.yml."""
    from connectors.twilio_whatsapp import TwilioWhatsAppInput
    from connectors.whatsapp_cloud import WhatsAppCloudInput

    credentials = yaml.safe_load(credentials_path.read_text(encoding="utf-8")) or {}
    lines = []
    for connector in (TwilioWhatsAppInput, WhatsAppCloudInput):
        path = f"{connector.__module__}.{connector.__name__}"
        if path not in credentials:
            lines.append(f"{connector.title}: not registered in {credentials_path}")
            continue
        settings = read_settings(connector.title, credentials[path], connector.required, environ)
        route = f"/webhooks/{connector.name()}/webhook"
        lines.append(f"{settings.describe()}; webhook {route}")
    return lines


if __name__ == "__main__":
    for line in channel_report(Path(sys.argv[1] if len(sys.argv) > 1 else "credentials.yml")):
        print(line)
