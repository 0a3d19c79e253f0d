"""Rasa input channels for the practice: website chat, WhatsApp through Twilio and through
Meta's WhatsApp Cloud API. Registered by module path in credentials.yml."""
